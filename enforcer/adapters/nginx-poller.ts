// Adapter: drains the njs counters endpoint (GET <nginx.url>/counters?v=2, signed with the warden secret, channel
// `poll`) and turns its answer into SecondBuckets (counters protocol 2, text, decoded in counters-text.ts). Only an answer
// signed by nginx is read: one from whoever else holds the port, or from an njs module older than signed requests
// (protocol 1's JSON too), is a PollError that says which, and nothing of it is ingested.
import type { SecondBucket } from '../core/types.js';
import { CountersDecoder } from './counters-text.js';
import { createInternalClient, refusalText, UnsignedAnswerError, type InternalAnswer } from './nginx-internal.js';

/** What one poll brought back. */
export interface PollResult {
  buckets: SecondBucket[];
  /** Requests nginx could not count since the previous poll. */
  dropped: number;
  /** Requests from a trusted proxy's own address since the previous poll (no client known: in the totals only). */
  unattributed: number;
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

/** Options of the poller. */
export interface PollerOptions {
  /** Base URL of the njs internal listener, e.g. http://127.0.0.1:9181 */
  url: string;
  timeoutMs: number;
  /** At most this many follow-up requests when nginx says `more` (keeps one poll bounded). */
  maxFollowUps?: number;
  /** The warden secret nginx knows (secret.conf), which signs each poll (never sent); read at every poll (it may be created late). */
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
  const client = createInternalClient({ url: base, channel: 'poll', secret: () => opts.secret?.() ?? null });
  const once = async (): Promise<PollResult & { more: boolean }> => {
    let a: InternalAnswer;
    try {
      a = await client.request('GET', '/counters?v=2', { timeoutMs: opts.timeoutMs });
    } catch (err) {
      if (err instanceof UnsignedAnswerError) throw new PollError(err.message, { cause: err });
      const e = err as Error & { cause?: { code?: string } };
      const why = e.name === 'TimeoutError' ? `no answer within ${opts.timeoutMs} ms` : (e.cause?.code ?? e.message);
      throw new PollError(`nginx counters endpoint ${base}/counters unreachable: ${why}`, { cause: err });
    }
    if (a.status !== 200) {
      let why = refusalText(a);
      if (a.status === 403 && !opts.secret?.()) why += ` (this daemon has no secret: check \`nginx.secret_file\`)`;
      throw new PollError(`nginx counters endpoint ${base}/counters answered HTTP ${a.status}: ${why}`);
    }
    if (!a.verified) {
      // Only reached without a secret (nginx refuses unsigned polls, so this is not nginx).
      throw new PollError(`nginx counters endpoint ${base}/counters answered without a signature and this daemon has no ` +
        'secret to check one: nothing of it was used (check `nginx.secret_file`)');
    }
    const text = a.text;
    if (!text.startsWith('warden-counters ')) {
      throw new PollError(`nginx counters endpoint ${base}/counters answered something other than counters protocol 2: ` +
        JSON.stringify(text.slice(0, 80)));
    }
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
  };
  return async () => {
    const first = await once();
    const out: PollResult = {
      buckets: first.buckets, dropped: first.dropped, unattributed: first.unattributed, requests: first.requests, nginxNow: first.nginxNow,
    };
    let more = first.more;
    for (let i = 0; more && i < maxFollowUps; i++) {
      const next = await once();
      for (const b of next.buckets) out.buckets.push(b);
      out.dropped += next.dropped;
      out.unattributed += next.unattributed;
      out.requests += next.requests;
      out.nginxNow = next.nginxNow;
      more = next.more;
    }
    if (maxFollowUps > 0) out.buckets.sort((x, y) => x.t - y.t);
    return out;
  };
}
