// Shared wording of decisions for the audit log and alerts: rule value vs threshold, number formats, user-text cleaning.
import type { BanDecision, GlobalAlertDecision, RuleAlertDecision } from '../../core/types.js';
import { getRule } from '../../core/rules/registry.js';

/** A number with two decimals; infinite values as `inf`. */
export function num2(v: number): string {
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (!Number.isFinite(v)) return 'nan';
  return v.toFixed(2);
}

/** A threshold: one decimal when that is exact (3.0, 1.5), else as written (2.25). */
export function thr(v: number): string {
  return Math.abs(v * 10 - Math.round(v * 10)) < 1e-9 ? v.toFixed(1) : String(v);
}

/**
 * The rule's measured value: the decision's `value` when the rule gave one, else the rule module's `measure` (the
 * z-score for `zscore`, rate over the baseline mean for `multiplier`, the rate for `ceiling`), else the z-score.
 * @example ruleValue({ rule: 'multiplier', z: 0, rate: 40, baseline: { mean: 4 } }) === 10
 */
export function ruleValue(d: Pick<BanDecision, 'rule' | 'z' | 'rate' | 'baseline'> & { value?: number }): number {
  return d.value ?? getRule(d.rule)?.measure?.(d) ?? d.z;
}

/**
 * The condition that fired: `zscore=7.21>3.0`, `multiplier=12.40>10.0`, plus ` (error surge)` when tightened.
 * @example condition(ban) === 'zscore=7.21>1.5 (error surge)'
 */
export function condition(d: BanDecision | GlobalAlertDecision | RuleAlertDecision, threshold?: number): string {
  const t = threshold ?? d.threshold;
  let s = `${d.rule}=${num2(ruleValue(d))}${t === undefined ? '' : `>${thr(t)}`}`;
  if (d.kind !== 'global_alert' && d.tightened) s += ' (error surge)';
  return s;
}

/**
 * The baseline's source for humans: `hour_slot(14)`, `rolling`, `floor`.
 * @example sourceLabel({ source: 'hour_slot', hour: 14 }) === 'hour_slot(14)'
 */
export function sourceLabel(b: { source: string; hour?: number }): string {
  return b.source === 'hour_slot' && b.hour !== undefined ? `hour_slot(${b.hour})` : b.source;
}

/**
 * User-supplied text made safe for one `|`-separated line: newlines and pipes become spaces, trimmed.
 * @example oneLine('a|b\nc') === 'a b c'
 */
export function oneLine(s: string): string {
  return s.replace(/[\r\n|]+/g, ' ').replace(/\s+/g, ' ').trim();
}

/**
 * Epoch seconds as ISO 8601 UTC without milliseconds.
 * @example isoSec(1767268800) === '2026-01-01T12:00:00Z'
 */
export function isoSec(sec: number): string {
  return new Date(Math.floor(sec) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
