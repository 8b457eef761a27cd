// The decision engine: per-second counts in, decisions out (bans, rule alerts, unbans, global alerts, baseline
// recomputations). The rules come from the registry (enforcer/core/rules/): the engine keeps the windows, the baseline,
// the bans and the ladder, and asks each enabled rule. Pure: no I/O and no clock; every time is an argument (epoch
// seconds). The daemon and `warden replay` drive the same code.
import type {
  ActiveBan, Baseline, BanDecision, Decision, EngineStatus, HeavyClient, HeavyClients, OffenceRecord, RuleAlertCause,
  RuleAlertDecision, SecondBucket, UnbanDecision,
} from './types.js';
import type { EngineConfig } from './engine-config.js';
import { BaselineTracker, type HourSlot } from './baseline.js';
import { ClientWindows, SIG_4XX, SIG_5XX, SIG_AUTH, SIG_PROBE, SIG_TOTAL } from './client-windows.js';
import { SlotView, createPopulation } from './client-view.js';
import { OffenceBook, ladderDuration } from './ladder.js';
import { resolveRules } from './rules/resolve.js';
import { ruleInfo } from './rules/info.js';
import { zOf } from './rules/stats.js';
import type { Gate, Population, RuleHit, TickContext, WindowName } from './rules/types.js';
import { banKeyProblem, cidrEnds, normaliseBanKey } from '../net/cidr.js';
import { LearningPeriod, type LearningStatus } from './learning.js';
import { prefixOf, type PrefixSums } from './prefix-spread.js';
import { hourOf } from './baseline.js';

export { engineConfigFrom, originalVariant, type EngineConfig } from './engine-config.js';

/**
 * Seconds the population statistics (quantiles of the clients' sums, counts) are reused for: a pass over every client
 * and a sort per (signal, window) every tick would cost more than the rest of the tick, and what the other clients do
 * changes slowly (a flood's own seconds only raise the level, so a level a few seconds old is the safer one).
 */
export const POPULATION_EVERY = 5;

/** Seconds between two passes of the prefix rules (spread): a sum over every client, grouped by /24 and /48. */
export const PREFIX_EVERY = 5;

/** Seconds between two checks of the long-window gates (10 min, 1 h): those sums move by the minute. */
export const LONG_GATES_EVERY = 10;

/** A gate compiled for the per-client loop: window (0 main, 1 short, 2 10m, 3 1h), stored signal (-1: errors), lowest sum. */
interface GateCheck {
  w: number;
  sig: number;
  min: number;
}

/** Stored signal index of each signal (-1: errors, 4xx + 5xx). */
const SIGNAL_INDEX: Record<string, number> = { total: SIG_TOTAL, c4xx: SIG_4XX, c5xx: SIG_5XX, auth: SIG_AUTH, probe: SIG_PROBE, errors: -1 };

/**
 * What the engine needs from outside: the allow-list predicate (loopback, host addresses, configured CIDRs). Given a
 * network (a client key such as `2001:db8:1:2::/64`) it must say whether the network holds an allowed address
 * (buildMatcher does): such a network is never banned.
 */
export interface EngineOptions {
  isAllowed: (ip: string) => boolean;
}

/** The decision engine the daemon and replay drive. */
export interface Engine {
  /**
   * Adds per-second counts (IPs already normalised, as the counters protocol sends them). A second already in the
   * window adds up (late counts); one older than the window is dropped for per-IP rates. Banned IPs' counts are kept
   * out of the baseline.
   */
  ingest(buckets: SecondBucket[]): void;
  /** Advances to `nowSec` and returns what to do: unbans, baseline, bans, global alert (in that order). */
  tick(nowSec: number): Decision[];
  /** Restores active bans and offence counts from the database (at start); bans of allowed IPs are lifted at the next tick. */
  restore(active: ActiveBan[], offences: OffenceRecord[]): void;
  /** Restores hour-of-day slots saved earlier (optional; without it the slots learn again). */
  restoreHourlySlots(slots: Array<Pick<HourSlot, 'hour' | 'mean' | 'stddev' | 'samples'> & { errorMean?: number }>): void;
  /**
   * An operator's ban of an address or a network (`203.0.113.0/24`, `2001:db8::/64`; canonicalised; throws for an
   * invalid one, a network wider than MIN_BAN_PREFIX, an allow-listed address or a network holding one). It counts as an offence, so the
   * next automatic ban climbs the ladder; its own duration is the one given (null: permanent). Banning an IP already
   * banned replaces that ban (and counts again).
   */
  manualBan(ip: string, nowSec: number, durationSec: number | null, reason: string): BanDecision;
  /**
   * An operator's unban; null when the IP was not banned. The IP's window is cleared so it is not re-banned at once;
   * its offence count stays (the ladder remembers).
   */
  manualUnban(ip: string, nowSec: number): UnbanDecision | null;
  /** Replaces the allow-list predicate; banned IPs it now allows are unbanned at the next tick. */
  setAllow(fn: (ip: string) => boolean): void;
  /**
   * Lifts now (rather than at the next tick) every ban the allow-list covers: an operator who allow-lists a banned
   * client sees the ban go at once. Returns the unbans (reason `allowlisted`) for the daemon to apply.
   */
  liftAllowed(nowSec: number): UnbanDecision[];
  isBanned(ip: string): boolean;
  status(nowSec: number, topN?: number): EngineStatus;
  /**
   * The `n` heaviest clients by current rate, by 10-minute and by 1-hour volume (the dashboard's one-click allow-list).
   * @example engine.heaviest(now, 10).by1h[0] // { ip: '198.51.100.4', rate: 3.2, rate10m: 3.9, rate1h: 4.1, allowed: false }
   */
  heaviest(nowSec: number, n: number): HeavyClients;
  hourlySlots(): HourSlot[];
  baseline(): Baseline;
}

/**
 * Creates the decision engine.
 * @example
 *   const engine = createEngine(engineConfigFrom(config), { isAllowed: buildMatcher(['127.0.0.0/8', '::1']) });
 *   engine.ingest(buckets);
 *   for (const d of engine.tick(Math.floor(Date.now() / 1000))) apply(d);
 */
export function createEngine(cfg: EngineConfig, opts: EngineOptions): Engine {
  const W = cfg.window;
  let isAllowed = opts.isAllowed;
  let allowChanged = false;
  const windows = new ClientWindows(W, cfg.shortWindow);
  const tracker = new BaselineTracker(cfg);
  const learning = new LearningPeriod(cfg);
  let learningNow: LearningStatus = learning.update(0, 0);
  const offences = new OffenceBook(cfg.offenceMemory);
  const bans = new Map<string, ActiveBan>();
  /** Networks spared because they hold an allow-listed address: key -> when last audited (once per window). */
  const spared = new Map<string, number>();
  let nextExpiry = Infinity;
  const rules = resolveRules(cfg.detection);
  const seconds: Record<WindowName, number> = { main: W, short: cfg.shortWindow, '10m': 600, '1h': 3600 };
  const view = new SlotView(windows, seconds);
  /** The lowest factor the enabled modifiers can apply (for the gates of tightenable rules). */
  const minFactor = rules.modifiers.reduce((f, m) => f * m.rule.minFactor(m.settings), 1);
  /** Last alert per global rule, and per client and rule in mode alert (`rule\0ip`). */
  const lastGlobal = new Map<string, number>();
  const lastAlert = new Map<string, number>();

  let now: number | null = null;
  let lastRecompute = -Infinity;
  let current: Baseline = {
    mean: cfg.meanFloor, stddev: cfg.stddevFloor, errorMean: cfg.errorMeanFloor, rawMean: 0, rawStddev: 0, samples: 0,
    source: 'floor', computedAt: 0,
  };

  const addBan = (b: ActiveBan) => {
    bans.set(b.ip, b);
    if (b.until !== null && b.until < nextExpiry) nextExpiry = b.until;
  };

  const recomputeExpiry = () => {
    nextExpiry = Infinity;
    for (const b of bans.values()) if (b.until !== null && b.until < nextExpiry) nextExpiry = b.until;
  };

  const globalRates = (at: number) => {
    const s = tracker.sum(at - W, at);
    return { rate: s.total / W, errorRate: s.errors / W };
  };

  const banDecision = (
    ip: string, at: number, count: number, durationSec: number | null, fields: Pick<BanDecision, 'rule' | 'rate' | 'errorRate' | 'z' | 'tightened' | 'source'> & { reason?: string; threshold?: number; value?: number },
  ): BanDecision => {
    const d: BanDecision = {
      kind: 'ban', ip, at, until: durationSec === null ? null : at + durationSec, durationSec, step: count,
      baseline: current, ...fields,
    };
    addBan({ ip, since: at, until: d.until, step: count, rule: d.rule, rate: d.rate, source: d.source });
    return d;
  };

  // A banned IP's traffic is taken out of the baseline (its window's counts, and anything it still sends), so one
  // attack does not raise the thresholds for the next half hour; then its window is cleared (the evidence is used).
  let marks = new Uint8Array(1024);
  const emptyPopulation: Population = { clients: 0, quantile: () => 0, count: () => 0 };
  const context = (at: number, population: Population): TickContext => ({
    now: at, seconds, baseline: current, population, global: globalRates(at), minRequests: cfg.minRequests,
  });
  /** The tick's gates of the enabled client rules, merged per (signal, window) to the lowest. */
  const gatesOf = (ctx: TickContext): Gate[] => {
    const merged = new Map<string, Gate>();
    for (const r of rules.client) {
      for (const g of r.rule.gates(r.settings, ctx, r.rule.tightenable ? minFactor : 1)) {
        const k = `${g.signal}/${g.window}`;
        const m = merged.get(k);
        if (!m || g.min < m.min) merged.set(k, { ...g });
      }
    }
    return [...merged.values()];
  };

  const excludeAndForgive = (ips: string[]) => {
    if (ips.length === 0) return;
    if (marks.length < windows.limit) marks = new Uint8Array(windows.limit * 2);
    const slots = ips.map((ip) => windows.slotOf(ip)).filter((s) => s >= 0);
    if (slots.length) {
      for (const s of slots) marks[s] = 1;
      windows.forEachCounted(marks, (t, requests, errors) => tracker.add(t, -requests, -errors));
      for (const s of slots) marks[s] = 0;
    }
    for (const ip of ips) windows.forgive(ip);
  };

  let lastLongGates = -Infinity;
  let lastPrefix = -Infinity;
  const minPrefixClients = rules.prefix.reduce((m, r) => Math.min(m, r.rule.minClients(r.settings)), Infinity);

  /** Judges every prefix with enough active clients (banned and allow-listed clients left out) with the prefix rules. */
  const judgePrefixes = (at: number, ctx: TickContext, out: Decision[]): void => {
    const byPrefix = new Map<string, PrefixSums>();
    const limit = windows.limit;
    for (let slot = 0; slot < limit; slot++) {
      const requests = windows.requests(slot);
      if (!(requests > 0)) continue;
      const key = windows.keyAt(slot);
      if (key === undefined || allowedSlot(slot, key) || bans.has(key)) continue;
      const prefix = slotPrefix[slot];
      if (prefix === null) continue;
      const p = byPrefix.get(prefix);
      if (p === undefined) byPrefix.set(prefix, { key: prefix, clients: 1, total: requests });
      else {
        p.clients++;
        p.total += requests;
      }
    }
    const sums: PrefixSums[] = [];
    for (const p of byPrefix.values()) if (p.clients >= minPrefixClients) sums.push(p);
    for (const p of sums) {
      if (bans.has(p.key)) continue;
      for (const r of rules.prefix) {
        const hit = r.rule.judge(p, ctx, r.settings);
        if (hit === null) continue;
        const rate = p.total / W;
        if (r.mode === 'alert') {
          const k = `${r.rule.name}\0${p.key}`;
          const last = lastAlert.get(k);
          if (last !== undefined && at - last < cfg.alertCooldown) break;
          lastAlert.set(k, at);
          out.push({
            kind: 'rule_alert', ip: p.key, at, rule: r.rule.name, rate, errorRate: 0, z: zOf(rate, current),
            value: hit.value, threshold: hit.threshold, tightened: false, baseline: current, cause: 'mode',
          } satisfies RuleAlertDecision);
        } else if (isAllowed(p.key)) {
          // A prefix holding an allow-listed address is never banned: spared and audited, once per window.
          if ((spared.get(p.key) ?? -Infinity) <= at - W) {
            spared.set(p.key, at);
            out.push({ kind: 'spared', ip: p.key, at, rule: r.rule.name, rate, reason: 'allowlisted_inside' });
          }
        } else {
          const count = offences.record(p.key, at);
          out.push(banDecision(p.key, at, count, ladderDuration(cfg.ladder, count), {
            rule: r.rule.name, rate, errorRate: 0, z: zOf(rate, current), tightened: false, source: 'auto',
            threshold: hit.threshold, value: hit.value,
          }));
        }
        break;
      }
    }
  };
  /** The compiled gates and what they were computed from. */
  let gatesFor: { population: Population | null; baseline: Baseline | null; all: GateCheck[]; short: GateCheck[] } = {
    population: null, baseline: null, all: [], short: [],
  };
  /** The population statistics in use and when they were taken (refreshed every POPULATION_EVERY seconds). */
  let population: Population | null = null;
  let populationAt = -Infinity;

  /**
   * Per slot: the key it was last seen with, whether that key is allow-listed, and its /24 or /48 (the population and
   * the prefix rules ask about every client every few seconds; the allow-list matcher and the prefix parse run once
   * per client). A slot reused for another key is seen again.
   */
  let slotKey: Array<string | undefined> = [];
  let slotAllowed = new Uint8Array(0);
  const slotPrefix: Array<string | null> = [];
  const slotInfo = (slot: number, key: string): void => {
    if (slot >= slotAllowed.length) {
      const grown = new Uint8Array(Math.max(1024, windows.limit * 2));
      grown.set(slotAllowed);
      slotAllowed = grown;
    }
    if (slotKey[slot] === key) return;
    slotKey[slot] = key;
    slotAllowed[slot] = isAllowed(key) ? 1 : 0;
    slotPrefix[slot] = prefixOf(key);
  };
  const allowedSlot = (slot: number, key: string): boolean => {
    slotInfo(slot, key);
    return slotAllowed[slot] === 1;
  };

  const tick = (nowSec: number): Decision[] => {
    nowSec = Math.floor(nowSec);
    const out: Decision[] = [];
    if (now === null) {
      tracker.observeFrom(nowSec);
      now = nowSec;
    } else if (nowSec < now) {
      return out; // the clock went back: wait until it catches up
    }
    const prev = now;
    now = nowSec;

    // 1. Close the seconds that left the per-IP window (into the hour slots; idle ones as zeros; late enough that a
    // banned IP's traffic is already taken out) and slide the per-IP windows.
    tracker.complete(prev - W, nowSec - W);
    windows.advance(nowSec);

    // 2. Unbans: bans that ran out, and bans of IPs the allow-list now covers.
    if (nowSec >= nextExpiry || allowChanged) {
      for (const [ip, b] of bans) {
        if (b.until !== null && b.until <= nowSec) {
          bans.delete(ip);
          // What it sent while banned (refused by nginx, or never seen behind a firewall) is not held against it
          // again: from now on only new traffic counts, so a short ban cannot be re-imposed from the old flood.
          windows.forgive(ip);
          out.push({ kind: 'unban', ip, at: nowSec, reason: 'expired' });
        } else if (allowChanged && isAllowed(ip)) {
          bans.delete(ip);
          out.push({ kind: 'unban', ip, at: nowSec, reason: 'allowlisted' });
        }
      }
      allowChanged = false;
      recomputeExpiry();
    }

    // 3. The baseline, when due.
    if (nowSec - lastRecompute >= cfg.recomputeInterval) {
      current = tracker.compute(nowSec);
      lastRecompute = nowSec;
      offences.prune(nowSec);
      for (const [k, at] of spared) if (at <= nowSec - W) spared.delete(k);
      for (const [k, at] of lastAlert) if (nowSec - at >= cfg.alertCooldown) lastAlert.delete(k);
      out.push({ kind: 'baseline', at: nowSec, baseline: current, globalRate: globalRates(nowSec).rate });
    }

    // The learning period: until the baseline holds enough history, rules that compare with it only alert.
    if (learning.learning) learningNow = learning.update(tracker.observedSeconds(nowSec), tracker.slot(hourOf(nowSec)).samples);

    // 4. Every client: its sums against the lowest gate of the enabled rules (for today's rules one comparison of its
    // requests), the rules only for the few above one.
    if (population === null || nowSec - populationAt >= POPULATION_EVERY || nowSec < populationAt) {
      population = createPopulation(windows, nowSec, allowedSlot);
      populationAt = nowSec;
    }
    const ctx = context(nowSec, population);
    // Long-window gates (10 min, 1 h: requests per minute) are checked every LONG_GATES_EVERY seconds only.
    const long = nowSec - lastLongGates >= LONG_GATES_EVERY || nowSec < lastLongGates;
    if (long) lastLongGates = nowSec;
    // The gates depend on the baseline and the population only: compiled again when either was refreshed.
    if (gatesFor.population !== population || gatesFor.baseline !== current) {
      const all = gatesOf(ctx);
      gatesFor = {
        population, baseline: current, all: compileGates(all),
        short: compileGates(all.filter((g) => g.window !== '10m' && g.window !== '1h')),
      };
    }
    const checks = long ? gatesFor.all : gatesFor.short;
    const limit = windows.limit;
    const banned: string[] = [];
    const mainTotal = checks.length === 1 && checks[0].sig === SIG_TOTAL && checks[0].w === 0 ? checks[0].min : -1;
    for (let slot = 0; slot < limit; slot++) {
      if (mainTotal >= 0) {
        const requests = windows.requests(slot);
        if (requests < mainTotal || requests <= 0) continue;
      } else if (!passes(checks, slot, nowSec)) continue;
      const ip = windows.keyAt(slot);
      if (ip === undefined) continue;
      const d = judge(view.at(slot, ip, nowSec), ctx);
      if (d === null || bans.has(ip)) continue;
      // Keys come from nginx unchecked: only a canonical address or a network no wider than MIN_BAN_PREFIX is ever
      // banned (never `128.0.0.0/1`, `::/0`, `2001:DB8::1`, `$(cmd)`: a garbled or forged answer bans nobody).
      if (normaliseBanKey(ip) !== ip || banKeyProblem(ip) !== null) continue;
      if (isAllowed(ip)) {
        // An allow-listed address is skipped silently; a network (an IPv6 client's /64) holding one is spared and audited.
        // A network wholly inside the allow-list (both ends allowed) is as silent as an allowed address.
        if (d.kind === 'ban' && ip.indexOf('/') >= 0 && (spared.get(ip) ?? -Infinity) <= nowSec - W && !whollyAllowed(ip)) {
          spared.set(ip, nowSec);
          out.push({ kind: 'spared', ip, at: nowSec, rule: d.rule, rate: windows.requests(slot) / W, reason: 'allowlisted_inside' });
        }
        continue;
      }
      if (d.kind === 'alert') {
        const k = `${d.rule}\0${ip}`;
        const last = lastAlert.get(k);
        if (last !== undefined && nowSec - last < cfg.alertCooldown) continue;
        lastAlert.set(k, nowSec);
        const requests = windows.requests(slot);
        const errors = windows.errors(slot);
        out.push({
          kind: 'rule_alert', ip, at: nowSec, rule: d.rule, rate: requests / W, errorRate: errors / W, z: zOf(requests / W, current),
          value: d.hit.value, threshold: d.hit.threshold, tightened: d.tightened, baseline: current, cause: d.cause ?? 'mode',
        } satisfies RuleAlertDecision);
        continue;
      }
      const requests = windows.requests(slot);
      const errors = windows.errors(slot);
      const count = offences.record(ip, nowSec);
      out.push(banDecision(ip, nowSec, count, ladderDuration(cfg.ladder, count), {
        rule: d.rule, rate: requests / W, errorRate: errors / W, z: zOf(requests / W, current), tightened: d.tightened,
        source: 'auto', threshold: d.hit.threshold, value: d.hit.value,
      }));
      banned.push(ip);
    }
    excludeAndForgive(banned);

    // 4b. Prefix rules (spread), every PREFIX_EVERY seconds: the clients' main-window requests summed per /24 and /48.
    if (rules.prefix.length > 0 && (nowSec - lastPrefix >= PREFIX_EVERY || nowSec < lastPrefix)) {
      lastPrefix = nowSec;
      judgePrefixes(nowSec, ctx, out);
    }

    // 5. The global rules: alert only, each at most once per its cooldown; the site's rate without what was just banned.
    const gctx = banned.length > 0 ? context(nowSec, ctx.population) : ctx;
    for (const g of rules.global) {
      const last = lastGlobal.get(g.rule.name) ?? -Infinity;
      if (nowSec - last < g.rule.cooldown(g.settings)) continue;
      const hit = g.rule.judge(gctx, g.settings);
      if (hit === null) continue;
      lastGlobal.set(g.rule.name, nowSec);
      out.push({
        kind: 'global_alert', at: nowSec, rate: gctx.global.rate, z: hit.z, rule: hit.condition, by: g.rule.name, baseline: current,
        threshold: hit.threshold, value: hit.value,
      });
    }
    return out;
  };

  /**
   * The lowest rate over the main window (req/s) at which a client is banned now, untightened: the lowest request gate
   * of the rules in mode ban, for status displays (rounded to 1e-6, the gates sit just below their threshold).
   */
  const banRateOf = (at: number): number => {
    const ctx = context(at, emptyPopulation);
    let min = Infinity;
    for (const r of rules.client) {
      if (r.mode !== 'ban' || (r.rule.learns && learningNow.learning)) continue;
      for (const g of r.rule.gates(r.settings, ctx, 1)) if (g.signal === 'total' && g.window === 'main' && g.min < min) min = g.min;
    }
    return Math.round((min / W) * 1e6) / 1e6;
  };

  /**
   * Gates as flat checks: the window (0 main, 1 short, 2 10m, 3 1h), the stored signal index (-1: 4xx + 5xx) and the
   * lowest sum; read straight from the windows' arrays for every client of every tick.
   */
  const compileGates = (gs: Gate[]): GateCheck[] =>
    gs.map((g) => ({ w: ['main', 'short', '10m', '1h'].indexOf(g.window), sig: SIGNAL_INDEX[g.signal], min: g.min }));

  /** True when one gate is met by the slot (a sum of at least its min, and more than nothing). */
  const passes = (checks: GateCheck[], slot: number, at: number): boolean => {
    for (let i = 0; i < checks.length; i++) {
      const c = checks[i];
      let v: number;
      if (c.w === 0) v = c.sig < 0 ? windows.main(slot, SIG_4XX) + windows.main(slot, SIG_5XX) : windows.main(slot, c.sig);
      else if (c.w === 1) v = c.sig < 0 ? windows.short(slot, SIG_4XX) + windows.short(slot, SIG_5XX) : windows.short(slot, c.sig);
      else if (c.w === 2) v = windows.tenMinutes(slot, at);
      else v = windows.hour(slot, at);
      if (v >= c.min && v > 0) return true;
    }
    return false;
  };

  /**
   * Asks the enabled client rules, in order, about one client: the first in mode ban that fires bans; otherwise the
   * first in mode alert (or a ban that only a modifier in mode alert made) alerts. Null: nothing fired.
   */
  const judge = (client: SlotView, ctx: TickContext):
    { kind: 'ban' | 'alert'; rule: string; hit: RuleHit; tightened: boolean; cause?: RuleAlertCause } | null => {
    let factor = 1;
    let alertFactor = 1;
    for (const m of rules.modifiers) {
      const f = m.rule.factor(client, ctx, m.settings);
      factor *= f;
      if (m.mode === 'ban') alertFactor *= f;
    }
    let alert: { kind: 'alert'; rule: string; hit: RuleHit; tightened: boolean; cause: RuleAlertCause } | null = null;
    for (const r of rules.client) {
      const f = r.rule.tightenable ? factor : 1;
      const hit = r.rule.judge(client, ctx, r.settings, f);
      if (hit === null) continue;
      if (r.mode === 'ban' && !(r.rule.learns && learningNow.learning)) {
        // A modifier in mode alert may tighten, but not ban: the rule must fire without its factor too.
        if (f === (r.rule.tightenable ? alertFactor : 1)) return { kind: 'ban', rule: r.rule.name, hit, tightened: f < 1 };
        const strict = r.rule.judge(client, ctx, r.settings, r.rule.tightenable ? alertFactor : 1);
        if (strict !== null) return { kind: 'ban', rule: r.rule.name, hit: strict, tightened: alertFactor < 1 };
      }
      alert ??= { kind: 'alert', rule: r.rule.name, hit, tightened: f < 1, cause: r.mode === 'ban' && r.rule.learns && learningNow.learning ? 'learning' : 'mode' };
    }
    return alert;
  };

  /** True when both ends of a network are allowed (it lies inside the allow-list rather than holding part of it). */
  const whollyAllowed = (cidr: string): boolean => {
    const ends = cidrEnds(cidr);
    return ends !== null && isAllowed(ends[0]) && isAllowed(ends[1]);
  };

  const canonical = (ip: string): string => {
    const n = normaliseBanKey(ip);
    if (n === null) throw new Error(`not an IP address or CIDR: ${JSON.stringify(ip)}`);
    const problem = banKeyProblem(n);
    if (problem) throw new Error(problem);
    return n;
  };

  return {
    ingest(buckets) {
      const cutoff = now === null ? -Infinity : now - cfg.baselineWindow - W;
      const checkBans = bans.size > 0;
      for (const b of buckets) {
        const t = Math.floor(b.t);
        let total = b.global[0];
        let errors = b.global[1] + b.global[2];
        const rows = b.rows;
        if (rows !== undefined) {
          // The same walk over columns: no object per client, and the slot found by the source's id for the key.
          const { keys, ids, counts } = rows;
          const inWindow = t >= windows.windowStart;
          for (let i = 0, o = 0; i < rows.n; i++, o += 5) {
            const c0 = counts[o];
            if (!(c0 > 0) || ids[i] < 0) continue;
            const ip = keys[i];
            if (inWindow) windows.addAt(windows.slotForId(ids[i], ip), t, counts, o);
            if (checkBans && bans.has(ip)) {
              total -= c0;
              errors -= counts[o + 1] + counts[o + 2];
            }
          }
          if (t >= cutoff) tracker.add(t, Math.max(0, total), Math.max(0, errors));
          continue;
        }
        for (const ip in b.ips) {
          const c = b.ips[ip];
          // Entries come from nginx unchecked (checking 100k of them separately costs tens of ms): skip bad ones here.
          if (!Array.isArray(c) || c.length < 3 || !(c[0] > 0)) continue;
          windows.add(t, ip, c);
          if (checkBans && bans.has(ip)) {
            total -= c[0];
            errors -= c[1] + c[2];
          }
        }
        if (t >= cutoff) tracker.add(t, Math.max(0, total), Math.max(0, errors));
      }
    },

    tick,

    restore(active, offenceRecords) {
      for (const b of active) addBan({ ...b });
      offences.restore(offenceRecords);
      // A restored ban of an address allowed since (an admin who added themselves and restarted) is lifted at the next tick.
      allowChanged = true;
    },

    restoreHourlySlots(slots) {
      tracker.restoreSlots(slots);
    },

    manualBan(ip, nowSec, durationSec, reason) {
      const n = canonical(ip);
      if (isAllowed(n)) {
        throw new Error(n.indexOf('/') >= 0
          ? `${n} holds an allow-listed address (loopback, this host or configured): not banning it`
          : `${n} is on the allow-list (loopback, this host or configured): not banning it`);
      }
      const slot = windows.slotOf(n);
      const requests = slot >= 0 ? windows.requests(slot) : 0;
      const errors = slot >= 0 ? windows.errors(slot) : 0;
      const count = offences.record(n, nowSec);
      bans.delete(n);
      const d = banDecision(n, nowSec, count, durationSec, {
        rule: 'manual', rate: requests / W, errorRate: errors / W, z: zOf(requests / W, current), tightened: false,
        source: 'manual', reason,
      });
      excludeAndForgive([n]);
      // No recomputeExpiry() here (it walks every ban: a bulk load of 100,000 was quadratic, minutes): banDecision
      // lowered nextExpiry for the new ban; one replaced ban can only leave it early, and the next sweep fixes that.
      return d;
    },

    manualUnban(ip, nowSec) {
      const n = normaliseBanKey(ip) ?? ip;
      if (!bans.delete(n)) return null;
      windows.forgive(n);
      recomputeExpiry();
      return { kind: 'unban', ip: n, at: nowSec, reason: 'manual' };
    },

    setAllow(fn) {
      isAllowed = fn;
      slotKey = [];
      allowChanged = true;
    },

    liftAllowed(nowSec) {
      const out: UnbanDecision[] = [];
      for (const ip of bans.keys()) {
        if (!isAllowed(ip)) continue;
        bans.delete(ip);
        out.push({ kind: 'unban', ip, at: nowSec, reason: 'allowlisted' });
      }
      if (out.length) recomputeExpiry();
      return out;
    },

    isBanned(ip) {
      return bans.has(ip) || bans.has(normaliseBanKey(ip) ?? ip);
    },

    heaviest(nowSec, n) {
      const at = Math.floor(nowSec);
      const k = Math.max(0, Math.min(100, Math.floor(n)));
      // Three bounded top-k lists in one pass over the slots (insertion into a sorted list of at most k entries).
      const lists: HeavyClient[][] = [[], [], []];
      const keys: Array<(c: HeavyClient) => number> = [(c) => c.rate, (c) => c.rate10m, (c) => c.rate1h];
      const limit = k > 0 ? windows.limit : 0;
      // The long windows count whole minutes: the current one (so far) and the 9 or 59 before it.
      const span10m = 540 + (at % 60);
      const span1h = 3540 + (at % 60);
      for (let slot = 0; slot < limit; slot++) {
        const ip = windows.keyAt(slot);
        if (ip === undefined) continue;
        const hour = windows.hour(slot, at);
        const main = windows.requests(slot);
        if (hour <= 0 && main <= 0) continue;
        let c: HeavyClient | null = null;
        for (let i = 0; i < 3; i++) {
          const list = lists[i];
          const v = i === 0 ? main / W : i === 1 ? windows.tenMinutes(slot, at) / span10m : hour / span1h;
          if (v <= 0 || (list.length === k && v <= keys[i](list[k - 1]))) continue;
          c ??= { ip, rate: main / W, rate10m: windows.tenMinutes(slot, at) / span10m, rate1h: hour / span1h, allowed: false };
          let j = list.length;
          while (j > 0 && keys[i](list[j - 1]) < v) j--;
          list.splice(j, 0, c);
          if (list.length > k) list.pop();
        }
      }
      for (const list of lists) for (const c of list) c.allowed = isAllowed(c.ip);
      return { now: at, byRate: lists[0], by10m: lists[1], by1h: lists[2] };
    },

    status(nowSec, topN = 10) {
      const g = globalRates(Math.floor(nowSec));
      const top: Array<{ ip: string; rate: number; errorRate: number }> = [];
      if (topN > 0) {
        const limit = windows.limit;
        let minRequests = 0;
        for (let slot = 0; slot < limit; slot++) {
          const r = windows.requests(slot);
          if (r <= 0 || (top.length === topN && r <= minRequests)) continue;
          const ip = windows.keyAt(slot);
          if (ip === undefined) continue;
          top.push({ ip, rate: r / W, errorRate: windows.errors(slot) / W });
          top.sort((a, b) => b.rate - a.rate);
          if (top.length > topN) top.pop();
          minRequests = top[top.length - 1].rate * W;
        }
      }
      return {
        now: nowSec,
        globalRate: g.rate,
        globalErrorRate: g.errorRate,
        baseline: current,
        thresholds: {
          zscore: cfg.detection.zscore, multiplier: cfg.detection.multiplier, maxIpRate: cfg.detection.max_ip_rate,
          errorSurge: cfg.detection.error_surge, tightenFactor: cfg.detection.tighten_factor,
        },
        banRate: banRateOf(Math.floor(nowSec)),
        rules: ruleInfo(cfg.detection),
        learning: { ...learningNow },
        topIps: top,
        activeIps: windows.size,
        activeBans: [...bans.values()].map((b) => ({ ...b })),
      };
    },

    hourlySlots() {
      return tracker.slots();
    },

    baseline() {
      return current;
    },
  };
}
