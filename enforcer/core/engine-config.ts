// The settings the pure core needs, picked from the validated config once at startup.
import type { Config } from '../config/schema.js';

/** What the decision core needs to know: windows in whole seconds, thresholds, floors and the ban ladder. */
export interface EngineConfig {
  /** Sliding window for per-IP and global rates, seconds (whole, >= 1). */
  window: number;
  /** Rolling baseline history, seconds (whole, >= window). */
  baselineWindow: number;
  /** Seconds between baseline recomputations. */
  recomputeInterval: number;
  /** Use the hour-of-day slot once it holds hourSlotMinSamples samples. */
  hourlySlots: boolean;
  hourSlotMinSamples: number;
  /** Forgetting: a slot keeps at most this many samples (older ones fade out proportionally). Default 7 days of that hour. */
  hourSlotMaxSamples: number;
  meanFloor: number;
  /** 0 disables the floor (the original design had none). */
  stddevFloor: number;
  errorMeanFloor: number;
  zscore: number;
  multiplier: number;
  /** Absolute per-IP ceiling, req/s over the window, whatever the baseline (0: off). */
  maxIpRate: number;
  errorSurge: number;
  tightenFactor: number;
  minRequests: number;
  globalCooldown: number;
  /** Ban durations in seconds per offence; null is permanent; the last step repeats. */
  ladder: Array<number | null>;
  offenceMemory: number;
  /** Leave idle seconds (no requests at all) out of the baseline, as the original design did. Default false. */
  skipIdle: boolean;
  /** Poisoning guard: seconds above median + this many robust sigmas are learned at that cap (0: off). */
  learnCapSigmas: number;
  /** Lowest learning cap, requests per second. */
  learnCapFloor: number;
  /** Seconds of history before relative rules may ban (0: they ban from the start). */
  learningPeriod: number;
}

/**
 * Picks the core's settings from the validated config.
 * @example const engine = createEngine(engineConfigFrom(loadConfig('warden.yaml')), { isAllowed });
 */
export function engineConfigFrom(config: Config): EngineConfig {
  const d = config.detection;
  const window = Math.max(1, Math.round(d.window));
  return {
    window,
    baselineWindow: Math.max(window, Math.round(d.baseline_window)),
    recomputeInterval: Math.max(1, Math.round(d.recompute_interval)),
    hourlySlots: d.hourly_slots,
    hourSlotMinSamples: d.hour_slot_min_samples,
    hourSlotMaxSamples: 7 * 3600,
    meanFloor: d.mean_floor,
    stddevFloor: d.stddev_floor,
    errorMeanFloor: d.error_mean_floor,
    zscore: d.zscore,
    multiplier: d.multiplier,
    maxIpRate: d.max_ip_rate,
    errorSurge: d.error_surge,
    tightenFactor: d.tighten_factor,
    minRequests: d.min_requests,
    globalCooldown: d.global_cooldown,
    ladder: [...config.bans.ladder],
    offenceMemory: config.bans.offence_memory,
    skipIdle: false,
    learnCapSigmas: d.learn_cap_sigmas,
    learnCapFloor: d.learn_cap_floor,
    learningPeriod: Math.max(0, Math.round(d.learning_period)),
  };
}

/**
 * The same settings with the Python original's (hng-stage3) baseline: idle seconds skipped, no stddev floor.
 * For `warden replay --variant original` comparisons only.
 * @example const cfg = originalVariant(engineConfigFrom(config)); // cfg.skipIdle === true, cfg.stddevFloor === 0, no ceiling, no learning guard
 */
export function originalVariant(cfg: EngineConfig): EngineConfig {
  return { ...cfg, skipIdle: true, stddevFloor: 0, maxIpRate: 0, learnCapSigmas: 0, learningPeriod: 0 };
}
