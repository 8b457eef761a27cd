// Per-IP sliding windows: request and error sums over the last `window` seconds, kept incrementally.
// Each second's counts are kept as a compact list; when a second leaves the window its counts are subtracted,
// so a tick costs what arrived and what left, not the number of IPs. An IP with nothing left in the window is forgotten.

/** The counts of one second: parallel typed arrays (12 bytes an entry), reused from a pool. */
interface SecondList {
  t: number;
  n: number;
  slots: Int32Array;
  tot: Uint32Array;
  err: Uint32Array;
}

function grow<T extends Int32Array | Uint32Array | Float64Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}

/**
 * Request and error counts per IP over a sliding window of whole seconds.
 * @example
 *   const w = new IpWindows(60);
 *   w.add(1000, '203.0.113.9', 5, 1); w.advance(1001);
 *   w.requests(w.slotOf('203.0.113.9')) === 5; w.advance(1061); w.slotOf('203.0.113.9') === -1
 */
export class IpWindows {
  private readonly index = new Map<string, number>();
  private ips: Array<string | undefined> = [];
  private sumTot: Float64Array;
  private sumErr: Float64Array;
  /** Entries still held for the slot in second lists (counted or forgiven). */
  private refs: Int32Array;
  /** Entries of seconds before this one no longer count for the slot (forgiven after a ban or a manual unban). */
  private since: Float64Array;
  private lastT: Float64Array;
  private free: number[] = [];
  private highWater = 0;
  private readonly seconds = new Map<number, SecondList>();
  private readonly pool: SecondList[] = [];
  /** The list written last (a bucket adds many IPs to the same second). */
  private last: SecondList | null = null;
  /** Seconds before this are outside the window (-Infinity before the first advance). */
  private cutoff = -Infinity;

  constructor(readonly window: number, capacity = 1024) {
    this.sumTot = new Float64Array(capacity);
    this.sumErr = new Float64Array(capacity);
    this.refs = new Int32Array(capacity);
    this.since = new Float64Array(capacity).fill(-Infinity);
    this.lastT = new Float64Array(capacity).fill(-Infinity);
  }

  /** Number of IPs with counts in the window. */
  get size(): number {
    return this.index.size;
  }

  /** One past the highest slot ever used: iterate slots 0..limit-1 and skip free ones (ipAt undefined). */
  get limit(): number {
    return this.highWater;
  }

  /** Slot of an IP, or -1 when it has nothing in the window. */
  slotOf(ip: string): number {
    return this.index.get(ip) ?? -1;
  }

  /** IP in a slot (undefined for a free slot). */
  ipAt(slot: number): string | undefined {
    return this.ips[slot];
  }

  /** Requests of the slot's IP in the window. */
  requests(slot: number): number {
    return this.sumTot[slot];
  }

  /** 4xx+5xx of the slot's IP in the window. */
  errors(slot: number): number {
    return this.sumErr[slot];
  }

  /** Adds counts of second `t` for `ip`. Returns false when dropped (second already outside the window, or forgiven). */
  add(t: number, ip: string, total: number, errors: number): boolean {
    if (t < this.cutoff || !(total > 0)) return false;
    let slot = this.index.get(ip);
    if (slot === undefined) slot = this.allocate(ip);
    else if (t < this.since[slot]) return false;
    let list = this.last !== null && this.last.t === t ? this.last : this.seconds.get(t);
    if (!list) {
      list = this.pool.pop() ?? { t, n: 0, slots: new Int32Array(64), tot: new Uint32Array(64), err: new Uint32Array(64) };
      list.t = t;
      list.n = 0;
      this.seconds.set(t, list);
    }
    if (list.n === list.slots.length) {
      const size = list.n * 2;
      list.slots = grow(list.slots, size);
      list.tot = grow(list.tot, size);
      list.err = grow(list.err, size);
    }
    this.last = list;
    list.slots[list.n] = slot;
    list.tot[list.n] = total;
    list.err[list.n] = errors;
    list.n++;
    this.sumTot[slot] += total;
    this.sumErr[slot] += errors;
    this.refs[slot]++;
    if (t > this.lastT[slot]) this.lastT[slot] = t;
    return true;
  }

  /** Moves the window to end at `now` (exclusive): seconds before now - window leave, IPs left with nothing are forgotten. */
  advance(now: number): void {
    const cutoff = now - this.window;
    if (cutoff <= this.cutoff) return;
    this.cutoff = cutoff;
    for (const [t, list] of this.seconds) {
      if (t >= cutoff) continue;
      for (let k = 0; k < list.n; k++) {
        const slot = list.slots[k];
        if (t >= this.since[slot]) {
          this.sumTot[slot] -= list.tot[k];
          this.sumErr[slot] -= list.err[k];
        }
        if (--this.refs[slot] === 0) this.release(slot);
      }
      this.seconds.delete(t);
      if (this.last === list) this.last = null;
      if (this.pool.length < 256) this.pool.push(list);
    }
  }

  /**
   * Calls `fn` with every still-counted entry (second, requests, errors) of the marked slots: one pass over the window,
   * for taking banned IPs' traffic back out of the baseline.
   */
  forEachCounted(marked: Uint8Array, fn: (t: number, requests: number, errors: number) => void): void {
    for (const [t, list] of this.seconds) {
      for (let k = 0; k < list.n; k++) {
        const slot = list.slots[k];
        if (slot < marked.length && marked[slot] === 1 && t >= this.since[slot]) fn(t, list.tot[k], list.err[k]);
      }
    }
  }

  /** Zeroes an IP's window: counts so far no longer count (they led to a ban, or an operator lifted one). */
  forgive(ip: string): void {
    const slot = this.index.get(ip);
    if (slot === undefined) return;
    this.since[slot] = this.lastT[slot] + 1;
    this.sumTot[slot] = 0;
    this.sumErr[slot] = 0;
  }

  private allocate(ip: string): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      slot = this.highWater++;
      if (slot >= this.sumTot.length) {
        const size = this.sumTot.length * 2;
        this.sumTot = grow(this.sumTot, size);
        this.sumErr = grow(this.sumErr, size);
        this.refs = grow(this.refs, size);
        const since = new Float64Array(size).fill(-Infinity);
        since.set(this.since);
        this.since = since;
        const lastT = new Float64Array(size).fill(-Infinity);
        lastT.set(this.lastT);
        this.lastT = lastT;
      }
    }
    this.index.set(ip, slot);
    this.ips[slot] = ip;
    return slot;
  }

  private release(slot: number): void {
    const ip = this.ips[slot];
    if (ip !== undefined) this.index.delete(ip);
    this.ips[slot] = undefined;
    this.sumTot[slot] = 0;
    this.sumErr[slot] = 0;
    this.since[slot] = -Infinity;
    this.lastT[slot] = -Infinity;
    this.free.push(slot);
  }
}
