// Memory trend of a long run: least-squares slope and first-third vs last-third medians of samples after a warm-up.

/** One sample: seconds since the start, and a value (bytes). */
export interface Sample { t: number; v: number }

/** What the trend of a series says. */
export interface Trend {
  /** Samples used (after the warm-up). */
  n: number;
  /** Least-squares slope, bytes per minute. */
  slopePerMin: number;
  /** Medians of the first and last third of the used samples, bytes. */
  firstMedian: number;
  lastMedian: number;
  /** lastMedian / firstMedian. */
  ratio: number;
}

/** Median of a list (the upper one of the two middle values for an even length); NaN when empty. */
export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * The trend of the samples taken at or after `warmupSec`.
 * @example trend([{ t: 0, v: 9 }, { t: 60, v: 10 }, { t: 120, v: 10 }, { t: 180, v: 10 }], 60).slopePerMin // 0
 */
export function trend(samples: Sample[], warmupSec: number): Trend {
  const xs = samples.filter((s) => s.t >= warmupSec);
  const n = xs.length;
  if (n < 3) return { n, slopePerMin: NaN, firstMedian: NaN, lastMedian: NaN, ratio: NaN };
  const mt = xs.reduce((a, s) => a + s.t, 0) / n;
  const mv = xs.reduce((a, s) => a + s.v, 0) / n;
  let num = 0;
  let den = 0;
  for (const s of xs) {
    num += (s.t - mt) * (s.v - mv);
    den += (s.t - mt) ** 2;
  }
  const third = Math.max(1, Math.floor(n / 3));
  const firstMedian = median(xs.slice(0, third).map((s) => s.v));
  const lastMedian = median(xs.slice(n - third).map((s) => s.v));
  return { n, slopePerMin: den > 0 ? (num / den) * 60 : 0, firstMedian, lastMedian, ratio: lastMedian / firstMedian };
}

/**
 * Flat enough: the last third's median is at most `maxGrowth` (a fraction) or `maxBytes` above the first third's,
 * whichever allows more (small processes jitter by a few MB whatever they do).
 * @example isFlat({ firstMedian: 100e6, lastMedian: 104e6 } as Trend, 0.1, 5e6) // true
 */
export function isFlat(t: Trend, maxGrowth: number, maxBytes: number): boolean {
  if (!Number.isFinite(t.ratio)) return false;
  return t.lastMedian - t.firstMedian <= Math.max(maxGrowth * t.firstMedian, maxBytes);
}
