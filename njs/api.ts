// The internal listener's routes: GET /counters, GET /bans, POST /bans, GET /status. Loopback clients only; every
// route but /status also needs a request signed with the warden secret (`X-Warden-Auth`, njs/auth.ts), and the answer to
// a signed request is signed in turn. The raw secret in `X-Warden-Secret` is still taken (an operator's curl, a daemon
// older than this module during an upgrade); the daemon never sends it.
import { answerSignature, AUTH_VERSION, checkRequest, sameSecret } from './auth.js';
import { changeBans, listBans, type BanChange } from './bans.js';
import { META_DROPPED_TOTAL, META_UNATTRIBUTED_TOTAL, type CountZones } from './count.js';
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

/** Meta key: the second of the last "refused without the secret" warning (one a minute at most). */
const META_REFUSED_LOGGED = "rl";

/** Whether a request may drain counts or change bans: `why` is '' when it may; `sig` is its HMAC when it was signed. */
interface Authorisation {
  why: string;
  sig: string;
}

/**
 * Why a request to the internal listener may not drain counts or change bans, or '' when it may: it must be signed
 * with the secret nginx knows (`js_var $warden_secret` in secret.conf, written by the daemon) in `X-Warden-Auth`, or
 * carry that secret itself in `X-Warden-Secret`.
 */
function authorise(r: NginxHTTPRequest, z: ApiZones, nowMs: number): Authorisation {
  const expected = r.variables.warden_secret;
  if (!expected) {
    return { sig: '', why: 'nginx has no warden secret: start the warden daemon once (it writes secret.conf next to nginx.conf, ' +
      '`nginx.secret_file`), check that nginx.conf includes it, and reload nginx' };
  }
  const signed = r.headersIn['X-Warden-Auth'];
  if (typeof signed === 'string' && signed !== '') {
    const c = checkRequest(z.meta, expected, signed, r.method, r.variables.request_uri || r.uri, r.requestText || '', nowMs);
    return c.ok ? { why: '', sig: c.sig } : { why: c.why, sig: '' };
  }
  const given = r.headersIn['X-Warden-Secret'];
  if (typeof given !== 'string' || given === '') {
    return { sig: '', why: 'the request is not signed (X-Warden-Auth): a warden daemon that does not sign its requests is ' +
      'older than this njs module (counters protocol ' + PROTOCOL_VERSION + '): upgrade the daemon' };
  }
  return sameSecret(given, expected) ? { why: '', sig: '' }
    : { sig: '', why: 'wrong warden secret in X-Warden-Secret: give the one in the file nginx includes (`nginx.secret_file`)' };
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

/** Answers; an answer to a signed request (`sig`) carries `X-Warden-Auth`: HMAC(secret, its request's HMAC, status, body). */
function answer(r: NginxHTTPRequest, sig: string, status: number, type: string, text: string): void {
  r.headersOut['Content-Type'] = type;
  if (sig !== '') r.headersOut['X-Warden-Auth'] = answerSignature(r.variables.warden_secret || '', sig, status, text);
  r.return(status, text);
}

function send(r: NginxHTTPRequest, status: number, body: unknown, sig?: string): void {
  answer(r, sig || '', status, 'application/json', JSON.stringify(body));
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
      // Needs no secret; a signed request gets a signed answer (so `warden doctor` knows it is nginx's).
      const hasAuth = typeof r.headersIn['X-Warden-Auth'] === 'string';
      const st = hasAuth ? authorise(r, z, nowMs) : { why: '', sig: '' };
      const dt = z.meta.get(META_DROPPED_TOTAL);
      const ut = z.meta.get(META_UNATTRIBUTED_TOTAL);
      const body: { [k: string]: unknown } = {
        njs: njs.version,
        nginx: r.variables.nginx_version || '',
        protocol: PROTOCOL_VERSION,
        auth: AUTH_VERSION,
        ipv6_prefix: ipv6PrefixOf(r),
        secret: r.variables.warden_secret ? true : false,
        zones: { warden_counts: zoneInfo(z.counts), warden_bans: zoneInfo(z.bans), warden_meta: zoneInfo(z.meta) },
        dropped_total: typeof dt === 'number' ? dt : 0,
        unattributed_total: typeof ut === 'number' ? ut : 0,
      };
      if (st.why !== '') body.auth_error = st.why;
      return send(r, 200, body, st.sig);
    }
    const auth = authorise(r, z, nowMs);
    if (auth.why !== '') {
      warnRefused(z, auth.why, nowMs);
      return send(r, 403, { error: auth.why, protocol: PROTOCOL_VERSION, auth: AUTH_VERSION });
    }
    const sig = auth.sig;
    if (path === '/counters' && r.method === 'GET') {
      // The daemon says which protocol it reads; another version gets 409 and nothing is drained (so no count is
      // lost or misread while the operator upgrades the other side).
      const want = r.args.v;
      if (want !== String(PROTOCOL_VERSION)) {
        return send(r, 409, {
          error: 'this njs module speaks counters protocol ' + PROTOCOL_VERSION + ', the poller asked for ' + (want || '1') +
            ': install the warden daemon of the same version as the njs files in nginx (or the njs files of the daemon\'s version)',
          protocol: PROTOCOL_VERSION,
        }, sig);
      }
      return answer(r, sig, 200, 'text/plain', drain(z, nowMs, setting(r, 'warden_drain_max'), ipv6PrefixOf(r)));
    }
    if (path === '/bans' && r.method === 'GET') return send(r, 200, { bans: listBans(z.bans, nowMs) }, sig);
    if (path === '/bans' && r.method === 'POST') {
      let body: BanChange;
      try {
        body = JSON.parse(r.requestText || '');
      } catch (e) {
        return send(r, 400, { error: 'body is not JSON: ' + String(e) }, sig);
      }
      if (!body || typeof body !== 'object' || Array.isArray(body)) return send(r, 400, { error: 'body must be an object {add, remove}' }, sig);
      if (body.add !== undefined && !Array.isArray(body.add)) return send(r, 400, { error: '`add` must be an array' }, sig);
      if (body.remove !== undefined && !Array.isArray(body.remove)) return send(r, 400, { error: '`remove` must be an array' }, sig);
      return send(r, 200, changeBans(z.bans, body, ipv6PrefixOf(r)), sig);
    }
    return send(r, 404, { error: 'unknown endpoint: ' + r.method + ' ' + path }, sig);
  } catch (e) {
    send(r, 500, { error: String(e) });
  }
}
