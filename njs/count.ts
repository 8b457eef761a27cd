// The rarer paths of counting (index.ts holds the common path inline): requests that can be an auth failure or a probe,
// and requests that cannot be stored per client. Never throws.
import { clientOf } from './client.js';
import { ADD_4XX, ADD_5XX, ADD_OK } from './keys.js';

/** Something that can write to nginx's error log (ngx.log), injected. */
export type LogFn = (msg: string) => void;

/** The zones the counter and the drain use (passed in so tests and the handlers share one code path). */
export interface CountZones {
  counts: NgxSharedDict<number>;
  meta: NgxSharedDict<number>;
}

/** Meta keys: requests not counted since the last drain, since start, the second of the last warning, of the last drain. */
export const META_DROPPED = 'd';
export const META_DROPPED_TOTAL = 'dt';
export const META_LOGGED = 'lg';
export const META_LAST_DRAIN = 'ld';
/** Meta key: the second until which new keys are not tried, because the counts zone is (nearly) full. */
export const META_FULL_UNTIL = 'fu';
/** Meta keys: requests from a trusted proxy's own address (no client known) since the last drain, and since start. */
export const META_UNATTRIBUTED = 'u';
export const META_UNATTRIBUTED_TOTAL = 'ut';

/**
 * Counts a request that may be an auth failure or a probe (the 4xx and sensitive-path handlers; nginx's maps told
 * which, so nothing is read to classify it): 401/403 answered by the site are auth failures; warden's own refusal of a
 * banned client (403 or 444 while `$warden_banned` is '1') is neither an error nor a signal, only a request; a probe is
 * a request for a sensitive path, or a 4xx other than 401/403 on a path that is not a static file.
 * @example countSignals(r, true, false) // a request for /.env
 */
export function countSignals(r: NginxHTTPRequest, sensitive: boolean, isStatic: boolean): void {
  let tag = '';
  let add = ADD_OK;
  let signal = 0;
  let sec = 0;
  try {
    const s = r.status;
    sec = (Date.now() / 1000) >>> 0;
    tag = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'[sec % 64];
    if ((s === 403 || s === 444) && r.variables.warden_banned === '1') {
      add = ADD_OK;
    } else {
      add = s < 400 ? ADD_OK : s < 500 ? ADD_4XX : ADD_5XX;
      // Signal values (keys.ts): auth 2^26, probe 1.
      if (s === 401 || s === 403) signal = sensitive ? 67108865 : 67108864;
      else if (sensitive || !isStatic) signal = 1;
    }
    let ip = r.remoteAddress;
    if (!(ip[0] <= '9') || ip[4] === ':') {
      ip = clientOf(r, ip);
      if (ip === '') {
        countUnstored(tag, add, signal, sec, 'request from a non-IP address `' + r.remoteAddress + '` counted globally only');
        return;
      }
    }
    const counts = ngx.shared.warden_counts as NgxSharedDict<number>;
    // See log() in index.ts: no new key in a (nearly) full zone.
    if (counts.freeSpace() < 32768 && (!counts.has(tag + ip) || (signal !== 0 && !counts.has(tag + '~' + ip)))) {
      countUnstored(tag, add, signal, sec, 'zone warden_counts is full: new clients are counted globally only (make it larger, or poll more often)');
      return;
    }
    if (signal !== 0) counts.incr(tag + '~' + ip, signal, 0);
    counts.incr(tag + ip, add, 0);
  } catch (e) {
    countUnstored(tag, add, signal, sec, 'per-client key not stored (zone warden_counts full?): ' + String(e));
  }
}

/**
 * Counts a request that could not be stored under its client (full zone, non-IP client): adds `add` (and `signal`) to
 * the second's global-only keys `tag` (and `tag~`) when it can, and one to the dropped counters, and logs at most once
 * per second. Looks the zones up itself and logs with ngx.log unless given others: it runs only on this rare path.
 * @example countUnstored('K', ADD_OK, 0, 1764312345, 'zone warden_counts full')
 */
export function countUnstored(tag: string, add: number, signal: number, sec: number, why: string, zones?: CountZones, log?: LogFn): void {
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
    // The global-only keys are made by the first such request of a second; in a full zone, only when there is room.
    const room = z.counts.freeSpace() >= 32768;
    if (room || z.counts.has(tag)) z.counts.incr(tag, add >= ADD_OK ? add : ADD_OK, 0);
    if (signal > 0 && (room || z.counts.has(tag + '~'))) z.counts.incr(tag + '~', signal, 0);
  } catch {
    // Already counted as dropped above.
  }
}
