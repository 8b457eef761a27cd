// The daemon's heartbeat: every poll interval, drain nginx, feed the core, apply its decisions. Never overlaps itself,
// never stops on an error: nginx down is reported (rate-limited) and the core still ticks so bans run out on time.
import type { PollResult } from '../adapters/nginx-poller.js';
import { createBlindWatch, type BlindView } from '../core/blind-watch.js';

/** What the loop reports about nginx. */
export interface NginxState {
  reachable: boolean;
  lastPollAt: number | null;
  lastError: string | null;
  /** Requests nginx could not count, summed since start. */
  droppedTotal: number;
  droppedLastPoll: number;
  /** Requests from a trusted proxy's own address (its X-Forwarded-For unparseable or missing), summed since start. */
  unattributedTotal: number;
  unattributedLastPoll: number;
  /** Whether most requests of the last minute were unattributed (core/blind-watch.ts), and their share. */
  blind: BlindView;
  requestsSeen: number;
  pollErrors: number;
}

/** What the loop needs. */
export interface PollLoopDeps {
  poll: () => Promise<PollResult>;
  /** Feeds buckets in, ticks the core at `nowSec`, applies decisions; returns how many decisions were applied. */
  step: (result: PollResult | null, nowSec: number) => Promise<number>;
  nowMs: () => number;
  intervalMs: number;
  onNginxDown: (err: Error, firstFailure: boolean) => void;
  onNginxUp: (afterFailures: number) => void;
  onStepError: (err: Error) => void;
  /** Most requests of the last minute had no client ('started'), or the share fell back ('ended'). */
  onBlind?: (event: 'started' | 'ended', view: BlindView) => void;
  /**
   * Milliseconds after each interval boundary to poll at (default 50). nginx hands over only completed seconds, so
   * polling just after a second closes takes a flood's counts ~50 ms after its first second ends, not up to 1 s later.
   */
  phaseMs?: number;
}

/** A running loop. */
export interface PollLoop {
  state: NginxState;
  /** Runs one iteration now (tests, and the first poll at start). */
  runOnce(): Promise<void>;
  stop(): Promise<void>;
  /** Milliseconds the last iteration took (poll + decisions + firewall), and the slowest since start. */
  timing(): { lastMs: number; maxMs: number; iterations: number };
}

/**
 * Starts polling; the first iteration runs at once.
 * @example const loop = startPollLoop({ poll, step, nowMs: () => Date.now(), intervalMs: 1000, ... });
 */
export function startPollLoop(deps: PollLoopDeps): PollLoop {
  const state: NginxState = {
    reachable: false, lastPollAt: null, lastError: null, droppedTotal: 0, droppedLastPoll: 0, unattributedTotal: 0, unattributedLastPoll: 0,
    blind: { blind: false, share: 0, requests: 0 }, requestsSeen: 0, pollErrors: 0,
  };
  const blindWatch = createBlindWatch();
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let failures = 0;
  let lastMs = 0;
  let maxMs = 0;
  let iterations = 0;

  const once = async () => {
    const started = deps.nowMs();
    let result: PollResult | null = null;
    try {
      result = await deps.poll();
      state.reachable = true;
      state.lastPollAt = deps.nowMs() / 1000;
      state.lastError = null;
      state.droppedLastPoll = result.dropped;
      state.droppedTotal += result.dropped;
      state.unattributedLastPoll = result.unattributed;
      state.unattributedTotal += result.unattributed;
      state.requestsSeen += result.requests;
      const event = blindWatch.observe(Math.floor(deps.nowMs() / 1000), result.requests, result.unattributed);
      state.blind = blindWatch.view();
      if (event && deps.onBlind) deps.onBlind(event, state.blind);
      if (failures > 0) deps.onNginxUp(failures);
      failures = 0;
    } catch (err) {
      state.reachable = false;
      state.pollErrors++;
      state.lastError = (err as Error).message;
      deps.onNginxDown(err as Error, failures === 0);
      failures++;
    }
    try {
      await deps.step(result, Math.floor(deps.nowMs() / 1000));
    } catch (err) {
      deps.onStepError(err as Error);
    }
    lastMs = deps.nowMs() - started;
    maxMs = Math.max(maxMs, lastMs);
    iterations++;
  };

  const phase = deps.phaseMs ?? 50;
  /** Delay to the next boundary + phase, at least 10 ms away. */
  const untilNext = () => {
    const now = deps.nowMs();
    let next = Math.ceil((now - phase) / deps.intervalMs) * deps.intervalMs + phase;
    if (next - now < 10) next += deps.intervalMs;
    return next - now;
  };
  const schedule = (delay: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = once().finally(() => {
        running = null;
        schedule(untilNext());
      });
    }, delay);
  };
  schedule(0);

  return {
    state,
    async runOnce() {
      if (running) await running;
      await once();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (running) await running;
    },
    timing: () => ({ lastMs, maxMs, iterations }),
  };
}
