// The shape of a detection rule: what every module under enforcer/core/rules/ exports, and the read-only views of the
// windows and the population it judges with. Pure: no I/O, the time is in the context.
import type { z } from 'zod';
import type { Baseline } from '../types.js';

/** What a rule's decision does: `ban` enforces, `alert` decides, audits and alerts but never bans, `off` is not run. */
export type RuleMode = 'ban' | 'alert' | 'off';

/** Every mode, for validation and help texts. */
export const RULE_MODES: readonly RuleMode[] = ['ban', 'alert', 'off'];

/**
 * A per-client signal (counters protocol v2): all requests, 4xx, 5xx, auth failures, probes; `errors` is 4xx + 5xx.
 * Counters protocol v1 sends no `auth` and `probe`: they read 0.
 */
export type Signal = 'total' | 'c4xx' | 'c5xx' | 'auth' | 'probe' | 'errors';

/** Every signal, in the order of the windows' arrays. */
export const SIGNALS: readonly Signal[] = ['total', 'c4xx', 'c5xx', 'auth', 'probe', 'errors'];

/**
 * A window a rule reads: `main` is `detection.window` (60 s), `short` is `detection.short_window` (a few seconds, for
 * bursts and probing), `10m` and `1h` are long windows kept as per-minute aggregates (for volume).
 */
export type WindowName = 'main' | 'short' | '10m' | '1h';

/** Every window. */
export const WINDOWS: readonly WindowName[] = ['main', 'short', '10m', '1h'];

/**
 * One client as the rules see it: read-only sums of each signal over each window.
 * The engine reuses one view object for every client of a tick: read it inside `judge`, never keep it.
 */
export interface ClientView {
  /** The client key: an IPv4 address, or an IPv6 address or prefix in CIDR form (`2001:db8:1:2::/64`). */
  readonly key: string;
  /** The signal's sum over the window (requests, not a rate). */
  sum(signal: Signal, window?: WindowName): number;
  /** The signal's sum over the window divided by the window's length in seconds (req/s). */
  rate(signal: Signal, window?: WindowName): number;
}

/** Statistics over the clients active in the main window, computed at most once per tick and only when a rule asks. */
export interface Population {
  /** Clients with at least one request in the main window. */
  readonly clients: number;
  /**
   * The q-quantile (0..1) of the clients' sums of `signal` over `window` (clients with nothing in it left out);
   * 0 without clients. Above 20,000 clients it is computed on an evenly strided sample of 20,000.
   * @example ctx.population.quantile(0.99, 'total', 'short') // the 99th percentile of short-window request counts
   */
  quantile(q: number, signal?: Signal, window?: WindowName): number;
}

/** The whole site over a window (all clients, banned ones left out of what is learned). */
export interface GlobalView {
  /** Global requests per second over the main window. */
  readonly rate: number;
  /** Global 4xx+5xx per second over the main window. */
  readonly errorRate: number;
}

/** What every rule sees at one tick: time, window lengths, the learned baseline, the population and the site. */
export interface TickContext {
  /** The tick's time, epoch seconds (the injected clock; never read the system clock in a rule). */
  readonly now: number;
  /** Length of each window in seconds (`main`: detection.window). */
  readonly seconds: Readonly<Record<WindowName, number>>;
  readonly baseline: Baseline;
  readonly population: Population;
  readonly global: GlobalView;
  /** Requests a client needs in the main window before any client rule may fire (detection.min_requests). */
  readonly minRequests: number;
}

/** A rule that fired: its measured value against its threshold, in the rule's own unit. */
export interface RuleHit {
  /** The measured value (a z-score, a multiple of the mean, req/s, failures...). */
  value: number;
  /** The threshold in force (after any tightening) that `value` went over. */
  threshold: number;
}

/** A global rule's hit names which of its conditions fired (`GlobalAlertDecision.rule`, e.g. `zscore`). */
export interface GlobalHit extends RuleHit {
  condition: string;
  /** The global z-score, for the record. */
  z: number;
}

/**
 * A necessary condition of a client rule: the rule can fire only when the client's `signal` over `window` is at least
 * `min`. The tick judges a client only when one gate of one enabled rule is met, so a rule that could fire at 5 auth
 * failures says so here and is never skipped.
 */
export interface Gate {
  signal: Signal;
  window: WindowName;
  /** Lowest sum at which the rule could fire (inclusive); use the lowest possible after tightening. */
  min: number;
}

/** A config key of a rule: its zod schema with the default, and the one-line comment warden.yaml and the README show. */
export interface RuleKey {
  schema: z.ZodType;
  /** One line for the README table and the warden.yaml comment. */
  doc: string;
  /** The default as the README table shows it (e.g. `60` (s), `3.0`). */
  shown: string;
}

/** What every rule module declares, whatever it judges. */
interface RuleBase<S> {
  /** The rule's name: `[a-z][a-z0-9_]*`, shown in audit lines, alerts, history, `/metrics` labels. Never `manual`. */
  name: string;
  /** A short title for the dashboard legend and `warden status`, e.g. `z-score`. */
  title: string;
  /** One sentence: when it fires, for the legend, `warden status` and `GET /api/v1/rules`. */
  summary: string;
  /** The mode when `detection.rules.<name>.mode` is not set. */
  defaultMode: RuleMode;
  /** The modes it accepts (a global rule cannot ban); default all three. */
  modes?: readonly RuleMode[];
  /**
   * Keys kept directly under `detection` (the rules of the first version: `zscore`, `multiplier`, ...), by key name.
   * New rules put theirs in `keys`.
   */
  legacyKeys?: Readonly<Record<string, RuleKey>>;
  /** Keys under `detection.rules.<name>` (besides `mode`, which every rule has), by key name. */
  keys?: Readonly<Record<string, RuleKey>>;
  /** Picks the rule's settings from the validated `detection` section (legacy keys and `rules.<name>`), once at start. */
  settings(detection: DetectionSection): S;
  /** The signals and windows it reads, for the docs and the API. */
  reads: { signals: readonly Signal[]; windows: readonly WindowName[] };
  /** The rule's settings as `warden status` and the dashboard show them, e.g. `z > 3.0`. */
  thresholds(s: S): string;
  /** The unit `warden replay` prints after the measured value (`x` for a multiple); default none. */
  unit?: string;
  /**
   * The measured value recomputed from a decision's main-window fields, for decisions that do not carry `value`
   * (made before the registry); default `value`, else the z-score.
   */
  measure?(d: { z: number; rate: number; baseline: Pick<Baseline, 'mean'> }): number;
}

/** A rule judging one client at a time; its decision bans (mode ban) or alerts (mode alert). */
export interface ClientRule<S = unknown> extends RuleBase<S> {
  scope: 'client';
  /** Whether error-surge tightening (modifier rules) lowers its threshold. */
  tightenable: boolean;
  /**
   * Its necessary conditions at this tick (see Gate); `factor` is the lowest factor modifiers may apply (1 without).
   * A rule with no gate is never judged.
   */
  gates(s: S, ctx: TickContext, factor: number): readonly Gate[];
  /** Judges one client; `factor` (<= 1) multiplies its threshold when tightened. Null: it does not fire. */
  judge(client: ClientView, ctx: TickContext, s: S, factor: number): RuleHit | null;
}

/**
 * A rule that changes other rules' thresholds for one client (error-surge tightening). Its mode: `ban` applies the
 * factor; `alert` applies it, but a ban that only the factor made is turned into an alert; `off` never applies it.
 */
export interface ModifierRule<S = unknown> extends RuleBase<S> {
  scope: 'modifier';
  /** The lowest factor it can apply (for the gates). */
  minFactor(s: S): number;
  /** The factor for this client (1: unchanged). */
  factor(client: ClientView, ctx: TickContext, s: S): number;
}

/** A rule judging the whole site: alert only, at most once per its cooldown. */
export interface GlobalRule<S = unknown> extends RuleBase<S> {
  scope: 'global';
  /** Seconds between two alerts. */
  cooldown(s: S): number;
  judge(ctx: TickContext, s: S): GlobalHit | null;
}

/** Any rule module's default export. */
export type RuleDef<S = unknown> = ClientRule<S> | ModifierRule<S> | GlobalRule<S>;

/** The validated `detection` section as the rules read it: legacy keys by name, `rules.<name>` objects with `mode`. */
export type DetectionSection = Readonly<Record<string, unknown>> & {
  readonly rules: Readonly<Record<string, Readonly<Record<string, unknown>> & { mode: RuleMode }>>;
};

/**
 * Declares a rule module with its settings type inferred (an identity function, for type checking).
 * @example export default defineRule({ name: 'ceiling', scope: 'client', ... });
 */
export function defineRule<S>(def: RuleDef<S>): RuleDef<S> {
  return def;
}
