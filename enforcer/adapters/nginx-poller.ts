// Adapter: drains the njs counters endpoint (GET <nginx.url>/counters) and turns its answer into SecondBuckets.
import type { CounterBatch, Counts, SecondBucket } from '../core/types.js';
import { pushAll } from '../core/arrays.js';

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
  return Array.isArray(v) && v.length === 3 && v.every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0);
}

/**
 * Checks a counters body's structure and converts it; a malformed batch or bucket throws PollError naming what is wrong.
 * @example parseCounterBatch({ v: 1, now: 10.5, buckets: [{ t: 9, g: [2, 1, 0], ip: { '1.2.3.4': [2, 1, 0] } }], dropped: 0 })
 */
export function parseCounterBatch(body: unknown): PollResult & { more: boolean } {
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
    buckets.push({ t: raw.t, global: raw.g, ips: raw.ip });
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

/** Options of the poller. */
export interface PollerOptions {
  /** Base URL of the njs internal listener, e.g. http://127.0.0.1:9181 */
  url: string;
  timeoutMs: number;
  /** At most this many follow-up requests when nginx says `more` (keeps one poll bounded). */
  maxFollowUps?: number;
}

/**
 * Makes a poll function: each call drains every completed bucket nginx holds (following `more`).
 * @example const poll = createPoller({ url: 'http://127.0.0.1:9181', timeoutMs: 800 }); const r = await poll();
 */
export function createPoller(opts: PollerOptions): () => Promise<PollResult> {
  const base = opts.url.replace(/\/+$/, '');
  const maxFollowUps = opts.maxFollowUps ?? 20;
  const once = async () => {
    let res: Response;
    try {
      res = await fetch(`${base}/counters`, { signal: AbortSignal.timeout(opts.timeoutMs) });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      const why = e.name === 'TimeoutError' ? `no answer within ${opts.timeoutMs} ms` : (e.cause?.code ?? e.message);
      throw new PollError(`nginx counters endpoint ${base}/counters unreachable: ${why}`, { cause: err });
    }
    if (res.status !== 200) {
      throw new PollError(`nginx counters endpoint ${base}/counters answered HTTP ${res.status}`);
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch (err) {
      throw new PollError(`nginx counters endpoint ${base}/counters answered with invalid JSON`, { cause: err });
    }
    return parseCounterBatch(body);
  };
  return async () => {
    const first = await once();
    const out: PollResult = { buckets: first.buckets, dropped: first.dropped, requests: first.requests, nginxNow: first.nginxNow };
    let more = first.more;
    for (let i = 0; more && i < maxFollowUps; i++) {
      const next = await once();
      pushAll(out.buckets, next.buckets);
      out.dropped += next.dropped;
      out.requests += next.requests;
      out.nginxNow = next.nginxNow;
      more = next.more;
    }
    return out;
  };
}
