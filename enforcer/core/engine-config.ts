// The settings the pure core needs, picked from the validated config once at startup.
import type { Config, DetectionConfig } from '../config/schema.js';
import { allRules } from './rules/registry.js';

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
  /** Short window per client, seconds (whole, 1..window). */
  shortWindow: number;
  minRequests: number;
  /** Seconds between two alerts of a rule in mode `alert` about the same client. */
  alertCooldown: number;
  /** The validated `detection` section: each rule of the registry picks its mode and settings from it. */
  detection: DetectionConfig;
  /** Ban durations in seconds per offence; null is permanent; the last step repeats. */
  ladder: Array<number | null>;
  offenceMemory: number;
  /** Leave idle seconds (no requests at all) out of the baseline, as the original design did. Default false. */
  skipIdle: boolean;
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
    shortWindow: Math.min(window, Math.max(1, Math.round(d.short_window))),
    minRequests: d.min_requests,
    alertCooldown: d.alert_cooldown,
    detection: d,
    ladder: [...config.bans.ladder],
    offenceMemory: config.bans.offence_memory,
    skipIdle: false,
  };
}

/**
 * The same settings with the Python original's (hng-stage3) baseline: idle seconds skipped, no stddev floor.
 * For `warden replay --variant original` comparisons only.
 * The original had only the z-score and multiplier rules and the global surge: every other rule is off.
 * @example const cfg = originalVariant(engineConfigFrom(config)); // cfg.skipIdle === true, cfg.stddevFloor === 0, no ceiling
 */
export function originalVariant(cfg: EngineConfig): EngineConfig {
  const original = new Set(['zscore', 'multiplier', 'error_surge', 'global_surge']);
  const rules: DetectionConfig['rules'] = { ...cfg.detection.rules };
  for (const { name } of allRules()) if (!original.has(name)) rules[name] = { ...rules[name], mode: 'off' };
  return { ...cfg, skipIdle: true, stddevFloor: 0, detection: { ...cfg.detection, max_ip_rate: 0, rules } };
}
