// Clocks for the daemon: the system clock, and a frozen clock that tests move by hand.
import type { Clock } from '../core/types.js';

/** The real wall clock (the only place in the enforcer that reads Date.now()). */
export const systemClock: Clock = { nowMs: () => Date.now() };

/** A clock that only moves when told to. */
export interface FrozenClock extends Clock {
  /** Moves the clock forward by `ms` (negative moves it back). */
  advance(ms: number): void;
  /** Sets the clock to `ms` epoch milliseconds. */
  set(ms: number): void;
}

/**
 * A clock frozen at `ms` epoch milliseconds, for tests.
 * @example const c = frozenClock(Date.UTC(2026, 0, 1)); c.advance(1000); c.nowMs() === Date.UTC(2026, 0, 1, 0, 0, 1)
 */
export function frozenClock(ms: number): FrozenClock {
  let now = ms;
  return {
    nowMs: () => now,
    advance: (d) => { now += d; },
    set: (t) => { now = t; },
  };
}
