// The njs module loaded by nginx.conf (`js_import warden from warden.js`): default-exports the handlers only.
import { handleApi } from './api.js';
import { isBanned } from './bans.js';
import { countRequest } from './count.js';
import { janitor } from './drain.js';
import { setting } from './settings.js';

function zones() {
  return {
    counts: ngx.shared.warden_counts as NgxSharedDict<number>,
    meta: ngx.shared.warden_meta as NgxSharedDict<number>,
    bans: ngx.shared.warden_bans as NgxSharedDict<number>,
  };
}

function warn(msg: string): void {
  ngx.log(ngx.WARN, msg);
}

/** `js_set $warden_log warden.log;` read by `access_log ... if=$warden_log` in the log phase: counts, returns ''. */
function log(r: NginxHTTPRequest): string {
  try {
    countRequest({ counts: ngx.shared.warden_counts as NgxSharedDict<number>, meta: ngx.shared.warden_meta as NgxSharedDict<number> },
      r.remoteAddress, r.status, Date.now(), warn);
  } catch {
    // never into nginx
  }
  return '';
}

/** `js_set $warden_banned warden.banned;`: '1' for a banned client. */
function banned(r: NginxHTTPRequest): string {
  return isBanned(ngx.shared.warden_bans as NgxSharedDict<number>, r.remoteAddress, Date.now());
}

/** `js_content warden.api;` on the internal listener. */
function api(r: NginxHTTPRequest): void {
  handleApi(r, zones(), Date.now());
}

/** `js_periodic warden.janitor interval=1s;` on the internal listener. */
function janitorTick(s: NginxPeriodicSession): void {
  try {
    const n = janitor(zones(), Date.now(), setting(s, 'warden_keep_seconds'));
    if (n > 0) warn('warden: nobody polled /counters: discarded ' + n + ' requests of stale buckets (counted as dropped)');
  } catch (e) {
    warn('warden: janitor failed: ' + String(e));
  }
}

export default { log, banned, api, janitor: janitorTick };
