// Duration parsing and formatting shared by config, CLI and API: `90s`, `10m`, `2h`, `30d`, `1w`, or plain seconds.

const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/**
 * Seconds in a duration, or null when it is not one.
 * @example parseDuration('2h') === 7200; parseDuration(90) === 90; parseDuration('1h30m') === 5400
 */
export function parseDuration(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : null;
  if (typeof v !== 'string') return null;
  const s = v.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  if (!/^(\d+(\.\d+)?[smhdw])+$/.test(s)) return null;
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)([smhdw])/g)) total += Number(m[1]) * units[m[2]];
  return total;
}

/**
 * A short human form of a number of seconds; null is `permanent`.
 * @example formatDuration(600) === '10m'; formatDuration(7200) === '2h'; formatDuration(null) === 'permanent'
 */
export function formatDuration(sec: number | null): string {
  if (sec === null) return 'permanent';
  if (sec <= 0) return '0s';
  for (const [u, n] of [['d', 86400], ['h', 3600], ['m', 60]] as const) {
    if (sec >= n) {
      if (sec % n === 0) return `${sec / n}${u}`;
      break;
    }
  }
  const s = Math.floor(sec);
  if (s >= 86400) return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
  if (s >= 3600) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${s % 60}s`;
  return `${s}s`;
}
