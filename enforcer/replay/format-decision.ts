// How replay prints a decision: an audit-log-like text line, or one JSON object per line.
import type { Decision } from '../core/types.js';
import { formatDuration } from '../config/duration.js';

/** Thresholds needed to print `zscore=7.21>3.0`. */
export interface PrintThresholds {
  zscore: number;
  multiplier: number;
  maxIpRate: number;
  tightenFactor: number;
}

const num = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : String(n));
const iso = (t: number) => new Date(t * 1000).toISOString().replace('.000Z', 'Z');

/**
 * A decision as one text line, at log time `logT`, e.g.
 * `[2015-05-19T10:00:00Z] BAN 203.0.113.66 | zscore=7.21>3.0 | rate=41.20 | baseline=2.10 | duration=10m`.
 * Baseline decisions give null (replay does not print them).
 * @example formatText(ban, 1431900000, { zscore: 3, multiplier: 5, tightenFactor: 0.5 })
 */
export function formatText(d: Decision, logT: number, th: PrintThresholds): string | null {
  const when = `[${iso(logT)}]`;
  switch (d.kind) {
    case 'ban': {
      const f = d.tightened ? th.tightenFactor : 1;
      const cond = d.rule === 'multiplier'
        ? `multiplier=${num(d.rate / d.baseline.mean)}x>${num(th.multiplier * f, 1)}`
        : d.rule === 'ceiling'
          ? `ceiling=${num(d.rate)}>${num(th.maxIpRate * f, 1)}`
          : `${d.rule}=${num(d.z)}>${num(th.zscore * f, 1)}`;
      const tight = d.tightened ? ` (tightened: errors ${num(d.errorRate)}/s)` : '';
      return `${when} BAN ${d.ip} | ${cond}${tight} | rate=${num(d.rate)} | baseline=${num(d.baseline.mean)} | duration=${formatDuration(d.durationSec)} | step=${d.step}`;
    }
    case 'unban':
      return `${when} UNBAN ${d.ip} | ${d.reason}`;
    case 'spared':
      return `${when} SPARED ${d.ip} | ${d.rule} | rate=${num(d.rate)} | allow-listed address inside`;
    case 'global_alert':
      return `${when} GLOBAL_ALERT | ${d.rule}=${num(d.z)}>${num(d.rule === 'zscore' ? th.zscore : th.multiplier, 1)} | rate=${num(d.rate)} | baseline=${num(d.baseline.mean)}`;
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
