// The internal listener's routes: GET /counters, GET /bans, POST /bans, GET /status. Loopback clients only; every
// route but /status also needs the warden secret (`X-Warden-Secret`), which only the daemon holds.
import { changeBans, listBans, type BanChange } from './bans.js';
import { META_DROPPED_TOTAL, type CountZones } from './count.js';
import { drain, PROTOCOL_VERSION } from './drain.js';
import { setting } from './settings.js';

/** The zones the API serves. */
export interface ApiZones extends CountZones {
  bans: NgxSharedDict<number>;
}

/**
 * True for 127.0.0.0/8 and ::1 (also IPv4-mapped loopback).
 * @example isLoopback('127.0.0.1') // true
 */
export function isLoopback(addr: string): boolean {
  return addr === '::1' || addr.lastIndexOf('127.', 0) === 0 || addr.lastIndexOf('::ffff:127.', 0) === 0;
}

/**
 * Compares two strings in time that depends only on their lengths (the secret's length is not secret: 64 hex digits).
 * @example sameSecret('abc', 'abc') // true
 */
export function sameSecret(given: string, expected: string): boolean {
  if (given.length !== expected.length || expected.length === 0) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= given.charCodeAt(i) ^ expected.charCodeAt(i);
  return diff === 0;
}

/** Meta key: the second of the last "refused without the secret" warning (one a minute at most). */
const META_REFUSED_LOGGED = "rl";

/**
 * Why a request to the internal listener may not drain counts or change bans, or '' when it may: the secret nginx
 * knows (`js_var $warden_secret` in secret.conf, written by the daemon) must be given in `X-Warden-Secret`.
 */
function refusal(r: NginxHTTPRequest): string {
  const expected = r.variables.warden_secret;
  if (!expected) {
    return 'nginx has no warden secret: start the warden daemon once (it writes secret.conf next to nginx.conf, ' +
      '`nginx.secret_file`), check that nginx.conf includes it, and reload nginx';
  }
  const given = r.headersIn['X-Warden-Secret'];
  if (typeof given !== 'string' || given === '') {
    return 'the warden secret is required (X-Warden-Secret); a warden daemon that does not send it is older than ' +
      'this njs module (counters protocol ' + PROTOCOL_VERSION + '): upgrade the daemon';
  }
  return sameSecret(given, expected) ? '' : 'wrong warden secret: the daemon\'s `nginx.secret_file` is not the file nginx includes (reload nginx after it changed)';
}

function warnRefused(z: ApiZones, why: string, nowMs: number): void {
  try {
    const sec = Math.floor(nowMs / 1000);
    const last = z.meta.get(META_REFUSED_LOGGED);
    if (typeof last === 'number' && sec - last < 60) return;
    z.meta.set(META_REFUSED_LOGGED, sec);
    ngx.log(ngx.WARN, 'warden: internal listener refused a request: ' + why);
  } catch {
    // Logging is best effort.
  }
}

function ipv6PrefixOf(r: NginxHTTPRequest): number {
  const raw = r.variables.warden_ipv6_prefix;
  const n = raw === undefined || raw === '' ? 64 : Number(raw);
  return n >= 0 && n <= 128 ? Math.floor(n) : 64;
}

function send(r: NginxHTTPRequest, status: number, body: unknown): void {
  r.headersOut['Content-Type'] = 'application/json';
  r.return(status, JSON.stringify(body));
}

function zoneInfo(z: NgxSharedDict<number>): { items: number; capacity: number; free: number } {
  return { items: z.size(), capacity: z.capacity, free: z.freeSpace() };
}

/**
 * Serves one request of the internal listener (js_content). Never throws: errors become a 500 JSON answer.
 * @example handleApi(r, { counts, meta, bans }, Date.now())
 */
export function handleApi(r: NginxHTTPRequest, z: ApiZones, nowMs: number): void {
  try {
    // The connection's own address: realip settings inherited from http{} must not let a header pass as loopback.
    const peer = r.variables.realip_remote_addr || r.remoteAddress;
    if (!isLoopback(peer)) return send(r, 403, { error: 'loopback only' });
    const path = r.uri;
    if (path === '/status' && r.method === 'GET') {
      const dt = z.meta.get(META_DROPPED_TOTAL);
      return send(r, 200, {
        njs: njs.version,
        nginx: r.variables.nginx_version || '',
        protocol: PROTOCOL_VERSION,
        ipv6_prefix: ipv6PrefixOf(r),
        secret: r.variables.warden_secret ? true : false,
        zones: { warden_counts: zoneInfo(z.counts), warden_bans: zoneInfo(z.bans), warden_meta: zoneInfo(z.meta) },
        dropped_total: typeof dt === 'number' ? dt : 0,
      });
    }
    const why = refusal(r);
    if (why !== '') {
      warnRefused(z, why, nowMs);
      return send(r, 403, { error: why, protocol: PROTOCOL_VERSION });
    }
    if (path === '/counters' && r.method === 'GET') {
      // The daemon says which protocol it reads; another version gets 409 and nothing is drained (so no count is
      // lost or misread while the operator upgrades the other side).
      const want = r.args.v;
      if (want !== String(PROTOCOL_VERSION)) {
        return send(r, 409, {
          error: 'this njs module speaks counters protocol ' + PROTOCOL_VERSION + ', the poller asked for ' + (want || '1') +
            ': install the warden daemon of the same version as the njs files in nginx (or the njs files of the daemon\'s version)',
          protocol: PROTOCOL_VERSION,
        });
      }
      r.headersOut['Content-Type'] = 'text/plain';
      return r.return(200, drain(z, nowMs, setting(r, 'warden_drain_max'), ipv6PrefixOf(r)));
    }
    if (path === '/bans' && r.method === 'GET') return send(r, 200, { bans: listBans(z.bans, nowMs) });
    if (path === '/bans' && r.method === 'POST') {
      let body: BanChange;
      try {
        body = JSON.parse(r.requestText || '');
      } catch (e) {
        return send(r, 400, { error: 'body is not JSON: ' + String(e) });
      }
      if (!body || typeof body !== 'object' || Array.isArray(body)) return send(r, 400, { error: 'body must be an object {add, remove}' });
      if (body.add !== undefined && !Array.isArray(body.add)) return send(r, 400, { error: '`add` must be an array' });
      if (body.remove !== undefined && !Array.isArray(body.remove)) return send(r, 400, { error: '`remove` must be an array' });
      return send(r, 200, changeBans(z.bans, body, ipv6PrefixOf(r)));
    }
    return send(r, 404, { error: 'unknown endpoint: ' + r.method + ' ' + path });
  } catch (e) {
    send(r, 500, { error: String(e) });
  }
}
