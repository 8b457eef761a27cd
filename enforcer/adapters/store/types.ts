// Row types of the SQLite store (see docs/schema.md), shared by the daemon, API and CLI.
import type { Rule } from '../../core/types.js';

/** One ban in history. Times are epoch seconds; `planned_end` null is permanent; `ended_at` null is still active. */
export interface BanRow {
  id: number;
  ip: string;
  started_at: number;
  planned_end: number | null;
  ended_at: number | null;
  step: number;
  rule: Rule;
  rate: number;
  error_rate: number;
  baseline_mean: number;
  baseline_stddev: number;
  baseline_source: string;
  z: number;
  tightened: 0 | 1;
  source: 'auto' | 'manual';
  reason: string | null;
  unban_reason: string | null;
  dry_run: 0 | 1;
  /** Fleet mode: the node that made the ban and its fleet decision id; null on a single host. */
  node?: string | null;
  fleet_id?: string | null;
}

/** Filters for ban history; all optional. `ip` may be an address or a CIDR. */
export interface HistoryFilter {
  ip?: string;
  since?: number;
  until?: number;
  rule?: Rule;
  source?: 'auto' | 'manual';
  activeOnly?: boolean;
  sort?: 'started_at' | 'ip' | 'rate' | 'z' | 'planned_end';
  order?: 'asc' | 'desc';
  limit?: number;
  offset?: number;
}

/** One baseline snapshot (one row a minute). */
export interface BaselineRow {
  at: number;
  mean: number;
  stddev: number;
  error_mean: number;
  source: string;
  hour: number | null;
  samples: number;
  global_rate: number;
}

/** One alert attempt. */
export interface AlertRow {
  id: number;
  at: number;
  kind: string;
  channel: string;
  ok: 0 | 1;
  error: string | null;
  payload: string;
}

/**
 * One alert of a rule that did not ban: in mode alert, or a relative rule during the learning period (`cause`). What
 * the rule would have banned; `value` against `threshold` in the rule's own unit. Times are epoch seconds.
 */
export interface RuleAlertRow {
  id: number;
  at: number;
  /** The client: an address, or a network for prefix rules and IPv6 prefixes (`2001:db8:1:2::/64`). */
  ip: string;
  rule: string;
  cause: 'mode' | 'learning';
  value: number;
  threshold: number;
  rate: number;
  error_rate: number;
  z: number;
  baseline_mean: number;
  tightened: 0 | 1;
}

/** Filters for rule alerts; all optional. `ip` is an address or network, matched exactly. */
export interface RuleAlertFilter {
  rule?: string;
  ip?: string;
  since?: number;
  until?: number;
  /** Default 100, at most 1000. */
  limit?: number;
  offset?: number;
}
