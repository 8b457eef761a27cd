// Adapter: signed requests to nginx's internal listener (docs/counters-protocol.md, "Access"). The warden secret never
// leaves the daemon: each request carries `X-Warden-Auth: <channel> <timestamp ms> <HMAC-SHA256>` over what it asks,
// and each answer must carry nginx's HMAC over what it says, bound to that request; an answer without it is refused
// (whoever holds the port in nginx's place can neither learn the secret nor have a forged answer believed).
import { Buffer } from 'node:buffer';
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far (ms) a request's timestamp may be from nginx's clock (njs/auth.ts refuses more). */
export const AUTH_WINDOW_MS = 30_000;

/**
 * The HMAC of a request: over `warden-request-1\n<METHOD>\n<path with query>\n<channel>\n<ts>\n<body>` (njs/auth.ts).
 * @example requestSignature(secret, 'GET', '/counters?v=2', 'poll', Date.now(), '')
 */
export function requestSignature(secret: string, method: string, uri: string, channel: string, ts: number, body: string): string {
  return createHmac('sha256', secret).update(`warden-request-1\n${method}\n${uri}\n${channel}\n${ts}\n`).update(body).digest('hex');
}

/**
 * The HMAC nginx puts on its answer (`X-Warden-Auth`): over `warden-answer-1\n<request HMAC>\n<status>\n<body>`.
 * @example answerSignature(secret, requestSig, 200, text)
 */
export function answerSignature(secret: string, requestSig: string, status: number, body: string): string {
  return createHmac('sha256', secret).update(`warden-answer-1\n${requestSig}\n${status}\n`).update(body).digest('hex');
}

/**
 * An `X-Warden-Auth` request header value and its HMAC (to check the answer with).
 * @example signRequest(secret, 'POST', '/bans', 'bans', Date.now(), '{"add":[]}') // { header: 'bans 17958... 3fa...', sig: '3fa...' }
 */
export function signRequest(secret: string, method: string, uri: string, channel: string, ts: number, body: string): { header: string; sig: string } {
  const sig = requestSignature(secret, method, uri, channel, ts, body);
  return { header: `${channel} ${ts} ${sig}`, sig };
}

/** True when `given` is the HMAC `expected` (constant time). */
function sameHex(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** An answer from the internal listener. `verified`: it carried nginx's valid signature for this request. */
export interface InternalAnswer {
  status: number;
  text: string;
  verified: boolean;
}

/** An answer that did not come from nginx with the warden secret: forged, or from an njs module that does not sign. */
export class UnsignedAnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsignedAnswerError';
  }
}

/** Options of an internal-listener client. */
export interface InternalClientOptions {
  /** Base URL of the internal listener, e.g. http://127.0.0.1:9181 */
  url: string;
  /**
   * Who signs (`[a-z0-9-]{1,16}`): nginx keeps the highest timestamp per channel and refuses anything not above it, so
   * one channel's requests go one at a time (this client queues them) and each sender uses its own channel.
   */
  channel: string;
  /** The warden secret (read at every request: it may be created late); null: requests go unsigned and get 403. */
  secret: () => string | null;
  /** The clock for timestamps (ms). Default Date.now. */
  nowMs?: () => number;
}

/** Sends requests to the internal listener, signed, one at a time. */
export interface InternalClient {
  /**
   * Sends one request; resolves with its answer. A 2xx answer to a signed request that is not signed by nginx rejects
   * with UnsignedAnswerError; other failures (network, timeout) reject as fetch does.
   */
  request(method: 'GET' | 'POST', path: string, opts: { body?: string; timeoutMs: number }): Promise<InternalAnswer>;
}

/**
 * Makes a client for the internal listener.
 * @example const c = createInternalClient({ url: 'http://127.0.0.1:9181', channel: 'poll', secret: () => s });
 *          const a = await c.request('GET', '/counters?v=2', { timeoutMs: 800 });
 */
export function createInternalClient(opts: InternalClientOptions): InternalClient {
  const base = opts.url.replace(/\/+$/, '');
  const now = opts.nowMs ?? Date.now;
  let lastTs = 0;
  let queue: Promise<unknown> = Promise.resolve();
  const send = async (method: 'GET' | 'POST', path: string, o: { body?: string; timeoutMs: number }): Promise<InternalAnswer> => {
    const body = o.body ?? '';
    const secret = opts.secret();
    const headers: Record<string, string> = {};
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    let sig = '';
    if (secret) {
      // Strictly increasing per channel even when the clock stands still or steps back a little; after a step back of
      // more than half the window, from the clock again (nginx forgets a last timestamp that far ahead, njs/auth.ts).
      const ts = lastTs - now() > AUTH_WINDOW_MS / 2 ? Math.floor(now()) : Math.max(Math.floor(now()), lastTs + 1);
      lastTs = ts;
      const s = signRequest(secret, method, path, opts.channel, ts, body);
      headers['X-Warden-Auth'] = s.header;
      sig = s.sig;
    }
    // No redirects (nginx never sends one; an impostor on the port could), and the answer read with a cap.
    const res = await fetch(`${base}${path}`, {
      method, headers, body: o.body, signal: AbortSignal.timeout(o.timeoutMs), redirect: 'error',
    });
    const text = await readCapped(res, MAX_ANSWER_BYTES, `${base}${path}`);
    const got = res.headers.get('x-warden-auth') ?? '';
    const verified = secret !== null && sig !== '' && got !== '' && sameHex(got, answerSignature(secret, sig, res.status, text));
    if (sig !== '' && !verified && res.status >= 200 && res.status < 300) {
      throw new UnsignedAnswerError(`${base}${path} answered HTTP ${res.status} ` +
        `${got === '' ? 'without' : 'with a wrong'} signature (X-Warden-Auth): not nginx with the warden secret. Another ` +
        `process may hold ${new URL(base).host} while nginx is down, or nginx runs an njs module older than this daemon ` +
        '(copy dist/njs/*.js and nginx.conf of this version to /etc/nginx/warden/ and reload nginx); nothing of the answer was used');
    }
    return { status: res.status, text, verified };
  };
  return {
    request(method, path, o) {
      const p = queue.then(() => send(method, path, o));
      queue = p.catch(() => undefined);
      return p;
    },
  };
}

/**
 * What an error answer (4xx/5xx) of the internal listener says, for a log line: its `error`, marked as unverified when
 * it was not signed by nginx, with the upgrade hint when a module older than signed requests refused us.
 * @example refusalText(answer) // 'the request is not signed ...'
 */
export function refusalText(a: InternalAnswer): string {
  let why = a.text.slice(0, 300);
  type Refusal = { error?: unknown; protocol?: unknown; auth?: unknown };
  let body: Refusal | null = null;
  try {
    body = JSON.parse(a.text) as Refusal | null;
    why = String(body?.error ?? why).slice(0, 300);
  } catch {
    // not JSON: the raw text says it
  }
  if (a.status === 403 && body && body.protocol !== undefined && body.auth === undefined) {
    return `${why} [nginx runs an njs module older than this daemon: it takes only the raw secret, which this daemon no ` +
      'longer sends; copy dist/njs/warden.js, dist/njs/warden-internal.js and nginx.conf of this version to /etc/nginx/warden/ ' +
      'and reload nginx (docs/install.md, "Upgrading")]';
  }
  return a.verified ? why : `${why} (unsigned answer)`;
}

/** The largest answer read from the internal listener: a drain of 1,000,000 keys is ~25 MB. */
export const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

/**
 * Reads an answer's body as text, refusing (and cancelling) one larger than `max` bytes, by its Content-Length or while
 * it streams: a process holding the port while nginx is down must not make the daemon buffer hundreds of megabytes.
 * @example await readCapped(res, MAX_ANSWER_BYTES, 'http://127.0.0.1:9181/counters')
 */
export async function readCapped(res: Response, max: number, what: string): Promise<string> {
  const tooBig = () => new Error(`${what} answered more than ${max} bytes: refused unread`);
  const declared = Number(res.headers.get('content-length') ?? '');
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel().catch(() => undefined);
    throw tooBig();
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw tooBig();
    }
    parts.push(value);
  }
  return Buffer.concat(parts, size).toString('utf8');
}
