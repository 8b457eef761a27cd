// Shared types of the pure decision core: what comes in (per-second counts), what goes out (decisions).
// Times are epoch seconds (numbers) everywhere in the core; the clock is injected, never read here.
import type { RuleInfo } from './rules/info.js';

/**
 * Request counts for one client in one second: total requests, of which 4xx, of which 5xx, of which auth failures
 * (401/403 answered by the site, never warden's own refusals), and probes (a 4xx on a non-static path, or any request
 * for a sensitive path). Counters protocol version 1 sent only the first three; absent ones are 0.
 */
export type Counts = [total: number, c4xx: number, c5xx: number, auth?: number, probe?: number];

/** Index of each signal in Counts, for code that reads them by name. */
export const SIGNAL = { total: 0, c4xx: 1, c5xx: 2, auth: 3, probe: 4 } as const;

/**
 * One completed one-second bucket as drained from nginx (see njs/ and docs/counters-protocol.md).
 * A bucket for the same second may arrive twice (a late request finished after the first drain): counts add up.
 */
export interface SecondBucket {
  /** Epoch second the requests completed in. */
  t: number;
  /** All requests in that second, including those whose per-IP key could not be stored. */
  global: Counts;
  /**
   * Per client key: an IPv4 address (dotted), or an IPv6 client as nginx counts it: its prefix in CIDR form
   * (`2001:db8:1:2::/64`, `detection.ipv6_prefix`) or, with prefix 128, the compressed lower-case address.
   */
  ips: Record<string, Counts>;
  /**
   * The same per-client counts as `ips`, in columns (the counters decoder fills it; `ips` is then built on first read):
   * the engine reads these, without one object per client per second, and not `ips`. So change such a bucket's counts
   * by assigning `ips` (which drops the columns) or by copying it (`{ ...b }` has no columns), never in place.
   */
  rows?: ClientRows;
}

/**
 * Per-client counts of one second in columns: row i is client `keys[i]` with counts `counts[i*5 .. i*5+4]` (total, 4xx,
 * 5xx, auth, probe). `ids[i]` is a number the source gives the same key every time (KeyTable), or -1 for a row to skip;
 * a wrong id only costs a lookup (the engine checks the key). Row order is the order of `ips`' keys.
 */
export interface ClientRows {
  n: number;
  keys: string[];
  ids: Int32Array;
  counts: Float64Array;
}

/** Where the baseline in force came from. */
export type BaselineSource = 'hour_slot' | 'rolling' | 'floor';

/** The learned baseline of per-second request counts (global, per second). */
export interface Baseline {
  /** Mean requests per second, after the floor. */
  mean: number;
  /** Standard deviation, after the floor. */
  stddev: number;
  /** Mean 4xx+5xx per second, after its floor. */
  errorMean: number;
  /** Mean and stddev before floors, for the record. */
  rawMean: number;
  rawStddev: number;
  /** Number of per-second samples it was computed from. */
  samples: number;
  source: BaselineSource;
  /** Hour of day (0-23, UTC) when source is 'hour_slot'. */
  hour?: number;
  /** When it was computed (epoch s). */
  computedAt: number;
}

/**
 * Which rule fired: the name of a client rule of the registry (enforcer/core/rules/registry.ts), or `manual` for an
 * operator's ban. Validate input with `isBanRule`; list them with `banRuleNames()`.
 */
export type Rule = string;

/** A ban, decided by the core or asked for by an operator. `until` null means permanent. */
export interface BanDecision {
  kind: 'ban';
  ip: string;
  at: number;
  until: number | null;
  /** Duration in seconds, null when permanent. */
  durationSec: number | null;
  /** 1-based step on the ladder (1 = first offence). */
  step: number;
  rule: Rule;
  /** The IP's rate (req/s over the window) and error rate when decided. */
  rate: number;
  errorRate: number;
  z: number;
  baseline: Baseline;
  /** True when the error-surge rule tightened the thresholds. */
  tightened: boolean;
  source: 'auto' | 'manual';
  /** Free text for manual bans. */
  reason?: string;
  /** Manual bans: who asked (the API caller's address and how it authenticated), for the audit log. */
  by?: string;
  /** The threshold in force for `rule` when decided (after tightening), for audit lines and alerts. */
  threshold?: number;
  /** The rule's measured value that went over `threshold` (z-score, multiple, req/s, failures...), when decided by a rule. */
  value?: number;
  /** Fleet mode: the node that made the decision, and the decision's id in the fleet (docs/fleet.md). */
  node?: string;
  fleetId?: string;
}

/**
 * A client rule in mode `alert` fired (or a ban only error-surge tightening made, with error_surge in mode `alert`):
 * audited and alerted, never enforced; at most once per client and rule per `detection.alert_cooldown`.
 */
export interface RuleAlertDecision {
  kind: 'rule_alert';
  ip: string;
  at: number;
  rule: Rule;
  rate: number;
  errorRate: number;
  z: number;
  value: number;
  threshold: number;
  tightened: boolean;
  baseline: Baseline;
  /**
   * Why it alerted rather than banned: the rule is in mode alert (`mode`; a modifier in mode alert counts too), or it
   * is a relative rule during the learning period (`learning`). Absent means `mode`.
   */
  cause?: RuleAlertCause;
}

/** Why a rule alerted instead of banning (see RuleAlertDecision.cause). */
export type RuleAlertCause = 'mode' | 'learning';

/** An unban: the ban ran out, an operator lifted it, or (fleet mode) the fleet no longer holds it. */
export interface UnbanDecision {
  kind: 'unban';
  ip: string;
  at: number;
  reason: 'expired' | 'manual' | 'allowlisted' | 'fleet';
  /** Manual unbans: who asked, for the audit log. */
  by?: string;
  /** Fleet mode: the node that made the decision, and the decision's id in the fleet. */
  node?: string;
  fleetId?: string;
}

/** A global surge: alert only, never a ban. */
export interface GlobalAlertDecision {
  kind: 'global_alert';
  at: number;
  rate: number;
  z: number;
  /** The condition of the global rule that fired (`zscore` or `multiplier` for `global_surge`). */
  rule: string;
  /** The global rule (registry name) that decided; absent means `global_surge`. */
  by?: string;
  baseline: Baseline;
  /** The threshold in force for `rule` when decided, for audit lines and alerts. */
  threshold?: number;
  /** The measured value that went over `threshold`. */
  value?: number;
}

/** The baseline was recomputed (once per recompute interval). */
export interface BaselineDecision {
  kind: 'baseline';
  at: number;
  baseline: Baseline;
  /** Global rate over the window when recomputed. */
  globalRate: number;
}

/**
 * A client the rules would ban that is spared: a network (an IPv6 client's /64, say) holding an allow-listed address
 * (the admin, loopback, this host). Such a network is never banned; the decision is audited once per window.
 */
export interface SparedDecision {
  kind: 'spared';
  ip: string;
  at: number;
  rule: Rule;
  /** The client's rate (req/s over the window) when decided. */
  rate: number;
  reason: 'allowlisted_inside';
}

export type Decision = BanDecision | UnbanDecision | GlobalAlertDecision | RuleAlertDecision | BaselineDecision | SparedDecision;

/** An active ban as the core tracks it (restored from the database at start). */
export interface ActiveBan {
  ip: string;
  since: number;
  until: number | null;
  step: number;
  rule: Rule;
  rate: number;
  source: 'auto' | 'manual';
}

/** What the core remembers about an IP's past offences (for the ladder), restored from the database at start. */
export interface OffenceRecord {
  ip: string;
  count: number;
  lastAt: number;
}

/** One client among the heaviest: its rate over the main window, and its average rates over 10 minutes and 1 hour. */
export interface HeavyClient {
  ip: string;
  /** Requests per second over the main window (detection.window). */
  rate: number;
  /** Average requests per second over the last 10 minutes and the last hour (whole minutes plus the current one). */
  rate10m: number;
  rate1h: number;
  /** True when the allow-list covers it (never banned). */
  allowed: boolean;
}

/** The heaviest clients three ways: by current rate, by 10-minute and by 1-hour volume, heaviest first. */
export interface HeavyClients {
  now: number;
  byRate: HeavyClient[];
  by10m: HeavyClient[];
  by1h: HeavyClient[];
}

/** A live view of the core for the API and dashboard. */
export interface EngineStatus {
  now: number;
  globalRate: number;
  globalErrorRate: number;
  baseline: Baseline;
  thresholds: { zscore: number; multiplier: number; maxIpRate: number; errorSurge: number; tightenFactor: number };
  /** Per-IP rate above which an IP is banned right now (the lowest of the rules), req/s. */
  banRate: number;
  topIps: Array<{ ip: string; rate: number; errorRate: number }>;
  activeIps: number;
  activeBans: ActiveBan[];
  /** Every registered rule with its mode and thresholds (the dashboard legend, `warden status`). */
  rules: RuleInfo[];
  /**
   * The learning period (detection.learning_period): while `learning`, the rules that compare a client with the learned
   * baseline (zscore, multiplier) only alert; `progress` 0..1.
   */
  learning: { learning: boolean; progress: number; reason?: 'history' | 'hour_slot' | 'off' };
}

/** The injected clock. */
export interface Clock {
  /** Epoch milliseconds. */
  nowMs(): number;
}
