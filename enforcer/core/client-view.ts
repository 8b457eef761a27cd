// The read-only views rules judge with: one client's sums over the windows (ClientView), and quantiles over the active
// clients (Population), both reading ClientWindows directly (no copies).
import type { ClientView, Population, Signal, WindowName } from './rules/types.js';
import { SIG_4XX, SIG_5XX, SIG_AUTH, SIG_PROBE, SIG_TOTAL, type ClientWindows } from './client-windows.js';

/** Stored signal index of each signal (`errors` is 4xx + 5xx: -1). */
const INDEX: Record<Signal, number> = { total: SIG_TOTAL, c4xx: SIG_4XX, c5xx: SIG_5XX, auth: SIG_AUTH, probe: SIG_PROBE, errors: -1 };

/**
 * A signal's sum over a window for one slot. The long windows (10m, 1h) count requests only: other signals there throw.
 * @example sumOf(windows, slot, 'auth', 'short', now) // auth failures in the last detection.short_window seconds
 */
export function sumOf(w: ClientWindows, slot: number, signal: Signal, window: WindowName, now: number): number {
  const i = INDEX[signal];
  if (i === undefined) throw new Error(`unknown signal ${JSON.stringify(signal)}`);
  switch (window) {
    case 'main':
      return i < 0 ? w.main(slot, SIG_4XX) + w.main(slot, SIG_5XX) : w.main(slot, i);
    case 'short':
      return i < 0 ? w.short(slot, SIG_4XX) + w.short(slot, SIG_5XX) : w.short(slot, i);
    case '10m':
    case '1h':
      if (i !== SIG_TOTAL) throw new Error(`the ${window} window counts requests only (signal total), not ${signal}`);
      return window === '10m' ? w.tenMinutes(slot, now) : w.hour(slot, now);
    default:
      throw new Error(`unknown window ${JSON.stringify(window)}`);
  }
}

/** The one ClientView the engine points at each judged client in turn. */
export class SlotView implements ClientView {
  slot = -1;
  key = '';
  now = 0;

  constructor(private readonly w: ClientWindows, private readonly seconds: Readonly<Record<WindowName, number>>) {}

  /** Points the view at a slot (at time `now`). */
  at(slot: number, key: string, now: number): this {
    this.slot = slot;
    this.key = key;
    this.now = now;
    return this;
  }

  sum(signal: Signal, window: WindowName = 'main'): number {
    return sumOf(this.w, this.slot, signal, window, this.now);
  }

  rate(signal: Signal, window: WindowName = 'main'): number {
    return this.sum(signal, window) / this.seconds[window];
  }
}

/** Above this many clients, quantiles are computed on an evenly strided sample. */
export const POPULATION_SAMPLE = 20_000;

/**
 * Quantiles over the clients of the windows, computed on first use per (signal, window) and kept for the tick.
 * @example createPopulation(windows, now).quantile(0.5) // the median client's requests over the main window
 */
export function createPopulation(w: ClientWindows, now: number): Population {
  const cache = new Map<string, Float64Array>();
  const sorted = (signal: Signal, window: WindowName): Float64Array => {
    const k = `${signal}/${window}`;
    let a = cache.get(k);
    if (a) return a;
    const limit = w.limit;
    const stride = Math.max(1, Math.floor(limit / POPULATION_SAMPLE));
    const buf = new Float64Array(Math.ceil(limit / stride));
    let n = 0;
    for (let slot = 0; slot < limit; slot += stride) {
      if (w.keyAt(slot) === undefined) continue;
      const v = sumOf(w, slot, signal, window, now);
      if (v > 0) buf[n++] = v;
    }
    a = buf.subarray(0, n).sort();
    cache.set(k, a);
    return a;
  };
  return {
    get clients() {
      return w.size;
    },
    quantile(q, signal = 'total', window = 'main') {
      const a = sorted(signal, window);
      if (a.length === 0) return 0;
      return a[Math.min(a.length - 1, Math.max(0, Math.floor(q * (a.length - 1))))];
    },
  };
}
