// Robust statistics of the client population (quantiles, median and MAD of per-client counts) from a fixed-size
// log-scale histogram: one pass over the active clients, no sort, no allocation per client, whatever their number.

/** What the population looked like at one moment: quantiles of per-client counts over some window. */
export interface PopulationSnapshot {
  /** Clients with at least one request in the window. */
  clients: number;
  /** Median per-client count. */
  median: number;
  /** Median absolute deviation from the median (raw, not scaled to a normal sigma). */
  mad: number;
  /** 90th, 99th and 99.9th percentiles of per-client counts. */
  p90: number;
  p99: number;
  p999: number;
  /** Largest per-client count. */
  max: number;
}

/** An empty population (no clients yet). */
export const EMPTY_POPULATION: PopulationSnapshot = Object.freeze({
  clients: 0, median: 0, mad: 0, p90: 0, p99: 0, p999: 0, max: 0,
});

/**
 * A histogram of positive counts on a log scale: values 1 .. 1e9 in bins that are `ratio` apart (default 1.05, so any
 * quantile is within 2.5% of the exact one), values below 1 in bin 0. Reused between snapshots (`clear`).
 * @example
 *   const h = new LogHistogram();
 *   for (const c of [1, 2, 3, 4, 100]) h.add(c);
 *   h.quantile(0.5) // about 3
 */
export class LogHistogram {
  private readonly bins: Float64Array;
  private readonly logRatio: number;
  private n = 0;
  private top = 0;

  constructor(readonly ratio = 1.05, readonly maxValue = 1e9) {
    this.logRatio = Math.log(ratio);
    this.bins = new Float64Array(Math.ceil(Math.log(maxValue) / this.logRatio) + 2);
  }

  /** Number of values added since the last clear. */
  get count(): number {
    return this.n;
  }

  /** Largest value added since the last clear. */
  get max(): number {
    return this.top;
  }

  /** Empties the histogram (keeps its memory). */
  clear(): void {
    this.bins.fill(0);
    this.n = 0;
    this.top = 0;
  }

  /** Adds one value (`weight` times); non-positive values are ignored. */
  add(value: number, weight = 1): void {
    if (!(value > 0)) return;
    this.bins[this.binOf(value)] += weight;
    this.n += weight;
    if (value > this.top) this.top = value;
  }

  /** The q-quantile (0..1) of the values added, at the geometric middle of its bin (0 when empty). */
  quantile(q: number): number {
    if (this.n === 0) return 0;
    const rank = Math.min(this.n, Math.max(1, Math.ceil(q * this.n)));
    let seen = 0;
    for (let i = 0; i < this.bins.length; i++) {
      seen += this.bins[i];
      if (seen >= rank) return Math.min(this.valueOf(i), this.top);
    }
    return this.top;
  }

  /**
   * Median absolute deviation from `center`, from the bins (each bin's values taken at its middle): a second pass over
   * the bins, not over the values.
   */
  mad(center: number): number {
    if (this.n === 0) return 0;
    const devs: Array<[number, number]> = [];
    for (let i = 0; i < this.bins.length; i++) {
      if (this.bins[i] > 0) devs.push([Math.abs(Math.min(this.valueOf(i), this.top) - center), this.bins[i]]);
    }
    devs.sort((a, b) => a[0] - b[0]);
    const rank = Math.ceil(0.5 * this.n);
    let seen = 0;
    for (const [d, w] of devs) {
      seen += w;
      if (seen >= rank) return d;
    }
    return devs.length ? devs[devs.length - 1][0] : 0;
  }

  /** All the quantiles a rule reads, in one go. */
  snapshot(): PopulationSnapshot {
    if (this.n === 0) return EMPTY_POPULATION;
    const median = this.quantile(0.5);
    return {
      clients: this.n, median, mad: this.mad(median), p90: this.quantile(0.9), p99: this.quantile(0.99),
      p999: this.quantile(0.999), max: this.top,
    };
  }

  private binOf(value: number): number {
    if (value < 1) return 0;
    return Math.min(this.bins.length - 1, 1 + Math.floor(Math.log(value) / this.logRatio));
  }

  /** Representative value of a bin: the geometric middle of its bounds (bin 0 holds the values below 1). */
  private valueOf(bin: number): number {
    if (bin === 0) return 0.5;
    return Math.exp((bin - 0.5) * this.logRatio);
  }
}

/**
 * Keeps a population snapshot of per-client counts and refreshes it at most every `every` seconds: the rules read
 * the snapshot every tick, the pass over all clients runs only when it is due.
 * @example
 *   const pop = new PopulationEstimator(5);
 *   pop.refresh(now, (add) => { for (const c of counts) add(c); });
 *   pop.snapshot.p99
 */
export class PopulationEstimator {
  private readonly hist = new LogHistogram();
  private last = -Infinity;
  /** The latest snapshot (EMPTY_POPULATION before the first refresh). */
  snapshot: PopulationSnapshot = EMPTY_POPULATION;

  constructor(readonly every: number) {}

  /** True when a refresh is due at `now`. */
  due(now: number): boolean {
    return now - this.last >= this.every;
  }

  /**
   * Recomputes the snapshot when due (or when `force`): `feed` is called with an `add` function and adds every
   * active client's count. Returns true when it recomputed.
   */
  refresh(now: number, feed: (add: (count: number) => void) => void, force = false): boolean {
    if (!force && !this.due(now)) return false;
    this.hist.clear();
    feed((c) => this.hist.add(c));
    this.snapshot = this.hist.snapshot();
    this.last = now;
    return true;
  }
}

/** The scale factor that turns a MAD into a normal distribution's standard deviation. */
export const MAD_TO_SIGMA = 1.4826;
