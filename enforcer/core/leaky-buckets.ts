// Per-client leaky buckets over one signal (auth failures, probes): each event fills a client's bucket by one, the
// bucket leaks at a steady rate, and a client whose level goes over a capacity has overflowed. Only clients with a
// non-empty bucket are held, so the cost follows the clients that send the signal, not all clients.

/** One client's bucket. */
interface Bucket {
  level: number;
  /** Epoch second the level was last brought up to date. */
  at: number;
}

/**
 * Leaky buckets keyed by client. Time is whole epoch seconds passed in (pure; no clock).
 * @example
 *   const b = new LeakyBuckets(0.1);          // leaks one event every 10 s
 *   b.add('203.0.113.9', 1000, 6);            // six failures in one second
 *   b.level('203.0.113.9', 1010) === 5        // ten seconds later one has leaked out
 */
export class LeakyBuckets {
  private readonly buckets = new Map<string, Bucket>();

  /** @param leakPerSec events leaked per second (> 0). */
  constructor(readonly leakPerSec: number) {}

  /** Number of clients with a non-empty bucket (as of their last update). */
  get size(): number {
    return this.buckets.size;
  }

  /** Adds `n` events of second `t` to a client's bucket; returns the new level. */
  add(key: string, t: number, n: number): number {
    if (!(n > 0)) return this.level(key, t);
    const b = this.buckets.get(key);
    if (b === undefined) {
      this.buckets.set(key, { level: n, at: t });
      return n;
    }
    this.leak(b, t);
    b.level += n;
    return b.level;
  }

  /** A client's level at `t` (0 when it has none). */
  level(key: string, t: number): number {
    const b = this.buckets.get(key);
    if (b === undefined) return 0;
    return Math.max(0, b.level - Math.max(0, t - b.at) * this.leakPerSec);
  }

  /** Empties a client's bucket (its events led to a ban, or an operator lifted one). */
  clear(key: string): void {
    this.buckets.delete(key);
  }

  /** Calls `fn` with every client whose level at `t` is above `over`. */
  forEachOver(t: number, over: number, fn: (key: string, level: number) => void): void {
    for (const [key, b] of this.buckets) {
      const level = Math.max(0, b.level - Math.max(0, t - b.at) * this.leakPerSec);
      if (level > over) fn(key, level);
    }
  }

  /** Forgets the buckets that have leaked empty by `t` (call now and then: keeps the map to the active clients). */
  prune(t: number): void {
    for (const [key, b] of this.buckets) {
      if (b.level - Math.max(0, t - b.at) * this.leakPerSec <= 0) this.buckets.delete(key);
    }
  }

  private leak(b: Bucket, t: number): void {
    if (t <= b.at) return; // a late count for an earlier second: add it without leaking backwards
    b.level = Math.max(0, b.level - (t - b.at) * this.leakPerSec);
    b.at = t;
  }
}
