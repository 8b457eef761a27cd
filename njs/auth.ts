// Signed requests and answers on the internal listener (docs/counters-protocol.md, "Access"): the daemon proves it
// knows the warden secret with an HMAC per request (`X-Warden-Auth`), never the secret itself, and nginx signs its
// answer bound to that request, so neither a stolen request nor a process holding the port in nginx's place gains
// anything. HMAC-SHA256 from njs's `crypto` module: present in njs 0.8 and 1.0 and under QuickJS (`import`, not
// `require`, which QuickJS lacks). Only the internal module imports this: the per-request path never pays for it.
import cr from 'crypto';

/** The version of the signing scheme (`auth` in /status and in refusals; a module without it takes only X-Warden-Secret). */
export const AUTH_VERSION = 1;

/** Largest difference (ms) between a signed request's timestamp and nginx's clock that is accepted. */
export const AUTH_WINDOW_MS = 30000;

/** Meta key prefix: the highest timestamp accepted so far on a channel (`a` + channel); a request must be above it. */
const META_LAST_PREFIX = 'a';
/**
 * Meta key prefix: one key per accepted request (`r` + channel + ' ' + timestamp), claimed with `add`, which is atomic
 * across workers: two copies of one request reaching two workers at once cannot both pass (the `a` check alone is a
 * read, then a write). forgetClaims drops them once their timestamp is out of the window.
 */
const META_CLAIM_PREFIX = 'r';

/** What a parsed `X-Warden-Auth: <channel> <timestamp ms> <hex HMAC>` header holds. */
export interface AuthHeader {
  channel: string;
  ts: number;
  sig: string;
}

/**
 * Parses an `X-Warden-Auth` header; null when it is not `<channel [a-z0-9-]{1,16}> <ms digits> <64 hex digits>`.
 * @example parseAuthHeader('poll 1795845141967 ab..(64 hex)') // { channel: 'poll', ts: 1795845141967, sig: 'ab..' }
 */
export function parseAuthHeader(value: string): AuthHeader | null {
  const m = /^([a-z0-9-]{1,16}) ([0-9]{1,16}) ([0-9a-f]{64})$/.exec(value);
  if (!m) return null;
  return { channel: m[1], ts: Number(m[2]), sig: m[3] };
}

/**
 * The HMAC a request must carry: over `warden-request-1\n<METHOD>\n<request URI with query>\n<channel>\n<ts>\n<body>`.
 * @example requestSignature(secret, 'GET', '/counters?v=2', 'poll', 1795845141967, '')
 */
export function requestSignature(secret: string, method: string, uri: string, channel: string, ts: number, body: string): string {
  return cr.createHmac('sha256', secret)
    .update('warden-request-1\n' + method + '\n' + uri + '\n' + channel + '\n' + ts + '\n')
    .update(body)
    .digest('hex');
}

/**
 * The HMAC nginx puts on its answer to a signed request (response header `X-Warden-Auth`): over
 * `warden-answer-1\n<the request's HMAC>\n<status>\n<body>`, so an answer cannot be forged nor moved to another request.
 * @example answerSignature(secret, requestSig, 200, text)
 */
export function answerSignature(secret: string, requestSig: string, status: number, body: string): string {
  return cr.createHmac('sha256', secret)
    .update('warden-answer-1\n' + requestSig + '\n' + status + '\n')
    .update(body)
    .digest('hex');
}

/**
 * Compares two strings in time that depends only on their lengths (the secret's and an HMAC's length are not secret).
 * @example sameSecret('abc', 'abc') // true
 */
export function sameSecret(given: string, expected: string): boolean {
  if (given.length !== expected.length || expected.length === 0) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= given.charCodeAt(i) ^ expected.charCodeAt(i);
  return diff === 0;
}

/** A verified request (its HMAC, to bind the answer to) or why it is refused. */
export type AuthCheck = { ok: true; sig: string } | { ok: false; why: string };

/**
 * Checks a signed request: a well-formed header, a timestamp within AUTH_WINDOW_MS of `nowMs`, the right HMAC (compared
 * in constant time), and a timestamp above the last one accepted on its channel (kept in `meta`, so a captured request
 * cannot be replayed); records the timestamp when all pass.
 * @example checkRequest(meta, secret, header, 'GET', '/counters?v=2', '', Date.now())
 */
export function checkRequest(meta: NgxSharedDict<number>, secret: string, header: string, method: string, uri: string,
  body: string, nowMs: number): AuthCheck {
  const h = parseAuthHeader(header);
  if (h === null) return { ok: false, why: 'X-Warden-Auth is not `<channel> <timestamp ms> <64 hex digits>`' };
  const off = h.ts - nowMs;
  if (off > AUTH_WINDOW_MS || off < -AUTH_WINDOW_MS) {
    return { ok: false, why: 'X-Warden-Auth timestamp is ' + Math.round(off / 1000) + ' s off nginx\'s clock (at most ' +
      AUTH_WINDOW_MS / 1000 + ' s): a replayed request, or the daemon\'s and nginx\'s clocks differ' };
  }
  const expected = requestSignature(secret, method, uri, h.channel, h.ts, body);
  if (!sameSecret(h.sig, expected)) {
    return { ok: false, why: 'X-Warden-Auth does not match the secret nginx holds: the daemon\'s `nginx.secret_file` is not ' +
      'the file nginx includes (reload nginx after it changed), or the request was altered' };
  }
  const key = META_LAST_PREFIX + h.channel;
  const last = meta.get(key);
  // A stored timestamp further ahead than the window is from before the clock stepped back: stale, not a replay guard
  // (requests signed on that future timeline are refused by the window check above).
  if (typeof last === 'number' && h.ts <= last && last <= nowMs + AUTH_WINDOW_MS) {
    return { ok: false, why: 'X-Warden-Auth replayed: timestamp ' + h.ts + ' is not above the last one accepted on channel `' +
      h.channel + '` (' + last + ')' };
  }
  let claimed = true;
  try {
    claimed = meta.add(META_CLAIM_PREFIX + h.channel + ' ' + h.ts, nowMs);
  } catch {
    // A full meta zone: the check above alone, as before claims (two copies arriving at one instant could both pass).
  }
  if (!claimed) {
    return { ok: false, why: 'X-Warden-Auth replayed: this very request (timestamp ' + h.ts + ' on channel `' + h.channel +
      '`) was accepted already' };
  }
  meta.set(key, h.ts);
  return { ok: true, sig: h.sig };
}

/**
 * Drops the request claims of checkRequest whose request can no longer pass the window (accepted more than twice the
 * window ago, or ahead of the clock by more than the window: recorded before the clock stepped back), so the meta zone
 * holds about a minute of them. Run every second by the janitor. Returns how many it dropped.
 * @example forgetClaims(meta, Date.now())
 */
export function forgetClaims(meta: NgxSharedDict<number>, nowMs: number): number {
  const keys = meta.keys(1 << 20);
  let dropped = 0;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (k[0] !== META_CLAIM_PREFIX) continue;
    const at = meta.get(k);
    if (typeof at !== 'number' || at < nowMs - 2 * AUTH_WINDOW_MS || at > nowMs + AUTH_WINDOW_MS) {
      meta.delete(k);
      dropped++;
    }
  }
  return dropped;
}
