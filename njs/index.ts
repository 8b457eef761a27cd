// The per-request module (`js_import warden from warden.js` in http {}): default-exports the two handlers nginx runs
// for client requests, and nothing else. njs clones and re-initialises the whole module for every request, so every
// function in this bundle costs on every request (measured: the API code alone added ~13,000 instructions per request
// before it moved to internal.ts). Keep it this small.
import { isBanned } from './bans.js';
import { countRequest } from './count.js';

function warn(msg: string): void {
  ngx.log(ngx.WARN, msg);
}

function meta(): NgxSharedDict<number> {
  return ngx.shared.warden_meta as NgxSharedDict<number>;
}

/** `js_set $warden_log warden.log;` read by `access_log ... if=$warden_log` in the log phase: counts, returns ''. */
function log(r: NginxHTTPRequest): string {
  try {
    countRequest(ngx.shared.warden_counts as NgxSharedDict<number>, meta, r.remoteAddress, r.status, Date.now(), warn);
  } catch {
    // never into nginx
  }
  return '';
}

/** `js_set $warden_banned warden.banned;`: '1' for a banned client. */
function banned(r: NginxHTTPRequest): string {
  try {
    return isBanned(ngx.shared.warden_bans as NgxSharedDict<number>, r.remoteAddress, Date.now());
  } catch {
    return '';
  }
}

export default { log, banned };
