// How replay prints a decision: an audit-log-like text line, or one JSON object per line.
import type { BanDecision, Decision, RuleAlertDecision } from '../core/types.js';
import { getRule } from '../core/rules/registry.js';
import { formatDuration } from '../config/duration.js';

const num = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : String(n));
const iso = (t: number) => new Date(t * 1000).toISOString().replace('.000Z', 'Z');

/** `rule=value>threshold` in replay's wording: the value with the rule's unit (`x` for a multiple), the threshold with one decimal. */
function condition(d: BanDecision | RuleAlertDecision): string {
  const rule = getRule(d.rule);
  const value = d.value ?? rule?.measure?.(d) ?? d.z;
  return `${d.rule}=${num(value)}${rule?.unit ?? ''}${d.threshold === undefined ? '' : `>${num(d.threshold, 1)}`}`;
}

/**
 * A decision as one text line, at log time `logT`, e.g.
 * `[2015-05-19T10:00:00Z] BAN 203.0.113.66 | zscore=7.21>3.0 | rate=41.20 | baseline=2.10 | duration=10m`.
 * Baseline decisions give null (replay does not print them).
 * @example formatText(ban, 1431900000)
 */
export function formatText(d: Decision, logT: number): string | null {
  const when = `[${iso(logT)}]`;
  switch (d.kind) {
    case 'ban': {
      const tight = d.tightened ? ` (tightened: errors ${num(d.errorRate)}/s)` : '';
      return `${when} BAN ${d.ip} | ${condition(d)}${tight} | rate=${num(d.rate)} | baseline=${num(d.baseline.mean)} | duration=${formatDuration(d.durationSec)} | step=${d.step}`;
    }
    case 'rule_alert': {
      const tight = d.tightened ? ` (tightened: errors ${num(d.errorRate)}/s)` : '';
      return `${when} ALERT ${d.ip} | ${condition(d)}${tight} | rate=${num(d.rate)} | baseline=${num(d.baseline.mean)} | mode=alert`;
    }
    case 'unban':
      return `${when} UNBAN ${d.ip} | ${d.reason}`;
    case 'spared':
      return `${when} SPARED ${d.ip} | ${d.rule} | rate=${num(d.rate)} | allow-listed address inside`;
    case 'global_alert':
      return `${when} GLOBAL_ALERT | ${d.rule}=${num(d.value ?? d.z)}${getRule(d.rule)?.unit ?? ''}>${num(d.threshold ?? NaN, 1)} | rate=${num(d.rate)} | baseline=${num(d.baseline.mean)}`;
    default:
      return null;
  }
}

/** A decision as a plain object for `--json` (time, action, ip, rule, rate, baseline, duration, and details). */
export function toJson(d: Decision, logT: number): Record<string, unknown> | null {
  const base = { time: iso(logT), sim_time: d.at };
  const finite = (n: number) => (Number.isFinite(n) ? Math.round(n * 1000) / 1000 : null);
  switch (d.kind) {
    case 'ban':
      return {
        ...base, action: 'ban', ip: d.ip, rule: d.rule, rate: finite(d.rate), baseline: finite(d.baseline.mean),
        duration: d.durationSec, z: finite(d.z), step: d.step, tightened: d.tightened, error_rate: finite(d.errorRate),
        baseline_stddev: finite(d.baseline.stddev), baseline_source: d.baseline.source,
      };
    case 'spared':
      return { ...base, action: 'spared', ip: d.ip, rule: d.rule, rate: finite(d.rate), baseline: null, duration: null, reason: d.reason };
    case 'rule_alert':
      return {
        ...base, action: 'alert', ip: d.ip, rule: d.rule, rate: finite(d.rate), baseline: finite(d.baseline.mean),
        duration: null, z: finite(d.z), value: finite(d.value), threshold: d.threshold, tightened: d.tightened,
        error_rate: finite(d.errorRate), baseline_stddev: finite(d.baseline.stddev), baseline_source: d.baseline.source,
      };
    case 'unban':
      return { ...base, action: 'unban', ip: d.ip, rule: null, rate: null, baseline: null, duration: null, reason: d.reason };
    case 'global_alert':
      return {
        ...base, action: 'global_alert', ip: null, rule: d.rule, rate: finite(d.rate), baseline: finite(d.baseline.mean),
        duration: null, z: finite(d.z), baseline_stddev: finite(d.baseline.stddev), baseline_source: d.baseline.source,
      };
    default:
      return null;
  }
}
