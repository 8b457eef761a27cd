// The ban ladder: offence counts remembered per IP decide how long each new ban lasts.
import type { OffenceRecord } from './types.js';

/** Where an IP lands on the ladder for a new offence. */
export interface LadderStep {
  /** 1-based offence count within memory, and the step used. */
  step: number;
  /** Seconds, null when permanent. */
  durationSec: number | null;
}

/**
 * The step for an IP's `count`-th offence: ladder[min(count, length) - 1]; the last step repeats.
 * @example ladderDuration([600, 1800, 7200, null], 2) === 1800; ladderDuration([600, 1800, 7200, null], 9) === null
 */
export function ladderDuration(ladder: Array<number | null>, count: number): number | null {
  if (ladder.length === 0) return null;
  return ladder[Math.min(Math.max(1, count), ladder.length) - 1];
}

/**
 * Remembers offences per IP for `memory` seconds after the last one. Pure: times come in as arguments.
 * @example const book = new OffenceBook(30 * 86400); book.record('203.0.113.9', now) === 1; book.record('203.0.113.9', now + 700) === 2
 */
export class OffenceBook {
  private readonly map = new Map<string, { count: number; lastAt: number }>();

  constructor(private readonly memory: number) {}

  /** Offences of `ip` still remembered at `now` (0 when none or forgotten). */
  count(ip: string, now: number): number {
    const r = this.map.get(ip);
    return r && now - r.lastAt <= this.memory ? r.count : 0;
  }

  /** Records a new offence at `now`; returns the new count. */
  record(ip: string, now: number): number {
    const count = this.count(ip, now) + 1;
    this.map.set(ip, { count, lastAt: now });
    return count;
  }

  /** Replaces what is known (restore at start). */
  restore(records: OffenceRecord[]): void {
    for (const r of records) {
      const prev = this.map.get(r.ip);
      if (!prev || prev.lastAt < r.lastAt) this.map.set(r.ip, { count: r.count, lastAt: r.lastAt });
    }
  }

  /** Forgets offences older than memory. */
  prune(now: number): void {
    for (const [ip, r] of this.map) if (now - r.lastAt > this.memory) this.map.delete(ip);
  }

  /** Number of IPs remembered. */
  get size(): number {
    return this.map.size;
  }
}
