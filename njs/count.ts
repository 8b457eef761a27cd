// The log-phase counter: one shared-dict increment per successful request, two for a 4xx/5xx. Never throws.
import { clientKey } from './address.js';
import { MARK_4XX, MARK_5XX, tagOf } from './keys.js';

/** The zones the counter writes to (passed in so tests and the handler share one code path). */
export interface CountZones {
  counts: NgxSharedDict<number>;
  meta: NgxSharedDict<number>;
}

/** Something that can write to nginx's error log (ngx.log), injected. */
export type LogFn = (msg: string) => void;

/** Meta keys: requests not counted since the last drain, since start, and the second of the last warning. */
export const META_DROPPED = 'd';
export const META_DROPPED_TOTAL = 'dt';
export const META_LOGGED = 'lg';
export const META_LAST_DRAIN = 'ld';

/**
 * Counts one finished request for its client in the second `nowMs` falls in. A per-IP key that cannot be stored
 * (full zone, bad address) is counted in the global-only key of that second and in `dropped`.
 * The meta zone is a getter: it is looked up only when something must be recorded as dropped (a zone lookup costs
 * about as much as the increment itself, on every request).
 * @example countRequest(ngx.shared.warden_counts, () => ngx.shared.warden_meta, r.remoteAddress, r.status, Date.now(), warn)
 */
export function countRequest(counts: NgxSharedDict<number>, meta: () => NgxSharedDict<number>, addr: string, status: number,
  nowMs: number, log: LogFn): void {
  const sec = Math.floor(nowMs / 1000);
  const tag = tagOf(sec);
  const mark = status >= 500 ? MARK_5XX : status >= 400 ? MARK_4XX : '';
  const ip = clientKey(addr);
  if (ip !== '') {
    try {
      counts.incr(tag + ip, 1, 0);
      if (mark !== '') counts.incr(tag + mark + ip, 1, 0);
      return;
    } catch (e) {
      noteDropped(meta(), sec, 'per-IP key not stored (zone warden_counts full?): ' + String(e), log);
    }
  } else {
    noteDropped(meta(), sec, 'request from a non-IP address `' + addr + '` counted globally only', log);
  }
  try {
    counts.incr(tag, 1, 0);
    if (mark !== '') counts.incr(tag + mark, 1, 0);
  } catch {
    // Already counted as dropped above.
  }
}

/** Adds one to the dropped counters and logs at most once per second. Never throws. */
function noteDropped(meta: NgxSharedDict<number>, sec: number, why: string, log: LogFn): void {
  try {
    meta.incr(META_DROPPED, 1, 0);
    meta.incr(META_DROPPED_TOTAL, 1, 0);
    if (meta.get(META_LOGGED) !== sec) {
      meta.set(META_LOGGED, sec);
      log('warden: request not fully counted: ' + why);
    }
  } catch {
    // The meta zone itself failed: nothing more can be done without touching the request.
  }
}
