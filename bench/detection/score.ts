// The suite's bookkeeping, pure: from a scenario's requests, its ground truth and the bans replay decided, what was
// caught, how fast (from each attacker's first request to its ban), and which real clients were banned.
import { buildMatcher, parseCidr } from '../../enforcer/net/cidr.js';

/** A ban as replay reported it: when (simulated epoch s), what (an address or a CIDR key), by which rule. */
export interface BanRecord {
  at: number;
  target: string;
  rule: string;
}

/** A scenario's ground truth, as in Scenario. */
export interface Truth {
  kind: 'attack' | 'trap';
  attackers: string[];
  deadlineSec?: number;
  need?: number;
  unit?: 'address' | 'prefix';
}

/** What one scenario scored. */
export interface Score {
  /** Attacker units (addresses, or prefixes when `unit: prefix`); 0 for a trap. */
  units: number;
  /** Units banned at all, and within the deadline. */
  banned: number;
  inTime: number;
  /** Attacks: enough units caught in time (`need`); traps: null. */
  caught: boolean | null;
  /** Seconds from each banned unit's first request to its first ban, sorted. */
  latencies: number[];
  p50: number | null;
  p95: number | null;
  /** Distinct real (non-attacker) clients that a ban covered; a few of them by name. */
  falseBans: number;
  falseBanned: string[];
  /** Rules that banned attacker units (first ban per unit), and rules behind false bans (per ban). */
  rules: Record<string, number>;
  falseRules: Record<string, number>;
  /** Scenario verdict: an attack is caught with no false ban; a trap has no false ban. */
  ok: boolean;
}

/** The address part of a parsed network (`10.0.0.0` of `10.0.0.0/8`). */
const baseText = (text: string) => text.slice(0, text.indexOf('/'));

/** True when network `outer` (address or CIDR) contains all of network `inner`. */
export function covers(outer: string, inner: string): boolean {
  const o = parseCidr(outer);
  const i = parseCidr(inner);
  if (!o || !i || o.version !== i.version || o.prefix > i.prefix) return false;
  return buildMatcher([o.text])(baseText(i.text));
}

/**
 * Nearest-rank percentile of sorted numbers, or null when there are none.
 * @example percentile([1, 2, 3, 4], 50) === 2; percentile([1, 2, 3, 4], 95) === 4
 */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * Scores one scenario. A unit's latency is the first ban covering it (an address ban, or a CIDR ban holding the address;
 * for `prefix` units a ban holding the whole prefix) minus the whole second of its first request. A false ban is a real
 * client (any address of the requests not inside an attacker entry) covered by a ban.
 * @example score([{ t: 100.2, ip: '203.0.113.66' }], [{ at: 102, target: '203.0.113.66', rule: 'ceiling' }],
 *   { kind: 'attack', attackers: ['203.0.113.66'], deadlineSec: 2 }) // { latencies: [2], inTime: 1, caught: true, ... }
 */
export function score(requests: Iterable<{ t: number; ip: string }>, bans: BanRecord[], truth: Truth): Score {
  const isAttacker = buildMatcher(truth.attackers);
  const prefixUnits = truth.unit === 'prefix';
  const first = new Map<string, number>(); // unit -> first second
  const innocents = new Set<string>();
  const unitOf = prefixUnits ? truth.attackers.map((a) => ({ a, m: buildMatcher([a]) })) : [];
  for (const q of requests) {
    const sec = Math.floor(q.t);
    if (!isAttacker(q.ip)) {
      innocents.add(q.ip);
      continue;
    }
    const unit = prefixUnits ? unitOf.find((u) => u.m(q.ip))!.a : q.ip;
    const f = first.get(unit);
    if (f === undefined || sec < f) first.set(unit, sec);
  }
  const sortedBans = [...bans].sort((a, b) => a.at - b.at);
  const latencies: number[] = [];
  const rules: Record<string, number> = {};
  let inTime = 0;
  for (const [unit, f] of first) {
    const ban = sortedBans.find((b) => b.at >= f && covers(b.target, unit));
    if (!ban) continue;
    const lat = ban.at - f;
    latencies.push(lat);
    rules[ban.rule] = (rules[ban.rule] ?? 0) + 1;
    if (truth.deadlineSec === undefined || lat <= truth.deadlineSec) inTime++;
  }
  latencies.sort((a, b) => a - b);
  const falseSet = new Set<string>();
  const falseRules: Record<string, number> = {};
  for (const b of sortedBans) {
    const m = buildMatcher([b.target]);
    let hit = false;
    for (const ip of innocents) {
      if (m(ip)) {
        falseSet.add(ip);
        hit = true;
      }
    }
    if (hit) falseRules[b.rule] = (falseRules[b.rule] ?? 0) + 1;
  }
  const units = first.size;
  const caught = truth.kind === 'trap' ? null : units > 0 && inTime >= Math.ceil((truth.need ?? 1) * units - 1e-9);
  return {
    units,
    banned: latencies.length,
    inTime,
    caught,
    latencies,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    falseBans: falseSet.size,
    falseBanned: [...falseSet].slice(0, 5),
    rules,
    falseRules,
    ok: falseSet.size === 0 && caught !== false,
  };
}
