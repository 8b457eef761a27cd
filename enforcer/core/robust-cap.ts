// The poisoning guard of the baseline: the highest per-second global count that is still "normal" traffic, from the
// median and MAD of recent seconds. Seconds above it (a spray from thousands of addresses, a flood, a flash crowd)
// are learned at the cap, so a surge cannot teach the baseline that surges are normal.
import { MAD_TO_SIGMA } from './rules/stats.js';

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
  const sigma = Math.max(madOfSorted(v, median) * MAD_TO_SIGMA, Math.sqrt(median));
  return Math.max(opts.floor, median + opts.sigmas * sigma);
}

function medianOfSorted(v: Float64Array): number {
  const n = v.length;
  if (n === 0) return 0;
  const mid = n >> 1;
  return n % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/**
 * The median of |v[i] - m| for sorted v, without a second sort: the deviations below m (read leftwards) and above it
 * (read rightwards) are two ascending runs; merging them up to the middle rank finds it.
 */
function madOfSorted(v: Float64Array, m: number): number {
  const n = v.length;
  let hi = 0;
  while (hi < n && v[hi] < m) hi++;
  let lo = hi - 1;
  const k = (n - 1) >> 1; // the lower middle rank; for even n the upper one is the next
  let prev = 0;
  for (let r = 0; r <= k + 1 && r < n; r++) {
    const dl = lo >= 0 ? m - v[lo] : Infinity;
    const dh = hi < n ? v[hi] - m : Infinity;
    let d: number;
    if (dl <= dh) {
      d = dl;
      lo--;
    } else {
      d = dh;
      hi++;
    }
    if (r === k) {
      if (n % 2 === 1) return d;
      prev = d;
    } else if (r === k + 1) return (prev + d) / 2;
  }
  return prev;
}
