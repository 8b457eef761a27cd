// The alert queue: decisions are enqueued without blocking, then sent one at a time to Slack and/or a JSON webhook
// with a timeout and retries; every outcome is reported (for the alerts table) and a dead endpoint is logged, rate-limited.
import type { Clock } from '../../core/types.js';
import type { AlertRow } from '../store/types.js';
import type { Logger } from '../logger.js';
import { slackPayload, webhookPayload, type AlertDecision } from './payloads.js';

/** Alerter settings (from the `alerts` config section). */
export interface AlerterOptions {
  /** Slack incoming-webhook URL; empty: off. */
  slackUrl: string;
  /** Generic JSON webhook URL; empty: off. */
  webhookUrl: string;
  /** Per-attempt timeout. */
  timeoutMs: number;
  /** Retries after the first attempt. */
  retries: number;
  /** Which decision kinds are sent. */
  events: ReadonlyArray<AlertDecision['kind']>;
  /** Wait before retry number `attempt` (1-based); default 500 ms doubling, at most 30 s. */
  backoffMs?: (attempt: number) => number;
  /** Most messages waiting; beyond it the oldest is dropped and counted. Default 1000. */
  queueLimit?: number;
}

/** What the alerter needs from the daemon. */
export interface AlerterDeps {
  log: Pick<Logger, 'every' | 'debug'>;
  clock: Clock;
  /** Called once per message with its final outcome, to be stored in the alerts table. */
  onResult?: (row: Omit<AlertRow, 'id'>) => void;
}

/** The alert queue. */
export interface Alerter {
  /** Enqueues a decision for every configured channel; never blocks, never throws. */
  notify(d: AlertDecision): void;
  /** Resolves when the queue is empty and nothing is in flight, or after `timeoutMs` (for shutdown). */
  flush(timeoutMs: number): Promise<void>;
  /** Messages waiting or in flight. */
  pending(): number;
  /** Messages dropped because the queue was full. */
  dropped(): number;
}

type Channel = 'slack' | 'webhook';
interface Job { d: AlertDecision; channel: Channel; url: string }

const defaultBackoff = (attempt: number): number => Math.min(30_000, 500 * 2 ** (attempt - 1));

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });

/** Why a fetch failed, in a few words (`ECONNREFUSED`, `timeout after 5000 ms`, `HTTP 500`). */
function describeError(err: unknown, timedOut: boolean, timeoutMs: number): string {
  if (timedOut) return `timeout after ${timeoutMs} ms`;
  const e = err as Error & { cause?: { code?: string; message?: string } };
  const c = e.cause;
  if (c?.code) return `${c.code}${c.message ? `: ${c.message}` : ''}`;
  return e.message || String(err);
}

/**
 * Makes the alert queue.
 * @example
 * const alerter = createAlerter(
 *   { slackUrl: cfg.alerts.slack_webhook_url, webhookUrl: cfg.alerts.webhook_url, timeoutMs: 5000, retries: 3, events: ['ban'] },
 *   { log, clock, onResult: (row) => store.insertAlert(row) },
 * );
 * alerter.notify(banDecision); // returns at once
 * await alerter.flush(2000);   // at shutdown
 */
export function createAlerter(opts: AlerterOptions, deps: AlerterDeps): Alerter {
  const limit = Math.max(1, opts.queueLimit ?? 1000);
  const backoff = opts.backoffMs ?? defaultBackoff;
  const events = new Set(opts.events);
  const channels: Array<{ channel: Channel; url: string }> = [];
  if (opts.slackUrl) channels.push({ channel: 'slack', url: opts.slackUrl });
  if (opts.webhookUrl) channels.push({ channel: 'webhook', url: opts.webhookUrl });

  const queue: Job[] = [];
  let inFlight = 0;
  let droppedCount = 0;
  let running = false;
  let idleWaiters: Array<() => void> = [];

  const report = (row: Omit<AlertRow, 'id'>): void => {
    try {
      deps.onResult?.(row);
    } catch {
      /* the daemon logs its own store failures */
    }
  };

  async function attempt(job: Job, body: string): Promise<string | null> {
    const ac = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort();
    }, opts.timeoutMs);
    timer.unref();
    try {
      const res = await fetch(job.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'nginx-warden' },
        body,
        signal: ac.signal,
      });
      // Read the body so the connection is released (and a hanging body also times out).
      await res.arrayBuffer().catch(() => undefined);
      return res.ok ? null : `HTTP ${res.status}`;
    } catch (err) {
      return describeError(err, timedOut, opts.timeoutMs);
    } finally {
      clearTimeout(timer);
    }
  }

  async function send(job: Job): Promise<void> {
    let body: string;
    try {
      body = JSON.stringify(job.channel === 'slack' ? slackPayload(job.d) : webhookPayload(job.d));
    } catch (err) {
      report({ at: Math.floor(deps.clock.nowMs() / 1000), kind: job.d.kind, channel: job.channel, ok: 0,
        error: `cannot build payload: ${(err as Error).message}`, payload: '' });
      return;
    }
    let error: string | null = null;
    const tries = 1 + Math.max(0, opts.retries);
    for (let i = 0; i < tries; i++) {
      if (i > 0) await sleep(backoff(i));
      error = await attempt(job, body);
      if (error === null) break;
      deps.log.debug(`${job.channel} alert attempt ${i + 1}/${tries} failed: ${error}`);
    }
    if (error !== null) {
      deps.log.every(`alert-dead:${job.channel}`, 60_000, 'warn',
        `${job.channel} alert (${job.d.kind}) failed after ${tries} attempt(s): ${error}`);
    }
    report({ at: Math.floor(deps.clock.nowMs() / 1000), kind: job.d.kind, channel: job.channel, ok: error === null ? 1 : 0,
      error, payload: body });
  }

  async function pump(): Promise<void> {
    running = true;
    try {
      while (queue.length > 0) {
        const job = queue.shift() as Job;
        inFlight = 1;
        try {
          await send(job);
        } catch {
          /* send reports its own failures */
        } finally {
          inFlight = 0;
        }
      }
    } finally {
      running = false;
      const w = idleWaiters;
      idleWaiters = [];
      for (const f of w) f();
    }
  }

  return {
    notify(d) {
      try {
        if (!events.has(d.kind)) return;
        for (const c of channels) {
          if (queue.length >= limit) {
            queue.shift();
            droppedCount++;
            deps.log.every('alert-queue-full', 60_000, 'warn', `alert queue full (${limit}): dropped the oldest, ${droppedCount} dropped so far`);
          }
          queue.push({ d, channel: c.channel, url: c.url });
        }
        if (!running && queue.length > 0) {
          running = true;
          setImmediate(() => void pump());
        }
      } catch {
        /* detection must never be blocked by alerting */
      }
    },
    flush(timeoutMs) {
      if (!running && queue.length === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(done, timeoutMs);
        function done(): void {
          clearTimeout(timer);
          idleWaiters = idleWaiters.filter((f) => f !== done);
          resolve();
        }
        idleWaiters.push(done);
      });
    },
    pending: () => queue.length + inFlight,
    dropped: () => droppedCount,
  };
}
