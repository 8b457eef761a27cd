// The general counting handler (index.ts holds the common path inline): requests that can be an auth failure or a
// probe, IPv6 clients, and requests that cannot be stored per client. Never throws.
import { clientOf } from './client.js';
import { ADD_4XX, ADD_5XX, ADD_OK } from './keys.js';

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
 * Counts any request (`warden.1`, `$warden_log_any`, and through log4xx and logProbe): the general handler, which reads
 * the status and keys the client itself (IPv6 by prefix). nginx's maps tell what the status cannot: `sensitive` (a path
 * of the sensitive list) and `probeOn4xx` (a 4xx on a path that is not a static file is a probe); nginx calls it with
 * neither (an ordinary path where a 4xx is not a probe: a static file, or no 4xx at all). 401/403 answered by the site
 * are auth failures; warden's own refusal of a banned client (403 or 444 while `$warden_banned` is '1') is neither an
 * error nor a signal, only a request. A request that cannot be stored under its client (not an IP address, a full
 * zone) goes into the second's global-only keys (the totals) and the dropped counters, with at most one log line a
 * second. Written as one function, the rare tail inline: every top-level function of the per-request module costs on
 * every request. Never throws; returns '' (the js_set value: nothing is logged).
 * @example countRequest(r, true) // a request for /.env
 */
export function countRequest(r: NginxHTTPRequest, sensitive?: boolean, probeOn4xx?: boolean): string {
  let tag = '';
  let add = ADD_OK;
  let signal = 0;
  let sec = 0;
  let why = '';
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
      else if (sensitive || (probeOn4xx && s >= 400 && s < 500)) signal = 1;
    }
    let ip = r.remoteAddress;
    if (!(ip[0] <= '9') || ip[4] === ':') ip = clientOf(r, ip);
    if (ip === '') {
      why = 'request from a non-IP address `' + r.remoteAddress + '` counted globally only';
    } else {
      const counts = ngx.shared.warden_counts as NgxSharedDict<number>;
      // See log() in index.ts: no new key in a (nearly) full zone.
      if (counts.freeSpace() < 32768 && (!counts.has(tag + ip) || (signal !== 0 && !counts.has(tag + '~' + ip)))) {
        why = 'zone warden_counts is full: new clients are counted globally only (make it larger, or poll more often)';
      } else {
        if (signal !== 0) counts.incr(tag + '~' + ip, signal, 0);
        counts.incr(tag + ip, add, 0);
        return '';
      }
    }
  } catch (e) {
    why = 'per-client key not stored (zone warden_counts full?): ' + String(e);
  }
  // Not stored under a client: one more dropped request (META_DROPPED, META_DROPPED_TOTAL and META_LOGGED written out:
  // a module-level constant of this bundle costs on every request), a warning at most once a second, and the request
  // in the second's global-only keys `tag` (and `tag~`) when there is room for them.
  try {
    const meta = ngx.shared.warden_meta as NgxSharedDict<number>;
    meta.incr('d', 1, 0);
    meta.incr('dt', 1, 0);
    if (meta.get('lg') !== sec) {
      meta.set('lg', sec);
      ngx.log(ngx.WARN, 'warden: request not fully counted: ' + why);
    }
  } catch {
    // The meta zone itself failed: nothing more can be done without touching the request.
  }
  if (tag === '') return '';
  try {
    const counts = ngx.shared.warden_counts as NgxSharedDict<number>;
    // The global-only keys are made by the first such request of a second; in a full zone, only when there is room.
    const room = counts.freeSpace() >= 32768;
    if (room || counts.has(tag)) counts.incr(tag, add, 0);
    if (signal > 0 && (room || counts.has(tag + '~'))) counts.incr(tag + '~', signal, 0);
  } catch {
    // Already counted as dropped above.
  }
  return '';
}
