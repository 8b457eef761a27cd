// What bench/compare measured, as pure functions: the cut-off time of an address from its sends, and per attack the
// latency to the first dropped packet and how many attacking addresses were caught.
import type { Attack } from './schedule.js';

/** What one address saw (printed by the driver). */
export interface AddressResult {
  sent: number;
  ok: number;
  failed: number;
  firstSentMs: number;
  /** Epoch ms when the request that began the final run of failures was sent; null when the last one was answered. */
  cutAtMs: number | null;
  /** Failures in that final run. */
  tailFailures: number;
}

/** A ban as a detector logged it. */
export interface BanLine {
  atMs: number;
  ip: string;
  line: string;
}

/** Driver output: per address. */
export type DriverResult = Record<string, AddressResult>;

/**
 * The final run of failures in send order, from send times (negative for a failed request): when it began and its
 * length. A ban shows as every request from some point on going unanswered.
 * @example finalFailures([1, 2, -3, 4, -5, -6]) // { cutAtMs: 5, tailFailures: 2 }
 */
export function finalFailures(sends: number[]): { cutAtMs: number | null; tailFailures: number } {
  const s = [...sends].sort((a, b) => Math.abs(a) - Math.abs(b));
  let k = s.length;
  while (k > 0 && s[k - 1] < 0) k--;
  return k === s.length ? { cutAtMs: null, tailFailures: 0 } : { cutAtMs: -s[k], tailFailures: s.length - k };
}

/** One attack's outcome under one system. */
export interface AttackOutcome {
  name: string;
  addresses: number;
  caught: number;
  /** Epoch ms of the attack's first request (null when it sent none). */
  startMs: number | null;
  /** ms from the attack's first request to the first dropped one of a banned attacker; null when none was caught. */
  firstDropMs: number | null;
  /** Requests the attack sent, and how many were answered. */
  sent: number;
  answered: number;
}

/**
 * Judges one attack: `banned` is every address the system had banned at the end of the run.
 * @example attackOutcome(attack, driverResult, new Set(['198.18.100.1']))
 */
export function attackOutcome(a: Attack, r: DriverResult, banned: Set<string>): AttackOutcome {
  let start = Infinity;
  let firstDrop = Infinity;
  let caught = 0;
  let sent = 0;
  let answered = 0;
  for (const addr of a.addresses) {
    const x = r[addr];
    if (!x) continue;
    sent += x.sent;
    answered += x.ok;
    if (x.firstSentMs) start = Math.min(start, x.firstSentMs);
    if (!banned.has(addr)) continue;
    caught++;
    if (x.cutAtMs !== null) firstDrop = Math.min(firstDrop, x.cutAtMs);
  }
  const firstDropMs = Number.isFinite(firstDrop) && Number.isFinite(start) ? firstDrop - start : null;
  return { name: a.name, addresses: a.addresses.length, caught, startMs: Number.isFinite(start) ? start : null, firstDropMs, sent, answered };
}
