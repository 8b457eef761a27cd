// How the dashboard prints rates, sizes, durations and times.

/** A rate with 2-3 significant digits. */
export const fmtRate = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
/** Bytes in B/KB/MB/GB/TB. */
export function fmtBytes(n: number): string {
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(n >= 10 || i === 0 ? 0 : 1)} ${u[i]}`;
}
/** Seconds as `2d 3h`, `4m 5s`... */
export function fmtDur(sec: number): string {
  sec = Math.max(0, Math.round(sec));
  const d = Math.floor(sec / 86400), h = Math.floor((sec % 86400) / 3600), m = Math.floor((sec % 3600) / 60), s = sec % 60;
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${s}s`;
  return `${s}s`;
}
/** Epoch seconds as UTC `YYYY-MM-DD hh:mm:ss`. */
export const fmtTime = (t: number) => new Date(t * 1000).toISOString().replace('T', ' ').slice(0, 19);
