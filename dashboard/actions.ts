// What an operator does from the dashboard: ban and unban; the views refresh after each change.
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
