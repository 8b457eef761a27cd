// Adapter: drains the njs counters endpoint (GET <nginx.url>/counters?v=2 with the warden secret) and turns its answer
// into SecondBuckets: counters protocol 2 (text, decoded in counters-text.ts), or protocol 1 (JSON) from an njs module
// older than this daemon, read correctly with a warning that says how to upgrade.
import type { CounterBatch, Counts, SecondBucket } from '../core/types.js';
import { clientKey } from '../net/client-key.js';
import { CountersDecoder } from './counters-text.js';

/** What one poll brought back. */
export interface PollResult {
  buckets: SecondBucket[];
  /** Requests nginx could not count since the previous poll. */
  dropped: number;
  /** Requests in the returned buckets. */
  requests: number;
  /** nginx's clock when it answered (epoch s). */
  nginxNow: number;
}

/** A poll that failed: nginx down, timeout, or an answer that is not a counter batch. */
export class PollError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PollError';
  }
}

function isCounts(v: unknown): v is Counts {
  return Array.isArray(v) && (v.length === 3 || v.length === 5) && v.every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0);
}

/**
 * Checks a counters body's structure and converts it; a malformed batch or bucket throws PollError naming what is wrong.
 * @example parseCounterBatch({ v: 1, now: 10.5, buckets: [{ t: 9, g: [2, 1, 0], ip: { '1.2.3.4': [2, 1, 0] } }], dropped: 0 })
 */
export function parseCounterBatch(body: unknown, ipv6Prefix = 128): PollResult & { more: boolean } {
  const b = body as Partial<CounterBatch> | null;
  if (!b || typeof b !== 'object' || b.v !== 1 || !Array.isArray(b.buckets)) {
    throw new PollError('counters answer is not a version 1 counter batch');
  }
  const buckets: SecondBucket[] = [];
  let requests = 0;
  for (const raw of b.buckets) {
    if (!raw || typeof raw.t !== 'number' || !isCounts(raw.g) || !raw.ip || typeof raw.ip !== 'object') {
      throw new PollError(`counters answer has a malformed bucket: ${JSON.stringify(raw).slice(0, 120)}`);
    }
    // Per-IP entries are passed through unchecked: a bucket can hold 100k addresses and a pass over them costs as much
    // as parsing the JSON (~80 ms). The engine, which walks them anyway, skips any entry that is not three numbers.
    requests += raw.g[0];
    buckets.push({ t: raw.t, global: raw.g, ips: ipv6Prefix < 128 ? byPrefix(raw.ip, ipv6Prefix) : raw.ip });
  }
  buckets.sort((x, y) => x.t - y.t);
  return {
    buckets,
    requests,
    dropped: typeof b.dropped === 'number' ? b.dropped : 0,
    nginxNow: typeof b.now === 'number' ? b.now : 0,
    more: b.more === true,
  };
}

/** A protocol 1 bucket's per-address counts with IPv6 addresses added up by prefix (an njs module older than v2). */
function byPrefix(ips: Record<string, Counts>, prefix: number): Record<string, Counts> {
  let out: Record<string, Counts> | null = null;
  for (const ip in ips) {
    if (ip.indexOf(':') < 0) continue;
    out ??= { ...ips };
    const key = clientKey(ip, prefix);
    const c = out[ip];
    delete out[ip];
    if (key === null || !Array.isArray(c)) continue;
    const into = (out[key] ??= [0, 0, 0]);
    for (let i = 0; i < 3; i++) into[i] = (into[i] ?? 0) + (c[i] ?? 0);
  }
  return out ?? ips;
}

/** Options of the poller. */
export interface PollerOptions {
  /** Base URL of the njs internal listener, e.g. http://127.0.0.1:9181 */
  url: string;
  timeoutMs: number;
  /** At most this many follow-up requests when nginx says `more` (keeps one poll bounded). */
  maxFollowUps?: number;
  /** The warden secret nginx knows (secret.conf), sent as X-Warden-Secret; read at every poll (it may be created late). */
  secret?: () => string | null;
  /** `detection.ipv6_prefix`: what nginx must count IPv6 clients by. Default 64. */
  ipv6Prefix?: number;
  /** Where upgrade and mismatch notices go (each distinct notice at most once in 10 minutes). */
  warn?: (msg: string) => void;
}

/**
 * Makes a poll function: each call drains every completed bucket nginx holds (following `more`).
 * @example const poll = createPoller({ url: 'http://127.0.0.1:9181', timeoutMs: 800 }); const r = await poll();
 */
export function createPoller(opts: PollerOptions): () => Promise<PollResult> {
  const base = opts.url.replace(/\/+$/, '');
  const maxFollowUps = opts.maxFollowUps ?? 20;
  const prefix = opts.ipv6Prefix ?? 64;
  const noticed = new Map<string, number>();
  // Kept from poll to poll: clients seen before are found from the answer's text, without new strings.
  const decoder = new CountersDecoder();
  const notice = (msg: string) => {
    const now = Date.now();
    const last = noticed.get(msg);
    if (last !== undefined && now - last < 600_000) return;
    noticed.set(msg, now);
    opts.warn?.(msg);
  };
  const once = async (): Promise<PollResult & { more: boolean }> => {
    let res: Response;
    const secret = opts.secret?.() ?? null;
    try {
      res = await fetch(`${base}/counters?v=2`, {
        signal: AbortSignal.timeout(opts.timeoutMs), headers: secret ? { 'X-Warden-Secret': secret } : undefined,
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      const why = e.name === 'TimeoutError' ? `no answer within ${opts.timeoutMs} ms` : (e.cause?.code ?? e.message);
      throw new PollError(`nginx counters endpoint ${base}/counters unreachable: ${why}`, { cause: err });
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw new PollError(`nginx counters endpoint ${base}/counters: answer cut off: ${(err as Error).message}`, { cause: err });
    }
    if (res.status !== 200) {
      let why = text.slice(0, 300);
      try {
        why = String((JSON.parse(text) as { error?: unknown }).error ?? why);
      } catch {
        // not JSON: the raw text says it
      }
      if (res.status === 403 && !secret) why += ` (this daemon has no secret: check \`nginx.secret_file\`)`;
      throw new PollError(`nginx counters endpoint ${base}/counters answered HTTP ${res.status}: ${why}`);
    }
    if (text.startsWith('warden-counters ')) {
      let d;
      try {
        d = decoder.decode(text);
      } catch (err) {
        throw new PollError(`nginx counters endpoint ${base}/counters: ${(err as Error).message}`, { cause: err });
      }
      if (d.ipv6Prefix !== prefix) {
        notice(`nginx counts IPv6 clients per /${d.ipv6Prefix} (\`js_var $warden_ipv6_prefix ${d.ipv6Prefix};\` in the warden ` +
          `nginx.conf) but detection.ipv6_prefix is ${prefix}: set one to the other (then reload nginx or restart the daemon); ` +
          `until then clients are counted, judged and banned per /${d.ipv6Prefix}`);
      }
      return d;
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw new PollError(`nginx counters endpoint ${base}/counters answered neither counters protocol 2 nor JSON: ` +
        JSON.stringify(text.slice(0, 80)), { cause: err });
    }
    const v = (body as { v?: unknown } | null)?.v;
    if (v === 1) {
      notice('nginx runs the warden njs module of counters protocol 1 (older than this daemon): copy dist/njs/warden.js, ' +
        'dist/njs/warden-internal.js and nginx.conf of this version to /etc/nginx/warden/ and reload nginx ' +
        '(docs/install.md, "Upgrading"); until then auth failures and probes are not counted and IPv6 addresses are ' +
        `added up per /${prefix} here`);
      return parseCounterBatch(body, prefix);
    }
    throw new PollError(`nginx counters endpoint ${base}/counters answered counters protocol ${JSON.stringify(v)}, which this ` +
      'daemon does not read: install the warden daemon of the same version as the njs files in nginx');
  };
  return async () => {
    const first = await once();
    const out: PollResult = { buckets: first.buckets, dropped: first.dropped, requests: first.requests, nginxNow: first.nginxNow };
    let more = first.more;
    for (let i = 0; more && i < maxFollowUps; i++) {
      const next = await once();
      for (const b of next.buckets) out.buckets.push(b);
      out.dropped += next.dropped;
      out.requests += next.requests;
      out.nginxNow = next.nginxNow;
      more = next.more;
    }
    if (maxFollowUps > 0) out.buckets.sort((x, y) => x.t - y.t);
    return out;
  };
}
