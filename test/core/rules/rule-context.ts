// A tick's context and client views built from plain per-client sums, for judging one rule module on its own.
import type { ClientView, DetectionSection, Population, RuleDef, Signal, TickContext, WindowName } from '../../../enforcer/core/rules/types.js';
import { parseConfig } from '../../../enforcer/config/load.js';
import type { Baseline } from '../../../enforcer/core/types.js';

/** Per-client sums: client key -> window -> signal -> sum (missing ones are 0). */
export type Sums = Record<string, Partial<Record<WindowName, Partial<Record<Signal, number>>>>>;

const SECONDS: Record<WindowName, number> = { main: 60, short: 2, '10m': 600, '1h': 3600 };

const BASELINE: Baseline = {
  mean: 1, stddev: 0.5, errorMean: 0.1, rawMean: 0, rawStddev: 0, samples: 0, source: 'floor', computedAt: 0,
};

function sumOf(s: Sums[string] | undefined, signal: Signal, window: WindowName): number {
  return s?.[window]?.[signal] ?? 0;
}

/** An exact population over the given clients (the engine's quantile by rank, clients without the signal left out). */
export function population(sums: Sums): Population {
  const values = (signal: Signal, window: WindowName) =>
    Object.values(sums).map((s) => sumOf(s, signal, window)).filter((v) => v > 0).sort((a, b) => a - b);
  return {
    clients: Object.values(sums).filter((s) => sumOf(s, 'total', 'main') > 0).length,
    count: (signal = 'total', window = 'main') => values(signal, window).length,
    quantile(q, signal = 'total', window = 'main') {
      const v = values(signal, window);
      if (v.length === 0) return 0;
      return v[Math.min(v.length - 1, Math.max(0, Math.floor(q * (v.length - 1))))];
    },
  };
}

/** A tick context over these clients. */
export function context(sums: Sums, over: Partial<TickContext> = {}): TickContext {
  return {
    now: 1_000_000, seconds: SECONDS, baseline: BASELINE, population: population(sums), global: { rate: 0, errorRate: 0 },
    minRequests: 10, ...over,
  };
}

/** One client's view. */
export function client(sums: Sums, key: string): ClientView {
  const s = sums[key];
  return {
    key,
    sum: (signal, window = 'main') => sumOf(s, signal, window),
    rate: (signal, window = 'main') => sumOf(s, signal, window) / SECONDS[window],
  };
}

/** `n` ordinary clients named `10.0.x.y`, each with the same sums. */
export function crowd(n: number, each: Sums[string], prefix = '10.0'): Sums {
  const out: Sums = {};
  for (let i = 0; i < n; i++) out[`${prefix}.${i >> 8}.${i & 255}`] = each;
  return out;
}

/** A rule's settings from the real config schema (defaults, plus `detection.rules.<name>` overrides). */
export function settingsOf<S>(rule: RuleDef<S>, keys: Record<string, unknown> = {}): S {
  const config = parseConfig({ detection: { rules: { [rule.name]: keys } } }, {});
  return rule.settings(config.detection as unknown as DetectionSection);
}
