// The per-request module (`js_import warden from warden.js` in http {}): default-exports the handlers nginx runs for
// client requests, and nothing else. njs clones and re-initialises this whole module for every request, so every
// top-level function costs on every request (~180 instructions each), and so does every call, every first use of a
// built-in (`Math`, a string method: ~1,500-3,000 instructions each), every `ngx.shared` lookup (~3,000) and every
// `r.variables` read. The hot paths below are therefore written inline, with plain operators only; the rare paths call
// helpers. Which log handler runs is chosen by nginx's maps in nginx.conf (sensitive path? 4xx?), so a request pays
// only for the classes it can be in. Measured with `bash bench/overhead/callgrind.sh` (njs/README.md, docs/benchmarks.md).
import { clientOf } from './client.js';
import { countSignals, countUnstored } from './count.js';
import { ADD_4XX, ADD_5XX, ADD_OK } from './keys.js';

/**
 * `$warden_log_plain` (map `$warden_log` in nginx.conf: a status other than 4xx on an ordinary path): one `incr` of
 * the key (second tag + client) by the request's share of [total, 4xx, 5xx] (keys.ts). Returns '' (nothing is logged).
 */
function log(r: NginxHTTPRequest): string {
  let tag = '';
  let add = ADD_OK;
  let sec = 0;
  try {
    const s = r.status;
    add = s < 400 ? ADD_OK : s < 500 ? ADD_4XX : ADD_5XX;
    // `>>> 0` rather than Math.floor (first use of Math: ~3,000 instructions); exact until 2106.
    sec = (Date.now() / 1000) >>> 0;
    // TAGS of keys.ts, written out: a module-level constant costs on every request (~175 instructions each).
    tag = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'[sec % 64];
    let ip = r.remoteAddress;
    // IPv4 is used as it is. Anything else goes to clientOf(): a first character above '9' (':', a-f, 'unix:'), or a
    // ':' at [4] (IPv6 with a first group of four digits: all of 2000::/3, the global unicast space). Two comparisons
    // (each costs ~500 instructions): IPv6 starting with a group of 1-3 digits (reserved space such as 100::/64 or
    // 64:ff9b::/96) is counted per address.
    if (!(ip[0] <= '9') || ip[4] === ':') {
      ip = clientOf(r, ip);
      if (ip === '') {
        countUnstored(tag, add, 0, sec, 'request from a non-IP address `' + r.remoteAddress + '` counted globally only');
        return '';
      }
    }
    const counts = ngx.shared.warden_counts as NgxSharedDict<number>;
    // A new key in a full zone fails inside nginx's slab allocator, which logs a line every time (njs leaves the
    // zone's log_nomem on): with less than 32 KiB of free pages, only keys that exist are incremented.
    if (counts.freeSpace() < 32768 && !counts.has(tag + ip)) {
      countUnstored(tag, add, 0, sec, 'zone warden_counts is full: new clients are counted globally only (make it larger, or poll more often)');
      return '';
    }
    counts.incr(tag + ip, add, 0);
  } catch (e) {
    countUnstored(tag, add, 0, sec, 'per-client key not stored (zone warden_counts full?): ' + String(e));
  }
  return '';
}

/** `$warden_log_4xx_other` (a 4xx on a path neither sensitive nor static): an auth failure (401/403) or a probe. */
function log4xx(r: NginxHTTPRequest): string {
  countSignals(r, false, false);
  return '';
}

/** `$warden_log_4xx_static` (a 4xx for a static file): an auth failure when 401/403, never a probe. */
function log4xxStatic(r: NginxHTTPRequest): string {
  countSignals(r, false, true);
  return '';
}

/** `$warden_log_probe` (a path of the sensitive list, any status): a probe, and an auth failure when 401/403. */
function logProbe(r: NginxHTTPRequest): string {
  countSignals(r, true, false);
  return '';
}

/**
 * `$warden_log_proxy` (the map `$warden_log` picks it when the address after realip is a trusted proxy's,
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
 * `js_set $warden_banned warden.banned;`: '1' for a banned client, ''. Looks up the address; for IPv6 also its prefix
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

export default { log, log4xx, log4xxStatic, logProbe, logProxy, banned };
