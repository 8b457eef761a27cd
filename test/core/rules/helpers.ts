// Test helpers for rule modules: a real ClientWindows filled with per-second counts, a view on one client, and a tick
// context on a given baseline (the clock is the `now` passed in).
import { ClientWindows } from '../../../enforcer/core/client-windows.js';
import { SlotView, createPopulation } from '../../../enforcer/core/client-view.js';
import type { TickContext, WindowName } from '../../../enforcer/core/rules/types.js';
import type { Baseline, Counts } from '../../../enforcer/core/types.js';
import { parseConfig } from '../../../enforcer/config/load.js';
import type { RuleDef } from '../../../enforcer/core/rules/types.js';

export const T = 1_767_268_800; // 2026-01-01T12:00:00Z

/** A baseline at the floors (mean 1, stddev 0.5, errors 0.1), with `samples` seconds learned. */
export function baseline(over: Partial<Baseline> = {}): Baseline {
  return { mean: 1, stddev: 0.5, errorMean: 0.1, rawMean: 0, rawStddev: 0, samples: 0, source: 'floor', computedAt: T, ...over };
}

/** Windows (main 60 s, short 5 s) holding `perSecond` for each client, the seconds ending just before `T`. */
export function windowsWith(clients: Record<string, Counts[]>): ClientWindows {
  const w = new ClientWindows(60, 5);
  for (const [key, seconds] of Object.entries(clients)) {
    seconds.forEach((c, i) => w.add(T - seconds.length + i, key, c));
  }
  w.advance(T);
  return w;
}

/** A context at `T` over these windows. */
export function contextOf(w: ClientWindows, b: Baseline = baseline(), global = { rate: 0, errorRate: 0 }, minRequests = 10): TickContext {
  const seconds: Record<WindowName, number> = { main: 60, short: 5, '10m': 600, '1h': 3600 };
  return { now: T, seconds, baseline: b, population: createPopulation(w, T), global, minRequests };
}

/** A view on one client of the windows. */
export function viewOf(w: ClientWindows, key: string): SlotView {
  return new SlotView(w, { main: 60, short: 5, '10m': 600, '1h': 3600 }).at(w.slotOf(key), key, T);
}

/** `n` requests spread over the last `over` seconds (the remainder in the last one), as Counts per second. */
export function spread(n: number, over = 60, kind: (c: number) => Counts = (c) => [c, 0, 0]): Counts[] {
  const each = Math.floor(n / over);
  return Array.from({ length: over }, (_, i) => kind(i === over - 1 ? n - each * (over - 1) : each));
}

/** A rule's settings from a config's `detection` overrides. */
export function settingsOf<S>(rule: RuleDef<S>, detection: Record<string, unknown> = {}): S {
  return rule.settings(parseConfig({ detection }, {}).detection);
}
