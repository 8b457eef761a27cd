// The learned baseline: a rolling history of per-second global counts (idle seconds are zeros) and 24 hour-of-day slots.
import type { EngineConfig } from './engine-config.js';
import type { Baseline, BaselineSource } from './types.js';
import { robustCap } from './robust-cap.js';

/** How the baseline is learned (a subset of EngineConfig). */
export type BaselineOptions = Pick<EngineConfig, 'baselineWindow' | 'window' | 'hourlySlots' | 'hourSlotMinSamples' |
  'hourSlotMaxSamples' | 'meanFloor' | 'stddevFloor' | 'errorMeanFloor' | 'skipIdle' | 'learnCapSigmas' | 'learnCapFloor'>;

/** Raw statistics of some per-second samples. */
export interface SampleStats {
  samples: number;
  mean: number;
  stddev: number;
  errorMean: number;
}

/** One hour-of-day slot as shown to the API, and as restored from storage. */
export interface HourSlot {
  hour: number;
  mean: number;
  stddev: number;
  samples: number;
  errorMean: number;
}

/** UTC hour of day (0-23) of an epoch second. */
export function hourOf(t: number): number {
  return Math.floor(t / 3600) % 24;
}

/** Mean, stddev (population) and error mean from running sums. */
function statsOf(n: number, sum: number, sumSq: number, errSum: number): SampleStats {
  if (n <= 0) return { samples: 0, mean: 0, stddev: 0, errorMean: 0 };
  const mean = sum / n;
  const variance = Math.max(0, sumSq / n - mean * mean);
  return { samples: n, mean, stddev: Math.sqrt(variance), errorMean: errSum / n };
}

/**
 * Applies the floors to raw statistics. `source` becomes 'floor' when the mean floor raised the mean.
 * @example withFloors({ samples: 60, mean: 0.2, stddev: 0.1, errorMean: 0 }, 'rolling', opts, 1000).source === 'floor'
 */
export function withFloors(
  raw: SampleStats,
  from: Exclude<BaselineSource, 'floor'>,
  opts: Pick<BaselineOptions, 'meanFloor' | 'stddevFloor' | 'errorMeanFloor'>,
  at: number,
  hour?: number,
): Baseline {
  const floored = raw.mean < opts.meanFloor;
  const b: Baseline = {
    mean: Math.max(raw.mean, opts.meanFloor),
    stddev: Math.max(raw.stddev, opts.stddevFloor),
    errorMean: Math.max(raw.errorMean, opts.errorMeanFloor),
    rawMean: raw.mean,
    rawStddev: raw.stddev,
    samples: raw.samples,
    source: floored ? 'floor' : from,
    computedAt: at,
  };
  if (from === 'hour_slot' && hour !== undefined) b.hour = hour;
  return b;
}

/**
 * Learns the baseline from per-second global counts. Pure: time comes in as arguments.
 * `add` records counts of a second (late counts add up); `complete` closes seconds (feeds the hour slots, idle ones as
 * zeros, long idle stretches in bulk); `compute` gives the baseline in force at a time.
 * @example
 *   const b = new BaselineTracker(opts);
 *   b.add(1000, 5, 1); b.compute(1061).rawMean // 5 (one settled sample of 5, with window 60)
 */
export class BaselineTracker {
  /** Ring size: the baseline window plus the unsettled seconds. */
  private readonly size: number;
  private readonly history: number;
  private readonly lag: number;
  private readonly ringT: Float64Array;
  private readonly ringTot: Float64Array;
  private readonly ringErr: Float64Array;
  /** First second observed (history before it is unknown, not idle). */
  private firstSec = Infinity;
  private readonly slotN = new Float64Array(24);
  private readonly slotSum = new Float64Array(24);
  private readonly slotSumSq = new Float64Array(24);
  private readonly slotErr = new Float64Array(24);
  /** Per-second counts above this are learned at it (the poisoning guard; Infinity until the first compute). */
  private cap = Infinity;
  private readonly scratch: Float64Array;

  constructor(private readonly opts: BaselineOptions) {
    this.history = Math.max(1, Math.round(opts.baselineWindow));
    this.lag = Math.max(0, Math.round(opts.window));
    this.size = this.history + this.lag;
    this.ringT = new Float64Array(this.size).fill(-1);
    this.ringTot = new Float64Array(this.size);
    this.ringErr = new Float64Array(this.size);
    this.scratch = new Float64Array(this.size);
  }

  /** Seconds of settled history observed by `now` (0 before the first second has settled). */
  observedSeconds(now: number): number {
    return this.firstSec === Infinity ? 0 : Math.max(0, now - this.lag - this.firstSec);
  }

  /** The per-second count above which seconds are learned at the cap (Infinity: no cap). */
  get learnCap(): number {
    return this.cap;
  }

  /** A second's total as it is learned: clipped at the cap. */
  private clip(tot: number): number {
    return tot <= this.cap ? tot : this.cap;
  }

  /** A second's errors as they are learned: scaled down with the total when it is clipped. */
  private clipErr(tot: number, err: number): number {
    return tot <= this.cap ? err : err * (this.cap / tot);
  }

  /**
   * Recomputes the cap from the settled seconds of the rolling history (median + k robust sigmas, see robust-cap.ts).
   * Called by `compute`; a surge shorter than half the history cannot move the median, so it cannot raise the cap.
   */
  updateCap(now: number): number {
    const to = now - this.lag;
    const from = Math.max(to - this.history, this.firstSec);
    let n = 0;
    for (let t = from; t < to; t++) {
      const pos = t % this.size;
      const tot = this.ringT[pos] === t ? this.ringTot[pos] : 0;
      if (tot === 0 && this.opts.skipIdle) continue;
      this.scratch[n++] = tot;
    }
    this.cap = robustCap(this.scratch, n, { sigmas: this.opts.learnCapSigmas, floor: this.opts.learnCapFloor });
    return this.cap;
  }

  /** Marks the start of observation (the first tick): seconds from here on count, idle ones as zeros. */
  observeFrom(t: number): void {
    if (t < this.firstSec) this.firstSec = t;
  }

  /** Adds a second's global counts (late counts for the same second add up; negative ones take traffic back out). */
  add(t: number, total: number, errors: number): void {
    const pos = t % this.size;
    if (this.ringT[pos] !== t) {
      if (total < 0) return;
      if (this.ringT[pos] > t) return; // older than what the ring holds there: outside the history
      this.ringT[pos] = t;
      this.ringTot[pos] = 0;
      this.ringErr[pos] = 0;
    }
    this.ringTot[pos] += total;
    this.ringErr[pos] += errors;
    this.observeFrom(t);
  }

  /** Total and error counts over seconds [from, to) (at most the ring size back). */
  sum(from: number, to: number): { total: number; errors: number } {
    let total = 0;
    let errors = 0;
    const lo = Math.max(from, to - this.size);
    for (let t = lo; t < to; t++) {
      const pos = t % this.size;
      if (this.ringT[pos] === t) {
        total += this.ringTot[pos];
        errors += this.ringErr[pos];
      }
    }
    return { total, errors };
  }

  /**
   * Closes seconds [from, to) (called once they have settled): each becomes one sample of its hour-of-day slot, idle
   * ones as zeros. Long stretches are added in bulk per hour, so a jump over days costs the ring size, not the seconds.
   */
  complete(from: number, to: number): void {
    if (!this.opts.hourlySlots) return;
    from = Math.max(from, this.firstSec);
    if (to <= from) return;
    if (to - from <= this.size) {
      for (let t = from; t < to; t++) {
        const pos = t % this.size;
        const held = this.ringT[pos] === t;
        const raw = held ? this.ringTot[pos] : 0;
        if (raw === 0 && this.opts.skipIdle) continue;
        const tot = this.clip(raw);
        this.addSlotSamples(hourOf(t), 1, tot, tot * tot, this.clipErr(raw, held ? this.ringErr[pos] : 0));
      }
      return;
    }
    // A long jump: the seconds the ring still holds, then every other second of the stretch as a zero, per hour.
    const zeros = new Float64Array(24);
    if (!this.opts.skipIdle) {
      for (let t = from; t < to; ) {
        const next = Math.min(to, (Math.floor(t / 3600) + 1) * 3600);
        zeros[hourOf(t)] += next - t;
        t = next;
      }
    }
    for (let pos = 0; pos < this.size; pos++) {
      const t = this.ringT[pos];
      if (t < from || t >= to) continue;
      if (this.ringTot[pos] === 0 && this.opts.skipIdle) continue;
      if (!this.opts.skipIdle) zeros[hourOf(t)]--;
      const tot = this.clip(this.ringTot[pos]);
      this.addSlotSamples(hourOf(t), 1, tot, tot * tot, this.clipErr(this.ringTot[pos], this.ringErr[pos]));
    }
    for (let h = 0; h < 24; h++) if (zeros[h] > 0) this.addSlotSamples(h, zeros[h], 0, 0, 0);
  }

  private addSlotSamples(h: number, n: number, sum: number, sumSq: number, err: number): void {
    const max = this.opts.hourSlotMaxSamples;
    if (max > 0 && n >= max) {
      // More new samples than a slot keeps (a long idle jump): they replace it, scaled down to `max`.
      const f = max / n;
      this.slotN[h] = max;
      this.slotSum[h] = sum * f;
      this.slotSumSq[h] = sumSq * f;
      this.slotErr[h] = err * f;
      return;
    }
    const have = this.slotN[h];
    if (max > 0 && have + n > max && have > 0) {
      // Exponential forgetting: scale the old samples down so the slot keeps at most `max`.
      const keep = (max - n) / have;
      this.slotN[h] *= keep;
      this.slotSum[h] *= keep;
      this.slotSumSq[h] *= keep;
      this.slotErr[h] *= keep;
    }
    this.slotN[h] += n;
    this.slotSum[h] += sum;
    this.slotSumSq[h] += sumSq;
    this.slotErr[h] += err;
  }

  /**
   * Raw statistics of the rolling history: the baseline window of settled seconds, [now - window - baselineWindow,
   * now - window), idle seconds as zeros unless skipIdle, each second clipped at the learning cap.
   */
  rolling(now: number): SampleStats {
    const to = now - this.lag;
    const from = Math.max(to - this.history, this.firstSec);
    let n = 0;
    let sum = 0;
    let sumSq = 0;
    let err = 0;
    for (let t = from; t < to; t++) {
      const pos = t % this.size;
      const held = this.ringT[pos] === t;
      const raw = held ? this.ringTot[pos] : 0;
      if (raw === 0 && this.opts.skipIdle) continue;
      const tot = this.clip(raw);
      n++;
      sum += tot;
      sumSq += tot * tot;
      err += this.clipErr(raw, held ? this.ringErr[pos] : 0);
    }
    return statsOf(n, sum, sumSq, err);
  }

  /** Raw statistics of one hour-of-day slot. */
  slot(hour: number): SampleStats {
    return statsOf(this.slotN[hour], this.slotSum[hour], this.slotSumSq[hour], this.slotErr[hour]);
  }

  /**
   * The baseline in force at `now`: the current hour's slot once it has enough samples, else the rolling history;
   * then the floors. Recomputes the learning cap first.
   */
  compute(now: number): Baseline {
    this.updateCap(now);
    const h = hourOf(now);
    if (this.opts.hourlySlots && this.slotN[h] >= this.opts.hourSlotMinSamples) {
      return withFloors(this.slot(h), 'hour_slot', this.opts, now, h);
    }
    return withFloors(this.rolling(now), 'rolling', this.opts, now);
  }

  /** The 24 slots (raw, before floors). */
  slots(): HourSlot[] {
    return Array.from({ length: 24 }, (_, hour) => {
      const s = this.slot(hour);
      return { hour, mean: s.mean, stddev: s.stddev, samples: s.samples, errorMean: s.errorMean };
    });
  }

  /** Restores slots saved earlier (e.g. from the database), replacing what is there. */
  restoreSlots(slots: Array<Pick<HourSlot, 'hour' | 'mean' | 'stddev' | 'samples'> & { errorMean?: number }>): void {
    for (const s of slots) {
      if (!(s.hour >= 0 && s.hour < 24) || !(s.samples >= 0)) continue;
      const h = Math.floor(s.hour);
      this.slotN[h] = s.samples;
      this.slotSum[h] = s.mean * s.samples;
      this.slotSumSq[h] = (s.stddev * s.stddev + s.mean * s.mean) * s.samples;
      this.slotErr[h] = (s.errorMean ?? 0) * s.samples;
    }
  }
}
