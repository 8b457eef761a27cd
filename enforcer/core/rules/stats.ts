// Small statistics the rules share.
import type { Baseline } from '../types.js';

/**
 * z-score of a rate against a baseline; with no spread (stddev 0, only without a floor) any rate above the mean
 * is infinitely far.
 * @example zOf(4, { mean: 1, stddev: 0.5 }) === 6
 */
export function zOf(rate: number, b: Pick<Baseline, 'mean' | 'stddev'>): number {
  if (b.stddev > 0) return (rate - b.mean) / b.stddev;
  return rate > b.mean ? Infinity : 0;
}

/** Just below `x`: a gate at `below(x)` lets a sum equal to x through despite floating-point rounding. */
export function below(x: number): number {
  return x * (1 - 1e-9);
}

/** The scale factor that turns a MAD into a normal distribution's standard deviation. */
export const MAD_TO_SIGMA = 1.4826;
