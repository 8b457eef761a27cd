// The rare paths of counting (index.ts holds the hot path inline): a request that cannot be stored per IP. Never throws.
import { ADD_OK } from './keys.js';

/** Something that can write to nginx's error log (ngx.log), injected. */
export type LogFn = (msg: string) => void;

/** The zones the counter and the drain use (passed in so tests and the handlers share one code path). */
export interface CountZones {
  counts: NgxSharedDict<number>;
  meta: NgxSharedDict<number>;
}

/** Meta keys: requests not counted since the last drain, since start, and the second of the last warning. */
export const META_DROPPED = 'd';
export const META_DROPPED_TOTAL = 'dt';
export const META_LOGGED = 'lg';
export const META_LAST_DRAIN = 'ld';

/**
 * Counts a request that could not be stored under its address (full zone, non-IP client): adds `add` to the
 * second's global-only key `tag` (when it can) and one to the dropped counters, and logs at most once per second.
 * Looks the zones up itself and logs with ngx.log unless given others: it runs only on this rare path, and the
 * per-request module has no other helper to pay for (every top-level function costs on every request).
 * @example countUnstored('K', ADD_OK, 1764312345, 'zone warden_counts full')
 */
export function countUnstored(tag: string, add: number, sec: number, why: string, zones?: CountZones, log?: LogFn): void {
  const z = zones || { counts: ngx.shared.warden_counts as NgxSharedDict<number>, meta: ngx.shared.warden_meta as NgxSharedDict<number> };
  // META_DROPPED, META_DROPPED_TOTAL, META_LOGGED written out: this file is in the per-request bundle, where every
  // module-level constant costs on every request.
  try {
    z.meta.incr('d', 1, 0);
    z.meta.incr('dt', 1, 0);
    if (z.meta.get('lg') !== sec) {
      z.meta.set('lg', sec);
      const msg = 'warden: request not fully counted: ' + why;
      if (log) log(msg);
      else ngx.log(ngx.WARN, msg);
    }
  } catch {
    // The meta zone itself failed: nothing more can be done without touching the request.
  }
  if (tag === '') return;
  try {
    z.counts.incr(tag, add >= ADD_OK ? add : ADD_OK, 0);
  } catch {
    // Already counted as dropped above.
  }
}
