// What an operator does from the dashboard: ban, unban, allow-list and remove; the views refresh after each change.
import type { AllowAddResponse } from '../enforcer/api/types.js';
import { api } from './api.js';
import { banner } from './dom.js';

let afterChange: () => Promise<void> = async () => undefined;

/** What to refresh after a ban or an unban (set once by app.ts). */
export function onChange(fn: () => Promise<void>): void {
  afterChange = fn;
}

/** Lifts a ban. */
export async function unban(ip: string): Promise<void> {
  try {
    await api('DELETE', `/api/v1/bans/${encodeURIComponent(ip)}`);
    banner(`Unbanned ${ip}`, 'ok');
    await afterChange();
  } catch (err) {
    banner((err as Error).message);
  }
}

/** Bans an address or prefix for `duration`. */
export async function ban(ip: string, duration: string, reason: string): Promise<void> {
  try {
    await api('POST', '/api/v1/bans', { ip, duration: duration || '1h', reason: reason || 'banned from the dashboard' });
    banner(`Banned ${ip}`, 'ok');
    await afterChange();
  } catch (err) {
    banner((err as Error).message);
  }
}

/** Adds an address or network to the runtime allow-list; its active ban, if any, is lifted at once. */
export async function allow(cidr: string, note: string): Promise<void> {
  try {
    const r = await api<AllowAddResponse>('POST', '/api/v1/allow', { cidr, note });
    banner(`Allow-listed ${r.cidr}${r.lifted.length ? ` and lifted the ban of ${r.lifted.join(', ')}` : ''}`, 'ok');
    await afterChange();
  } catch (err) {
    banner((err as Error).message);
  }
}

/** Removes a runtime allow-list entry. */
export async function disallow(cidr: string): Promise<void> {
  try {
    await api('DELETE', `/api/v1/allow/${encodeURIComponent(cidr)}`);
    banner(`Removed ${cidr} from the allow-list`, 'ok');
    await afterChange();
  } catch (err) {
    banner((err as Error).message);
  }
}
