// Per-client sliding windows of the five signals (total, 4xx, 5xx, auth, probe), kept incrementally:
// - main: the last `window` seconds (detection.window), all five signals;
// - short: the last `short` seconds (detection.short_window), all five signals;
// - 10m and 1h: requests only, as per-minute aggregates (a ring of 60 minutes per client; the 10 min window is the
//   current minute and the 9 before it, the 1 h window the current one and the 59 before it).
// Each second's counts are kept as a compact list; when a second leaves a window its counts are subtracted, so a tick
// costs what arrived and what left, not the number of clients. A client with nothing left in any window is forgotten.
// Memory: about 210 bytes a client (the 60-minute ring of 16-bit counts is 120 of them: a client's requests in one
// minute are capped at 65,535 there, 1,092 req/s) plus 16 bytes a client-second in the main window (slot, total, and the
// four other signals as 16-bit counts: a client's 4xx, 5xx, auth or probe count in one second is capped at 65,535, far
// above what any rule needs).

/** Number of per-second signals kept (total, 4xx, 5xx, auth, probe). */
export const NSIG = 5;
/** Index of each stored signal. */
export const SIG_TOTAL = 0;
export const SIG_4XX = 1;
export const SIG_5XX = 2;
export const SIG_AUTH = 3;
export const SIG_PROBE = 4;

/** Minutes in the long ring (1 h) and in the 10 min window. */
const RING = 60;
const TEN = 10;

/** Highest count of a 16-bit signal in one client-second. */
const CAP16 = 65_535;

/** The counts of one second: per entry its slot, its total, and 4xx, 5xx, auth, probe (interleaved), reused from a pool. */
interface SecondList {
  t: number;
  n: number;
  slots: Int32Array;
  tot: Uint32Array;
  sub: Uint16Array;
}

function grow<T extends Int32Array | Uint32Array | Uint16Array | Float64Array>(a: T, size: number, fill?: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  if (fill !== undefined) b.fill(fill);
  b.set(a);
  return b;
}

/**
 * Subtracts a second's entries from per-slot sums (entries of seconds a slot was forgiven for are skipped). With
 * `refs`, also drops each entry's reference and calls `onLast` for a slot whose last entry this was (in the same pass).
 */
function subtract(list: SecondList, sums: Uint32Array, since: Float64Array, refs: Int32Array | null, onLast?: (slot: number) => void): void {
  const { slots, tot, sub, t } = list;
  for (let k = 0, n = list.n; k < n; k++) {
    const slot = slots[k];
    if (t >= since[slot]) {
      const b = slot * NSIG;
      sums[b] -= tot[k];
      const e = k * 4;
      // The four 16-bit signals are mostly 0: one test skips them.
      if ((sub[e] | sub[e + 1] | sub[e + 2] | sub[e + 3]) !== 0) {
        sums[b + 1] -= sub[e];
        sums[b + 2] -= sub[e + 1];
        sums[b + 3] -= sub[e + 2];
        sums[b + 4] -= sub[e + 3];
      }
    }
    if (refs !== null && --refs[slot] === 0) onLast!(slot);
  }
}

/**
 * Five signals per client over a main and a short sliding window, and requests over 10 min and 1 h.
 * @example
 *   const w = new ClientWindows(60, 5);
 *   w.add(1000, '203.0.113.9', [5, 1, 0, 1, 0]); w.advance(1001);
 *   const s = w.slotOf('203.0.113.9'); w.main(s, SIG_TOTAL) === 5; w.short(s, SIG_AUTH) === 1; w.tenMinutes(s, 1001) === 5
 */
export class ClientWindows {
  private readonly index = new Map<string, number>();
  private keys: Array<string | undefined> = [];
  /** Sums per slot and signal (slot * NSIG + signal). */
  private sumMain: Uint32Array;
  private sumShort: Uint32Array;
  /** Entries still held for the slot in second lists. */
  private refs: Int32Array;
  /** Entries of seconds before this one no longer count for the slot (forgiven after a ban or a manual unban). */
  private since: Float64Array;
  private lastT: Float64Array;
  /** Per-minute request counts (slot * RING + minute % RING), the minute each slot was last rolled to, and the sums. */
  private ring: Uint16Array;
  private ringMinute: Float64Array;
  private sumTen: Float64Array;
  private sumHour: Float64Array;
  private free: number[] = [];
  private highWater = 0;
  private active = 0;
  private readonly seconds = new Map<number, SecondList>();
  private readonly pool: SecondList[] = [];
  private last: SecondList | null = null;
  /** Seconds before this are outside the main window (-Infinity before the first advance). */
  private cutoff = -Infinity;
  /** Seconds before this are outside the short window. */
  private shortCutoff = -Infinity;
  /** The minute of the latest advance (for sweeping clients idle for an hour). */
  private minute = -Infinity;
  private lastSweep = -Infinity;
  /** Per caller id (slotForId): the slot last found for it, -1 for none. */
  private hint = new Int32Array(0);

  constructor(readonly window: number, readonly shortWindow = 5, capacity = 1024) {
    if (!(shortWindow >= 1 && shortWindow <= window)) throw new Error(`short window ${shortWindow} must be 1..${window} s`);
    this.sumMain = new Uint32Array(capacity * NSIG);
    this.sumShort = new Uint32Array(capacity * NSIG);
    this.refs = new Int32Array(capacity);
    this.since = new Float64Array(capacity).fill(-Infinity);
    this.lastT = new Float64Array(capacity).fill(-Infinity);
    this.ring = new Uint16Array(capacity * RING);
    this.ringMinute = new Float64Array(capacity).fill(-Infinity);
    this.sumTen = new Float64Array(capacity);
    this.sumHour = new Float64Array(capacity);
  }

  /** Number of clients with counts in the main window. */
  get size(): number {
    return this.active;
  }

  /** Number of clients remembered (the main window or the last hour). */
  get remembered(): number {
    return this.index.size;
  }

  /** One past the highest slot ever used: iterate slots 0..limit-1 and skip free ones (keyAt undefined). */
  get limit(): number {
    return this.highWater;
  }

  /** Slot of a client, or -1 when it has nothing in any window. */
  slotOf(key: string): number {
    return this.index.get(key) ?? -1;
  }

  /** Client key in a slot (undefined for a free slot). */
  keyAt(slot: number): string | undefined {
    return this.keys[slot];
  }

  /** The slot's sum of stored signal `sig` (SIG_*) over the main window. */
  main(slot: number, sig: number): number {
    return this.sumMain[slot * NSIG + sig];
  }

  /** The slot's sum of stored signal `sig` over the short window. */
  short(slot: number, sig: number): number {
    return this.sumShort[slot * NSIG + sig];
  }

  /** Requests of the slot over the main window (the original rules' input). */
  requests(slot: number): number {
    return this.sumMain[slot * NSIG];
  }

  /** 4xx+5xx of the slot over the main window. */
  errors(slot: number): number {
    const b = slot * NSIG;
    return this.sumMain[b + SIG_4XX] + this.sumMain[b + SIG_5XX];
  }

  /** Requests of the slot in the current minute of `now` and the 9 before it. */
  tenMinutes(slot: number, now: number): number {
    this.roll(slot, Math.floor(now / 60));
    return this.sumTen[slot];
  }

  /** Requests of the slot in the current minute of `now` and the 59 before it. */
  hour(slot: number, now: number): number {
    this.roll(slot, Math.floor(now / 60));
    return this.sumHour[slot];
  }

  /**
   * Adds counts of second `t` for `key`: `c` is [total, 4xx, 5xx, auth, probe] (missing ones are 0). Returns false when
   * dropped (second already outside the main window, nothing to add, or forgiven).
   */
  add(t: number, key: string, c: ArrayLike<number | undefined>): boolean {
    if (t < this.cutoff || !((c[0] as number) > 0)) return false;
    let slot = this.index.get(key);
    if (slot === undefined) slot = this.allocate(key);
    return this.addAt(slot, t, c, 0);
  }

  /** Seconds before this are outside the main window: add() drops them (-Infinity before the first advance). */
  get windowStart(): number {
    return this.cutoff;
  }

  /**
   * The slot of `key` (allocated when new), found through `id`, a number the caller's source gives this key every time
   * (KeyTable): a remembered slot whose key is still `key` is used without hashing the key. Any id works (a wrong or
   * reused one only costs the lookup). Call only for counts add() would take (t in the window, total > 0).
   */
  slotForId(id: number, key: string): number {
    if (id >= 0) {
      if (id >= this.hint.length) {
        const grown = new Int32Array(Math.max(1024, id * 2)).fill(-1);
        grown.set(this.hint);
        this.hint = grown;
      }
      const s = this.hint[id];
      if (s >= 0 && this.keys[s] === key) return s;
    }
    let slot = this.index.get(key);
    if (slot === undefined) slot = this.allocate(key);
    if (id >= 0) this.hint[id] = slot;
    return slot;
  }

  /**
   * Adds counts of second `t` to a slot (from slotForId): `c[off]` .. `c[off + 4]` are total, 4xx, 5xx, auth, probe.
   * Returns false when dropped, as add().
   */
  addAt(slot: number, t: number, c: ArrayLike<number | undefined>, off: number): boolean {
    const total = c[off] as number;
    if (t < this.cutoff || !(total > 0) || t < this.since[slot]) return false;
    let list = this.last !== null && this.last.t === t ? this.last : this.seconds.get(t);
    if (!list) {
      list = this.pool.pop() ?? { t, n: 0, slots: new Int32Array(64), tot: new Uint32Array(64), sub: new Uint16Array(64 * 4) };
      list.t = t;
      list.n = 0;
      this.seconds.set(t, list);
    }
    if (list.n === list.slots.length) {
      list.slots = grow(list.slots, list.n * 2);
      list.tot = grow(list.tot, list.n * 2);
      list.sub = grow(list.sub, list.n * 2 * 4);
    }
    this.last = list;
    const n = list.n;
    const e = n * 4;
    const b = slot * NSIG;
    const inShort = t >= this.shortCutoff;
    list.tot[n] = total;
    this.sumMain[b] += total;
    if (inShort) this.sumShort[b] += total;
    for (let k = 1; k < NSIG; k++) {
      const x = c[off + k] as number;
      if (!(x > 0)) {
        list.sub[e + k - 1] = 0;
        continue;
      }
      const v = x > CAP16 ? CAP16 : x;
      list.sub[e + k - 1] = v;
      this.sumMain[b + k] += v;
      if (inShort) this.sumShort[b + k] += v;
    }
    list.slots[n] = slot;
    list.n = n + 1;
    if (this.refs[slot]++ === 0) this.active++;
    if (t > this.lastT[slot]) this.lastT[slot] = t;
    this.addMinute(slot, Math.floor(t / 60), total);
    return true;
  }

  /**
   * Moves the windows to end at `now` (exclusive): seconds before now - window leave the main window, before
   * now - short the short one; clients left with nothing in any window are forgotten.
   */
  advance(now: number): void {
    const shortCutoff = now - this.shortWindow;
    if (shortCutoff > this.shortCutoff) {
      // Seconds leaving the short window (usually one); a jump over a long idle stretch visits only stored seconds.
      const from = this.shortCutoff;
      this.shortCutoff = shortCutoff;
      const leave = (list: SecondList) => subtract(list, this.sumShort, this.since, null);
      if (shortCutoff - from <= 64) {
        for (let t = Math.max(from, shortCutoff - this.window - 1); t < shortCutoff; t++) {
          const list = this.seconds.get(t);
          if (list) leave(list);
        }
      } else {
        for (const [t, list] of this.seconds) if (t >= from && t < shortCutoff) leave(list);
      }
    }
    const cutoff = now - this.window;
    if (cutoff > this.cutoff) {
      this.cutoff = cutoff;
      const minuteNow = Math.floor(now / 60);
      const onLast = (slot: number) => {
        this.active--;
        if (this.hourEmpty(slot, minuteNow)) this.release(slot);
      };
      for (const [t, list] of this.seconds) {
        if (t >= cutoff) continue;
        subtract(list, this.sumMain, this.since, this.refs, onLast);
        this.seconds.delete(t);
        if (this.last === list) this.last = null;
        if (this.pool.length < 256) this.pool.push(list);
      }
    }
    const minute = Math.floor(now / 60);
    if (minute > this.minute) this.minute = minute;
    // Once a minute, forget clients whose last hour is empty and who have nothing in the main window.
    if (minute > this.lastSweep) {
      this.lastSweep = minute;
      for (let slot = 0; slot < this.highWater; slot++) {
        if (this.keys[slot] !== undefined && this.refs[slot] === 0 && this.hourEmpty(slot, minute)) this.release(slot);
      }
    }
  }

  /**
   * Calls `fn` with every still-counted main-window entry (second, requests, errors) of the marked slots: one pass over
   * the window, for taking banned clients' traffic back out of the baseline.
   */
  forEachCounted(marked: Uint8Array, fn: (t: number, requests: number, errors: number) => void): void {
    for (const [t, list] of this.seconds) {
      for (let k = 0; k < list.n; k++) {
        const slot = list.slots[k];
        if (slot < marked.length && marked[slot] === 1 && t >= this.since[slot]) {
          fn(t, list.tot[k], list.sub[k * 4] + list.sub[k * 4 + 1]);
        }
      }
    }
  }

  /** Zeroes a client in every window: counts so far no longer count (they led to a ban, or an operator lifted one). */
  forgive(key: string): void {
    const slot = this.index.get(key);
    if (slot === undefined) return;
    this.since[slot] = this.lastT[slot] + 1;
    const b = slot * NSIG;
    for (let s = 0; s < NSIG; s++) {
      this.sumMain[b + s] = 0;
      this.sumShort[b + s] = 0;
    }
    this.ring.fill(0, slot * RING, slot * RING + RING);
    this.sumTen[slot] = 0;
    this.sumHour[slot] = 0;
  }

  /** Brings the slot's ring to `minute`: minutes that left the 10 min and 1 h windows are subtracted and cleared. */
  private roll(slot: number, minute: number): void {
    const last = this.ringMinute[slot];
    if (minute <= last) return;
    this.ringMinute[slot] = minute;
    if (last === -Infinity || minute - last >= RING) {
      this.ring.fill(0, slot * RING, slot * RING + RING);
      this.sumTen[slot] = 0;
      this.sumHour[slot] = 0;
      return;
    }
    const base = slot * RING;
    // Minutes last-9 .. min(last, minute-10) leave the 10 min window (earlier ones already left, later ones are empty).
    const end = Math.min(last, minute - TEN);
    for (let m = last - TEN + 1; m <= end; m++) this.sumTen[slot] -= this.ring[base + (m % RING)];
    // Minutes last+1 .. minute reuse cells of minutes that leave the hour.
    for (let m = last + 1; m <= minute; m++) {
      const cell = base + (m % RING);
      this.sumHour[slot] -= this.ring[cell];
      this.ring[cell] = 0;
    }
  }

  private addMinute(slot: number, minute: number, total: number): void {
    const last = this.ringMinute[slot];
    if (minute > last) this.roll(slot, minute);
    else if (minute <= last - RING) return; // older than the hour
    const cell = slot * RING + (minute % RING);
    const added = Math.min(total, CAP16 - this.ring[cell]);
    if (added <= 0) return;
    this.ring[cell] += added;
    this.sumHour[slot] += added;
    if (minute > this.ringMinute[slot] - TEN) this.sumTen[slot] += added;
  }

  private hourEmpty(slot: number, minute: number): boolean {
    this.roll(slot, minute);
    return this.sumHour[slot] === 0;
  }

  private allocate(key: string): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      slot = this.highWater++;
      if (slot >= this.refs.length) {
        const size = this.refs.length * 2;
        this.sumMain = grow(this.sumMain, size * NSIG);
        this.sumShort = grow(this.sumShort, size * NSIG);
        this.refs = grow(this.refs, size);
        this.since = grow(this.since, size, -Infinity);
        this.lastT = grow(this.lastT, size, -Infinity);
        this.ring = grow(this.ring, size * RING);
        this.ringMinute = grow(this.ringMinute, size, -Infinity);
        this.sumTen = grow(this.sumTen, size);
        this.sumHour = grow(this.sumHour, size);
      }
    }
    this.index.set(key, slot);
    this.keys[slot] = key;
    return slot;
  }

  private release(slot: number): void {
    const key = this.keys[slot];
    if (key !== undefined) this.index.delete(key);
    this.keys[slot] = undefined;
    const b = slot * NSIG;
    for (let s = 0; s < NSIG; s++) {
      this.sumMain[b + s] = 0;
      this.sumShort[b + s] = 0;
    }
    this.since[slot] = -Infinity;
    this.lastT[slot] = -Infinity;
    this.ring.fill(0, slot * RING, slot * RING + RING);
    this.ringMinute[slot] = -Infinity;
    this.sumTen[slot] = 0;
    this.sumHour[slot] = 0;
    this.free.push(slot);
  }
}
