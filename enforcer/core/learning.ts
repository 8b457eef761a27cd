// The learning period: until the baseline holds enough history, rules that compare a client with what was learned
// (relative rules) only alert; rules with absolute thresholds ban from the first second.

/** What decides the end of the learning period. */
export interface LearningOptions {
  /** Seconds of observed (settled) history needed; 0 ends learning at once. */
  learningPeriod: number;
  /** Samples an hour-of-day slot needs to count as learned (a restored, filled slot ends learning at once). */
  hourSlotMinSamples: number;
  hourlySlots: boolean;
}

/** Where learning stands, for status displays and the decision of a relative rule. */
export interface LearningStatus {
  learning: boolean;
  /** 0..1: observed history over the learning period (1 once learned). */
  progress: number;
  /** Why learning ended: enough history, a filled hour slot, or no learning period configured. */
  reason?: 'history' | 'hour_slot' | 'off';
}

/**
 * Tracks the learning period. Once it ends it stays ended (a restart with restored slots ends it again at once).
 * @example
 *   const l = new LearningPeriod({ learningPeriod: 600, hourSlotMinSamples: 600, hourlySlots: true });
 *   l.update(300, 0).learning === true; l.update(600, 0).learning === false
 */
export class LearningPeriod {
  private done: LearningStatus | null = null;

  constructor(private readonly opts: LearningOptions) {
    if (!(opts.learningPeriod > 0)) this.done = { learning: false, progress: 1, reason: 'off' };
  }

  /** True while relative rules must only alert. */
  get learning(): boolean {
    return this.done === null;
  }

  /**
   * Brings the state up to date from what the baseline holds: `observedSeconds` of settled history, and the sample
   * count of the current hour's slot (restored slots count).
   */
  update(observedSeconds: number, currentSlotSamples: number): LearningStatus {
    if (this.done) return this.done;
    if (observedSeconds >= this.opts.learningPeriod) {
      this.done = { learning: false, progress: 1, reason: 'history' };
      return this.done;
    }
    if (this.opts.hourlySlots && currentSlotSamples >= this.opts.hourSlotMinSamples) {
      this.done = { learning: false, progress: 1, reason: 'hour_slot' };
      return this.done;
    }
    return { learning: true, progress: Math.max(0, observedSeconds) / this.opts.learningPeriod };
  }
}
