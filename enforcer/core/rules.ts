// The detection rules as pure functions: z-score, rate multiplier, error-surge tightening, and the global surge check.
import type { Baseline, Rule } from './types.js';

/** The thresholds the rules compare against. */
export interface Thresholds {
  zscore: number;
  multiplier: number;
  /** Absolute ceiling, req/s (0: off). */
  maxIpRate: number;
  errorSurge: number;
  tightenFactor: number;
  minRequests: number;
}

/** What the rules say about one IP. */
export interface Verdict {
  ban: boolean;
  rule: Exclude<Rule, 'manual'> | null;
  z: number;
  tightened: boolean;
  /** The threshold in force for `rule` (after tightening): a z-score, a multiple of the mean, or req/s (ceiling). */
  threshold?: number;
}

/**
 * z-score of a rate against a baseline; with no spread (stddev 0, only without a floor) any rate above the mean
 * is infinitely far.
 * @example zOf(4, { mean: 1, stddev: 0.5 }) === 6
 */
export function zOf(rate: number, b: Pick<Baseline, 'mean' | 'stddev'>): number {
  if (b.stddev > 0) return (rate - b.mean) / b.stddev;
  return rate > b.mean ? Infinity : 0;
}

/**
 * Judges one IP: banned when it had at least `minRequests` in the window and its z-score is over the threshold,
 * its rate is over `multiplier` times the mean, or its rate is over the absolute ceiling `maxIpRate`. An error rate
 * over `errorSurge` times the baseline error mean multiplies all three by `tightenFactor`. The first rule that fires
 * is reported, in that order.
 * @example judgeIp(150, 0, 60, { mean: 1, stddev: 0.5, errorMean: 0.1 }, t) // { ban: false, ... } (2.5 req/s: z = 3, not > 3)
 */
export function judgeIp(
  requests: number,
  errors: number,
  window: number,
  b: Pick<Baseline, 'mean' | 'stddev' | 'errorMean'>,
  t: Thresholds,
): Verdict {
  const rate = requests / window;
  const z = zOf(rate, b);
  const tightened = errors / window > t.errorSurge * b.errorMean;
  if (requests < t.minRequests || requests <= 0) return { ban: false, rule: null, z, tightened };
  const f = tightened ? t.tightenFactor : 1;
  if (z > t.zscore * f) return { ban: true, rule: 'zscore', z, tightened, threshold: t.zscore * f };
  if (rate > t.multiplier * f * b.mean) return { ban: true, rule: 'multiplier', z, tightened, threshold: t.multiplier * f };
  if (t.maxIpRate > 0 && rate > t.maxIpRate * f) return { ban: true, rule: 'ceiling', z, tightened, threshold: t.maxIpRate * f };
  return { ban: false, rule: null, z, tightened };
}

/**
 * The lowest per-IP rate (req/s) that is banned under a baseline (untightened), for status displays.
 * @example banRate({ mean: 1, stddev: 0.5 }, { zscore: 3, multiplier: 5, maxIpRate: 30 }) === 2.5
 */
export function banRate(b: Pick<Baseline, 'mean' | 'stddev'>, t: Pick<Thresholds, 'zscore' | 'multiplier' | 'maxIpRate'>): number {
  const relative = Math.min(b.mean + t.zscore * b.stddev, t.multiplier * b.mean);
  return t.maxIpRate > 0 ? Math.min(relative, t.maxIpRate) : relative;
}

/**
 * Judges the global rate: a surge when its z-score or its ratio to the mean is over the thresholds. Alert only.
 * @example judgeGlobal(10, { mean: 1, stddev: 0.5 }, { zscore: 3, multiplier: 5 }) // { surge: true, rule: 'zscore', z: 18 }
 */
export function judgeGlobal(
  rate: number,
  b: Pick<Baseline, 'mean' | 'stddev'>,
  t: Pick<Thresholds, 'zscore' | 'multiplier'>,
): { surge: boolean; rule: 'zscore' | 'multiplier' | null; z: number; threshold?: number } {
  const z = zOf(rate, b);
  if (z > t.zscore) return { surge: true, rule: 'zscore', z, threshold: t.zscore };
  if (rate > t.multiplier * b.mean) return { surge: true, rule: 'multiplier', z, threshold: t.multiplier };
  return { surge: false, rule: null, z };
}
