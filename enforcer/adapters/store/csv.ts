// Ban history as CSV (RFC 4180, CRLF lines), streamed row by row, safe to open in a spreadsheet.
import type { BanRow } from './types.js';

/** Columns in output order: every BanRow field, plus ISO 8601 UTC copies of the three times. */
const COLUMNS = [
  'id', 'ip', 'started_at', 'started_iso', 'planned_end', 'planned_end_iso', 'ended_at', 'ended_iso', 'step', 'rule',
  'rate', 'error_rate', 'baseline_mean', 'baseline_stddev', 'baseline_source', 'z', 'tightened', 'source', 'reason',
  'unban_reason', 'dry_run', 'node',
] as const;

/** ISO 8601 UTC text of epoch seconds; empty for null. */
function iso(sec: number | null): string {
  if (sec === null || !Number.isFinite(sec)) return '';
  return new Date(sec * 1000).toISOString();
}

/**
 * One CSV cell. Text that a spreadsheet would run as a formula (starting with = + - @, tab or CR) gets a leading
 * single quote; cells with a comma, quote, CR, LF or edge spaces are quoted with quotes doubled. Numbers are written
 * as they are (a negative z stays a number).
 * @example csvCell('=HYPERLINK("x")') === '"\'=HYPERLINK(""x"")"'; csvCell(-1.5) === '-1.5'; csvCell(null) === ''
 */
export function csvCell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * CSV lines for ban rows: the header, then one line per row, each ending in CRLF. Lazy: pass
 * `store.iterateHistory(filter)` and write each line as it comes, so an export of a million rows never sits in memory.
 * @example for (const line of banRowsToCsv(store.iterateHistory({ since }))) res.write(line);
 */
export function* banRowsToCsv(rows: Iterable<BanRow>): IterableIterator<string> {
  yield `${COLUMNS.join(',')}\r\n`;
  for (const r of rows) {
    const cells: Array<string | number | null> = [
      r.id, r.ip, r.started_at, iso(r.started_at), r.planned_end, iso(r.planned_end), r.ended_at, iso(r.ended_at),
      r.step, r.rule, r.rate, r.error_rate, r.baseline_mean, r.baseline_stddev, r.baseline_source, r.z, r.tightened,
      r.source, r.reason, r.unban_reason, r.dry_run, r.node ?? null,
    ];
    yield `${cells.map(csvCell).join(',')}\r\n`;
  }
}
