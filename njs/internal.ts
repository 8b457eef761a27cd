// The internal listener's module (`js_import warden_internal from warden-internal.js` inside the internal server only):
// the counters drain, the ban endpoints, status, and the janitor. Kept out of the per-request module (index.ts).
import { handleApi } from './api.js';
import { janitor } from './drain.js';
import { forgetClaims } from './auth.js';
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

/** `js_content warden_internal.api;` on the internal listener. */
function api(r: NginxHTTPRequest): void {
  handleApi(r, zones(), Date.now());
}

/** `js_periodic warden_internal.janitor interval=1s;` on the internal listener: old request claims, stale seconds. */
function janitorTick(s: NginxPeriodicSession): void {
  try {
    const z = zones();
    const now = Date.now();
    forgetClaims(z.meta, now);
    const n = janitor(z, now, setting(s, 'warden_keep_seconds'));
    if (n > 0) warn('warden: nobody polled /counters: discarded ' + n + ' requests of stale buckets (counted as dropped)');
  } catch (e) {
    warn('warden: janitor failed: ' + String(e));
  }
}

export default { api, janitor: janitorTick };
