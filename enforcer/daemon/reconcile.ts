// Restart safety: makes the firewall match the database at start-up, in one batch.
// Active bans are (re)applied, bans that ran out while the daemon was down are ended, and strays in the project's own
// sets/chains (entries the database does not know) are removed. Other people's rules are never looked at.
import type { FirewallBackend, BanEntry } from '../adapters/firewall/port.js';

/** An active ban as the database has it. */
export interface StoredBan {
  ip: string;
  planned_end: number | null;
}

/** What reconciling did. */
export interface ReconcileResult {
  /** Bans still running, (re)applied. */
  applied: number;
  /** Bans that expired during downtime (the caller ends them in the database). */
  expired: string[];
  /** Entries in the backend that the database does not know, removed. */
  strays: number;
  failed: number;
}

/**
 * Reconciles one backend with the database's active bans at time `now` (epoch s).
 * @example const r = await reconcile(fw, store.activeBans(), nowSec);
 */
export async function reconcile(fw: FirewallBackend, active: StoredBan[], now: number): Promise<ReconcileResult> {
  const live: BanEntry[] = [];
  const expired: string[] = [];
  const wanted = new Set<string>();
  for (const b of active) {
    if (b.planned_end !== null && b.planned_end <= now) {
      expired.push(b.ip);
    } else {
      live.push({ ip: b.ip, until: b.planned_end });
      wanted.add(b.ip);
    }
  }
  let present: BanEntry[] = [];
  try {
    present = await fw.list();
  } catch {
    present = [];
  }
  const strays = present.filter((e) => !wanted.has(e.ip)).map((e) => e.ip);
  if (live.length) fw.add(live);
  if (strays.length) fw.remove(strays);
  const r = live.length || strays.length ? await fw.commit() : { added: 0, removed: 0, failed: [] };
  return { applied: live.length, expired, strays: strays.length, failed: r.failed.length };
}

/** What a drift check found and corrected. */
export interface DriftResult {
  /** Entries the backend held that the database does not (removed). */
  strays: string[];
  /** Active bans the backend lacked or held with another end (added). */
  missing: string[];
  failed: number;
}

/**
 * Corrects drift between one backend and the database while the daemon runs (the nginx ban dict can be changed by
 * anyone who reaches the internal listener with the secret, or emptied by an nginx restart): removes entries the
 * database does not hold and adds active bans the backend lacks, leaving matching entries alone (so a periodic check
 * of 100,000 bans sends nothing when nothing drifted).
 * @example const d = await correctDrift(nginxBackend, store.activeBans(), nowSec); // d.strays: injected bans removed
 */
export async function correctDrift(fw: FirewallBackend, active: StoredBan[], now: number): Promise<DriftResult> {
  const wanted = new Map<string, number | null>();
  for (const b of active) if (b.planned_end === null || b.planned_end > now) wanted.set(b.ip, b.planned_end);
  const present = await fw.list();
  const seen = new Map<string, number | null>();
  for (const e of present) seen.set(e.ip, e.until);
  const strays: string[] = [];
  for (const ip of seen.keys()) if (!wanted.has(ip)) strays.push(ip);
  const missing: BanEntry[] = [];
  for (const [ip, until] of wanted) {
    if (!seen.has(ip) || seen.get(ip) !== until) missing.push({ ip, until });
  }
  if (strays.length) fw.remove(strays);
  if (missing.length) fw.add(missing);
  const r = strays.length || missing.length ? await fw.commit() : { failed: [] };
  return { strays, missing: missing.map((m) => m.ip), failed: r.failed.length };
}
