// Test helpers for the njs tests: load with ab, drain the counters endpoint, and add up what comes back.
import { execFile } from 'node:child_process';
import type { Counts } from '../../enforcer/core/types.js';
import { decodeCounters, type DecodedCounters } from '../../enforcer/adapters/counters-text.js';
import { signedFetch } from '../harness/signed-fetch.js';

/** What a series of polls brought back, added up. */
export interface Totals {
  global: Counts;
  ips: Record<string, Counts>;
  dropped: number;
  /** Requests from a trusted proxy's own address (the header's 7th field). */
  unattributed: number;
  polls: number;
  /** Seconds seen, with how many times a bucket for that second came. */
  seconds: Record<number, number>;
}

/** Empty totals. */
export function emptyTotals(): Totals {
  return { global: [0, 0, 0, 0, 0], ips: {}, dropped: 0, unattributed: 0, polls: 0, seconds: {} };
}

/** Adds one decoded counters answer into `into` (all five fields; a client's counts read [total, 4xx, 5xx, auth, probe]). */
export function addBatch(into: Totals, b: DecodedCounters): void {
  into.polls++;
  into.dropped += b.dropped;
  into.unattributed += b.unattributed;
  for (const bucket of b.buckets) {
    into.seconds[bucket.t] = (into.seconds[bucket.t] ?? 0) + 1;
    for (let i = 0; i < 5; i++) into.global[i] = (into.global[i] ?? 0) + (bucket.global[i] ?? 0);
    for (const [ip, c] of Object.entries(bucket.ips)) {
      const t = (into.ips[ip] ??= [0, 0, 0, 0, 0]);
      for (let i = 0; i < 5; i++) t[i] = (t[i] ?? 0) + (c[i] ?? 0);
    }
  }
}

/** Where to drain: an nginx of the harness (its counters URL and secret). */
export interface CountersSource {
  countersUrl: string;
  secret: string;
}

/** GET /counters?v=2 signed with the secret once (following more) and add it up; returns the last decoded answer. */
export async function pollOnce(src: CountersSource, into: Totals): Promise<DecodedCounters> {
  for (;;) {
    const res = await signedFetch(src.countersUrl, src.secret, {}, 'drain');
    const text = await res.text();
    if (res.status !== 200) throw new Error(`counters: HTTP ${res.status}: ${text}`);
    const b = decodeCounters(text);
    addBatch(into, b);
    if (!b.more) return b;
  }
}

/** Polls until every request made before the call has come back: waits past the current second, then drains. */
export async function drainAll(src: CountersSource, into: Totals): Promise<void> {
  await sleep(1100 - (Date.now() % 1000) + 50);
  await pollOnce(src, into);
}

/** Polls every `everyMs` until stop() is called; returns a stop function that resolves after the last poll. */
export function pollInBackground(src: CountersSource, into: Totals, everyMs = 250): () => Promise<void> {
  let running = true;
  const loop = (async () => {
    while (running) {
      await pollOnce(src, into);
      await sleep(everyMs);
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}

/**
 * ab with a bounded number of requests; resolves with the number of completed requests and of failed ones.
 * `extra`: more ab flags (`-r`: go on after a connection reset, as a reload causes).
 */
export async function ab(url: string, n: number, c: number, headers: string[] = [], extra: string[] = []): Promise<{ complete: number; failed: number; non2xx: number }> {
  const args = ['-q', '-k', ...extra, '-n', String(n), '-c', String(c), ...headers.flatMap((h) => ['-H', h]), url];
  const out = await new Promise<string>((resolve, reject) => {
    execFile('ab', args, { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`ab ${args.join(' ')} failed: ${stderr || err.message}`, { cause: err }));
      else resolve(stdout);
    });
  });
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? 0);
  return { complete: num(/Complete requests:\s+(\d+)/), failed: num(/Failed requests:\s+(\d+)/), non2xx: num(/Non-2xx responses:\s+(\d+)/) };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** realip settings trusting X-Forwarded-For from loopback. */
export const trustLoopbackXff = 'set_real_ip_from 127.0.0.1; set_real_ip_from ::1; real_ip_header X-Forwarded-For;';
