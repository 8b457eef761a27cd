// The decision engine: per-second counts in, decisions out (bans, unbans, global alerts, baseline recomputations).
// Pure: no I/O and no clock; every time is an argument (epoch seconds). The daemon and `warden replay` drive the same code.
import type {
  ActiveBan, Baseline, BanDecision, Decision, EngineStatus, OffenceRecord, SecondBucket, UnbanDecision,
} from './types.js';
import type { EngineConfig } from './engine-config.js';
import { BaselineTracker, type HourSlot } from './baseline.js';
import { IpWindows } from './ip-windows.js';
import { OffenceBook, ladderDuration } from './ladder.js';
import { banRate, judgeGlobal, judgeIp, zOf, type Thresholds } from './rules.js';
import { normaliseIp } from '../net/ip.js';

export { engineConfigFrom, originalVariant, type EngineConfig } from './engine-config.js';

/** What the engine needs from outside: the allow-list predicate (loopback, host addresses, configured CIDRs). */
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
   * An operator's ban (canonicalises `ip`; throws for an invalid or allow-listed one). It counts as an offence, so the
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
  isBanned(ip: string): boolean;
  status(nowSec: number, topN?: number): EngineStatus;
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
  const windows = new IpWindows(W);
  const tracker = new BaselineTracker(cfg);
  const offences = new OffenceBook(cfg.offenceMemory);
  const bans = new Map<string, ActiveBan>();
  let nextExpiry = Infinity;
  const thresholds: Thresholds = {
    zscore: cfg.zscore, multiplier: cfg.multiplier, maxIpRate: cfg.maxIpRate, errorSurge: cfg.errorSurge,
    tightenFactor: cfg.tightenFactor, minRequests: cfg.minRequests,
  };

  /** Samples the baseline needs before global alerts: five windows' worth. */
  const globalWarmup = 5 * W;
  let now: number | null = null;
  let lastRecompute = -Infinity;
  let lastGlobalAlert = -Infinity;
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
    ip: string, at: number, count: number, durationSec: number | null, fields: Pick<BanDecision, 'rule' | 'rate' | 'errorRate' | 'z' | 'tightened' | 'source'> & { reason?: string; threshold?: number },
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
      out.push({ kind: 'baseline', at: nowSec, baseline: current, globalRate: globalRates(nowSec).rate });
    }

    // 4. Every IP active in the window: one comparison each against the lowest (tightened) ban rate, the rules
    // only for the few above it.
    const f = cfg.tightenFactor;
    const floorRequests = Math.max(cfg.minRequests, Math.min(
      (current.mean + cfg.zscore * f * current.stddev) * W, cfg.multiplier * f * current.mean * W,
      cfg.maxIpRate > 0 ? cfg.maxIpRate * f * W : Infinity,
    ) * (1 - 1e-9));
    const limit = windows.limit;
    const banned: string[] = [];
    for (let slot = 0; slot < limit; slot++) {
      const requests = windows.requests(slot);
      if (requests < floorRequests || requests <= 0) continue;
      const errors = windows.errors(slot);
      const v = judgeIp(requests, errors, W, current, thresholds);
      if (!v.ban) continue;
      const ip = windows.ipAt(slot);
      if (ip === undefined || bans.has(ip) || isAllowed(ip)) continue;
      const count = offences.record(ip, nowSec);
      out.push(banDecision(ip, nowSec, count, ladderDuration(cfg.ladder, count), {
        rule: v.rule!, rate: requests / W, errorRate: errors / W, z: v.z, tightened: v.tightened, source: 'auto', threshold: v.threshold,
      }));
      banned.push(ip);
    }
    excludeAndForgive(banned);

    // 5. The global surge: alert only, once per cooldown, and only once the baseline has learned something
    // (at start the floors are all there is, and ordinary traffic would look like a surge).
    if (nowSec - lastGlobalAlert >= cfg.globalCooldown && current.samples >= globalWarmup) {
      const g = globalRates(nowSec);
      const v = judgeGlobal(g.rate, current, thresholds);
      if (v.surge) {
        lastGlobalAlert = nowSec;
        out.push({ kind: 'global_alert', at: nowSec, rate: g.rate, z: v.z, rule: v.rule!, baseline: current, threshold: v.threshold });
      }
    }
    return out;
  };

  const canonical = (ip: string): string => {
    const n = normaliseIp(ip);
    if (n === null) throw new Error(`not an IP address: ${JSON.stringify(ip)}`);
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
        for (const ip in b.ips) {
          const c = b.ips[ip];
          // Entries come from nginx unchecked (checking 100k of them separately costs tens of ms): skip bad ones here.
          if (!Array.isArray(c) || c.length < 3 || !(c[0] > 0)) continue;
          windows.add(t, ip, c[0], (c[1] || 0) + (c[2] || 0));
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
      if (isAllowed(n)) throw new Error(`${n} is on the allow-list (loopback, this host or configured): not banning it`);
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
      const n = normaliseIp(ip) ?? ip;
      if (!bans.delete(n)) return null;
      windows.forgive(n);
      recomputeExpiry();
      return { kind: 'unban', ip: n, at: nowSec, reason: 'manual' };
    },

    setAllow(fn) {
      isAllowed = fn;
      allowChanged = true;
    },

    isBanned(ip) {
      return bans.has(ip) || bans.has(normaliseIp(ip) ?? ip);
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
          const ip = windows.ipAt(slot);
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
        thresholds: { zscore: cfg.zscore, multiplier: cfg.multiplier, maxIpRate: cfg.maxIpRate, errorSurge: cfg.errorSurge, tightenFactor: cfg.tightenFactor },
        banRate: banRate(current, thresholds),
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
