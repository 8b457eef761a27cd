// Parses one access-log line (nginx/Apache combined, or nginx `escape=json`) into time, client address and status.
import { normaliseIp } from '../net/ip.js';

/** One request as replay needs it. */
export interface LogEvent {
  /** Epoch seconds (whole). */
  t: number;
  /** Normalised client address. */
  ip: string;
  status: number;
  /** The request URI as sent (path and query, `$request_uri`), when the line has it. */
  uri?: string;
}

const MONTHS: Record<string, number> = {
  Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11,
};
const TIME_LOCAL_RE = /^(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/;
// addr ident user [time] "request" status ...; the request may hold escaped quotes.
const COMBINED_RE = /^(\S+) \S+ \S+ \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3})(?: |$)/;

/** The URI of a request line (`GET /x?y HTTP/1.1` -> `/x?y`), undefined when it has none; nginx's \xHH escapes undone. */
function uriOf(request: string): string | undefined {
  const a = request.indexOf(' ');
  if (a < 0) return undefined;
  const b = request.lastIndexOf(' ');
  const uri = b > a && /^HTTP\/\d/.test(request.slice(b + 1)) ? request.slice(a + 1, b) : request.slice(a + 1);
  return uri.replace(/\\x([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/**
 * Epoch seconds of an nginx `$time_local` such as `17/May/2015:10:05:03 +0000`, or null.
 * @example parseTimeLocal('17/May/2015:10:05:03 +0200') === Date.UTC(2015, 4, 17, 8, 5, 3) / 1000
 */
export function parseTimeLocal(s: string): number | null {
  const m = TIME_LOCAL_RE.exec(s);
  if (!m) return null;
  const mon = MONTHS[m[2]];
  if (mon === undefined) return null;
  const utc = Date.UTC(+m[3], mon, +m[1], +m[4], +m[5], +m[6]) / 1000;
  const off = (+m[8] * 3600 + +m[9] * 60) * (m[7] === '+' ? 1 : -1);
  return Number.isFinite(utc) ? utc - off : null;
}

/** Epoch seconds (whole) of a JSON log object's time: `msec`, `time_iso8601`, `time_local`, or `time`/`timestamp`. */
function jsonTime(o: Record<string, unknown>): number | null {
  if (o.msec !== undefined) {
    const n = Number(o.msec);
    if (Number.isFinite(n) && n > 0) return Math.floor(n);
  }
  if (typeof o.time_local === 'string') return parseTimeLocal(o.time_local);
  for (const k of ['time_iso8601', 'time', 'timestamp', '@timestamp']) {
    const v = o[k];
    if (typeof v === 'string') {
      const ms = Date.parse(v);
      return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
    }
  }
  return null;
}

/**
 * One request from a log line, or null when the line is not one (blank, comment, malformed, bad address).
 * Combined format: `addr - user [time_local] "request" status ...`. JSON (nginx `escape=json`): an object with
 * `remote_addr` (or `client`/`ip`), `time_local` or `time_iso8601` (or `msec`), and `status`.
 * @example parseLine('203.0.113.9 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 512 "-" "curl"') // { t: 1431857103, ip: '203.0.113.9', status: 200 }
 */
export function parseLine(line: string): LogEvent | null {
  const s = line.trim();
  if (s === '' || s.charCodeAt(0) === 35 /* # */) return null;
  if (s.charCodeAt(0) === 123 /* { */) {
    let o: unknown;
    try {
      o = JSON.parse(s);
    } catch {
      return null;
    }
    if (!o || typeof o !== 'object') return null;
    const r = o as Record<string, unknown>;
    const addr = r.remote_addr ?? r.client ?? r.ip;
    const ip = typeof addr === 'string' ? normaliseIp(addr) : null;
    const t = jsonTime(r);
    const status = Number(r.status);
    if (!ip || t === null || !Number.isInteger(status) || status < 100 || status > 999) return null;
    const uri = typeof r.request_uri === 'string' ? r.request_uri : typeof r.request === 'string' ? uriOf(r.request) : undefined;
    return uri === undefined ? { t, ip, status } : { t, ip, status, uri };
  }
  const m = COMBINED_RE.exec(s);
  if (!m) return null;
  const ip = normaliseIp(m[1]);
  const t = parseTimeLocal(m[2]);
  if (!ip || t === null) return null;
  const uri = uriOf(m[3]);
  return uri === undefined ? { t, ip, status: +m[4] } : { t, ip, status: +m[4], uri };
}
