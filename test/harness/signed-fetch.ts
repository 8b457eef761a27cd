// The daemon's way of talking to nginx's internal listener, for tests and benches that imitate it: fetch() with the
// request signed (`X-Warden-Auth`, enforcer/adapters/nginx-internal.ts) and the answer's signature checked, so every
// test that drains or changes bans also proves nginx signs what it says.
import { answerSignature, signRequest } from '../../enforcer/adapters/nginx-internal.js';

let lastTs = 0;

/** A timestamp above every one this process signed before (nginx refuses a timestamp not above its channel's last). */
export function nextTimestamp(): number {
  lastTs = Math.max(Date.now(), lastTs + 1);
  return lastTs;
}

/**
 * fetch(`url`) signed with `secret` on `channel`; throws when a 2xx answer is not signed by nginx for this request.
 * The returned Response is a copy whose body can still be read.
 * @example const res = await signedFetch('http://127.0.0.1:9181/bans', secret, { method: 'POST', body: '{"add":[]}' });
 */
export async function signedFetch(url: string, secret: string, init: RequestInit = {}, channel = 'test'): Promise<Response> {
  const u = new URL(url);
  const method = (init.method ?? 'GET').toUpperCase();
  const body = typeof init.body === 'string' ? init.body : '';
  const s = signRequest(secret, method, u.pathname + u.search, channel, nextTimestamp(), body);
  const res = await fetch(url, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), 'X-Warden-Auth': s.header } });
  const text = await res.text();
  const got = res.headers.get('x-warden-auth');
  if (res.status >= 200 && res.status < 300 && got !== answerSignature(secret, s.sig, res.status, text)) {
    throw new Error(`${method} ${url}: HTTP ${res.status} answer not signed by nginx (X-Warden-Auth ${JSON.stringify(got)})`);
  }
  return new Response(res.status === 204 ? null : text, { status: res.status, headers: res.headers });
}
