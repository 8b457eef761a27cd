// The per-request module (`js_import warden from warden.js` in http {}): default-exports the handlers nginx runs for
// client requests, and nothing else. njs clones and re-initialises this whole module for every request, so every
// top-level function costs on every request (~180 instructions each), and so does every call, every first use of a
// built-in (`Math`, a string method: ~1,500-3,000 instructions each), every `ngx.shared` lookup (~3,000) and every
// `r.variables` read. The hot paths below are therefore written inline, with plain operators only; the rare paths call
// helpers. Which log handler runs is chosen by nginx's maps in nginx.conf (IPv4 or IPv6? trusted proxy? sensitive path?
// which status?), so the common request (IPv4, an ordinary path, a 2xx or 3xx) reads nothing but its address. Measured with `bash bench/overhead/callgrind.sh` (njs/README.md, docs/benchmarks.md).
import { clientOf } from './client.js';
import { countRequest } from './count.js';
import { ADD_4XX, ADD_5XX, ADD_OK } from './keys.js';

/**
 * `warden.0`, `$warden_log_plain` (map `$warden_log` in nginx.conf): an IPv4 client (`$warden_from_proxy` 0), a path
 * off the sensitive list, one of the common statuses below 400 (200, 204, 301, 304...). nginx's maps have classified
 * it, so this reads neither the status nor a variable: one `incr` of the key (second tag + client) by one request with
 * no error (ADD_OK, keys.ts). Returns '' (nothing is logged).
 */
function log(r: NginxHTTPRequest): string {
  try {
    // `>>> 0` rather than Math.floor (first use of Math: ~3,000 instructions); exact until 2106. TAGS of keys.ts,
    // written out: a module-level constant costs on every request (~175 instructions each).
    const tag = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'[((Date.now() / 1000) >>> 0) % 64];
    const ip = r.remoteAddress;
    const counts = ngx.shared.warden_counts as NgxSharedDict<number>;
    // The geo sent IPv6 clients elsewhere; what is left is dotted IPv4, or (a first character above '9') an IPv4-mapped
    // IPv6 address or a unix socket client. A new key in a full zone fails inside nginx's slab allocator, which logs a
    // line every time (njs leaves the zone's log_nomem on): with less than 32 KiB of free pages, only keys that exist
    // are incremented. Both rare cases, and an error, go to the general handler, which keys the client, counts what
    // cannot be stored and logs at most once a second.
    if (ip[0] <= '9' && (counts.freeSpace() >= 32768 || counts.has(tag + ip))) {
      counts.incr(tag + ip, ADD_OK, 0);
      return '';
    }
  } catch {
    // Counted below.
  }
  return countRequest(r);
}

/**
 * `warden.2`, `$warden_log_4xx_other` (a 4xx on a path neither sensitive nor static): an auth failure (401) or a probe
 * (any other 4xx), inline like log(): two `incr`s, the signal key's after the request's (keys.ts). A 403 or 444 (which may be
 * warden's own refusal of a banned client), a client that is not plain IPv4 and a full zone go to the general handler.
 */
function log4xx(r: NginxHTTPRequest): string {
  let stored = false;
  try {
    const s = r.status;
    if (s !== 403 && s !== 444) {
      const tag = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'[((Date.now() / 1000) >>> 0) % 64];
      const ip = r.remoteAddress;
      const counts = ngx.shared.warden_counts as NgxSharedDict<number>;
      if (ip[0] <= '9' && ip[4] !== ':' && (counts.freeSpace() >= 32768 || (counts.has(tag + ip) && counts.has(tag + '~' + ip)))) {
        counts.incr(tag + ip, ADD_4XX, 0);
        stored = true;
        // Signal values (keys.ts): auth 2^26, probe 1.
        counts.incr(tag + '~' + ip, s === 401 ? 67108864 : 1, 0);
        return '';
      }
    }
  } catch {
    // Counted below, unless the request already was (a signal lost in a full zone).
  }
  return stored ? '' : countRequest(r, false, true);
}

/** `warden.3`, `$warden_log_probe` (a path of the sensitive list, any status): a probe, and an auth failure when 401/403. */
function logProbe(r: NginxHTTPRequest): string {
  return countRequest(r, true);
}

/**
 * `warden.4`, `$warden_log_proxy` (the map `$warden_log` picks it when the address after realip is a trusted proxy's,
 * `$warden_from_proxy` in nginx.conf: its X-Forwarded-For was missing or unparseable, so nginx knows no client): the
 * request goes into the second's global-only key (the totals: total, 4xx, 5xx) and the unattributed counters of
 * warden_meta (`u` since the last drain, `ut` since start; count.ts), never under a client, so garbage headers can
 * never get the proxy banned. Written inline: every top-level function of this module costs on every request.
 */
function logProxy(r: NginxHTTPRequest): string {
  try {
    const s = r.status;
    const add = s < 400 ? ADD_OK : s < 500 ? ADD_4XX : ADD_5XX;
    const sec = (Date.now() / 1000) >>> 0;
    const tag = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'[sec % 64];
    const meta = ngx.shared.warden_meta as NgxSharedDict<number>;
    meta.incr('u', 1, 0);
    meta.incr('ut', 1, 0);
    const counts = ngx.shared.warden_counts as NgxSharedDict<number>;
    if (counts.freeSpace() >= 32768 || counts.has(tag)) counts.incr(tag, add, 0);
  } catch {
    // A full meta or counts zone: this request is not in the totals; the request itself is never touched.
  }
  return '';
}

/**
 * `warden.5`, `js_set $warden_banned warden.5;`: '1' for a banned client, ''. Looks up the address; for IPv6 also its prefix
 * (`$warden_ipv6_prefix`). Reads the clock only for a listed key.
 */
function banned(r: NginxHTTPRequest): string {
  try {
    const ip = r.remoteAddress;
    const bans = ngx.shared.warden_bans as NgxSharedDict<number>;
    let until = bans.get(ip);
    if (until === undefined && (!(ip[0] <= '9') || ip[4] === ':')) {
      // IPv6 (or IPv4-mapped): the client key (its prefix, or the IPv4 address), then the exact address.
      const key = clientOf(r, ip);
      if (key !== '' && key !== ip) until = bans.get(key);
    }
    // until: epoch s, 0 = permanent (bans.ts).
    return until === undefined || (until !== 0 && until * 1000 <= Date.now()) ? '' : '1';
  } catch {
    return '';
  }
}

// An array, not an object: njs builds the export again for every request, and an array element costs about 175
// instructions where an object property costs about 600 (docs/benchmarks.md). nginx.conf names each handler by its
// index (`js_set $warden_log_plain warden.0;`); test/njs/handlers.test.ts checks the two agree. `warden.1`,
// `$warden_log_any`, is countRequest of count.ts itself: the general handler.
export default [log, countRequest, log4xx, logProbe, logProxy, banned];
