// Decisions shared by the adapter tests.
import type { Baseline, BanDecision, UnbanDecision, GlobalAlertDecision, BaselineDecision } from '../../enforcer/core/types.js';

/** 2026-01-01T12:00:00Z in epoch seconds. */
export const NOON = Date.UTC(2026, 0, 1, 12, 0, 0) / 1000;

/** A baseline learned from the 14:00 hour slot. */
export const baseline: Baseline = {
  mean: 2.1, stddev: 5.42, errorMean: 0.2, rawMean: 2.1, rawStddev: 5.42, samples: 3600, source: 'hour_slot', hour: 14,
  computedAt: NOON - 60,
};

/** An automatic z-score ban, first step, 10 minutes. */
export function autoBan(over: Partial<BanDecision> = {}): BanDecision {
  return {
    kind: 'ban', ip: '203.0.113.9', at: NOON, until: NOON + 600, durationSec: 600, step: 1, rule: 'zscore',
    rate: 41.2, errorRate: 3.1, z: 7.21, baseline, tightened: false, source: 'auto', threshold: 3, ...over,
  };
}

/** A manual ban. */
export function manualBan(reason: string): BanDecision {
  return autoBan({ ip: '1.2.3.4', rule: 'manual', source: 'manual', durationSec: 7200, until: NOON + 7200, z: 0, rate: 0,
    errorRate: 0, reason, threshold: undefined });
}

/** An expiry. */
export const unban: UnbanDecision = { kind: 'unban', ip: '203.0.113.9', at: NOON + 600, reason: 'expired' };

/** A global surge. */
export const globalAlert: GlobalAlertDecision = { kind: 'global_alert', at: NOON, rate: 80.5, z: 14.46, rule: 'zscore', baseline, threshold: 3 };

/** A recomputation. */
export const baselineDecision: BaselineDecision = { kind: 'baseline', at: NOON, baseline, globalRate: 3.3 };
