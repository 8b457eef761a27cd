// The per-request module (`js_import warden from warden.js` in http {}): default-exports the two handlers nginx runs
// for client requests, and nothing else. njs clones and re-initialises this whole module for every request, so every
// top-level function costs on every request (~180 instructions each), and so does every call, every first use of a
// built-in (`Math`, a string method: ~1,500-3,000 instructions each) and every `ngx.shared` lookup (~3,000). The hot
// paths below are therefore written inline, with plain operators only; the rare paths call helpers. Measured with
// `bash bench/overhead/callgrind.sh` (docs/benchmarks.md, overhead).
import { clientKey } from './address.js';
import { countUnstored } from './count.js';
import { ADD_4XX, ADD_5XX, ADD_OK } from './keys.js';

/**
 * `js_set $warden_log warden.log;` read by `access_log ... if=$warden_log` in the log phase: one `incr` of the key
 * (second tag + client address) by the request's share of [total, 4xx, 5xx] (keys.ts). Returns '' (nothing is logged).
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
    // One comparison on the common path: IPv4 (and IPv6 starting with a digit) is used as it is; ':' (IPv4-mapped,
    // ::1), a-f and 'unix:' go through clientKey().
    if (!(ip[0] <= '9')) {
      ip = clientKey(ip);
      if (ip === '') {
        countUnstored(tag, add, sec, 'request from a non-IP address `' + r.remoteAddress + '` counted globally only');
        return '';
      }
    }
    (ngx.shared.warden_counts as NgxSharedDict<number>).incr(tag + ip, add, 0);
  } catch (e) {
    countUnstored(tag, add, sec, 'per-IP key not stored (zone warden_counts full?): ' + String(e));
  }
  return '';
}

/** `js_set $warden_banned warden.banned;`: '1' for a banned client, ''. Reads the clock only for a listed address. */
function banned(r: NginxHTTPRequest): string {
  try {
    let ip = r.remoteAddress;
    if (!(ip[0] <= '9')) ip = clientKey(ip);
    const until = (ngx.shared.warden_bans as NgxSharedDict<number>).get(ip);
    // until: epoch s, 0 = permanent (bans.ts).
    return until === undefined || (until !== 0 && until * 1000 <= Date.now()) ? '' : '1';
  } catch {
    return '';
  }
}

export default { log, banned };
