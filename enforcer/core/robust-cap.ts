// The poisoning guard of the baseline: the highest per-second global count that is still "normal" traffic, from the
// median and MAD of recent seconds. Seconds above it (a spray from thousands of addresses, a flood, a flash crowd)
// are learned at the cap, so a surge cannot teach the baseline that surges are normal.
import { MAD_TO_SIGMA } from './population-stats.js';

/** How the cap is set. */
export interface RobustCapOptions {
  /** Robust standard deviations above the median (0: no cap). */
  sigmas: number;
  /** The cap is never below this many requests per second (page loads make single seconds spiky). */
  floor: number;
}

/**
 * The cap for per-second counts: median + `sigmas` x max(MAD x 1.4826, sqrt(median)), at least `floor`; Infinity when
 * `sigmas` is 0 or there are no values. `values` is scratch: it is sorted in place.
 * The sqrt(median) term is the spread of a Poisson count with that mean: on a steady site the MAD can be tiny, and
 * a cap right above the median would clip ordinary seconds.
 * @example robustCap(Float64Array.from([10, 12, 9, 11, 10, 400]), 6, { sigmas: 10, floor: 50 }) // 10.5 + 10 x 3.24 = 42.9 -> 50
 */
export function robustCap(values: Float64Array, n: number, opts: RobustCapOptions): number {
  if (!(opts.sigmas > 0) || n <= 0) return Infinity;
  const v = values.subarray(0, n).sort();
  const median = medianOfSorted(v);
  for (let i = 0; i < n; i++) v[i] = Math.abs(v[i] - median);
  v.sort();
  const sigma = Math.max(medianOfSorted(v) * MAD_TO_SIGMA, Math.sqrt(median));
  return Math.max(opts.floor, median + opts.sigmas * sigma);
}

function medianOfSorted(v: Float64Array): number {
  const n = v.length;
  if (n === 0) return 0;
  const mid = n >> 1;
  return n % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}
