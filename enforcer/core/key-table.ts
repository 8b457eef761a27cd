// Interns client keys across polls: each distinct key gets a small id and one string object that is handed out again
// every time the key comes back, so a poll of 100,000 clients makes no new strings for clients it has seen before and
// the engine can find a client's slot by id (see ClientWindows.slotForId) instead of hashing the key again. A canonical
// IPv4 key is found from its 32-bit number (parsed while the text is read) in an open-addressing table of typed arrays;
// any other key (an IPv6 network, anything odd) through a Map. Pure: no I/O, no clock.

/** Ids are handed out from 0; a table holding more than `limit` keys starts again at the next `trim`. */
const DEFAULT_LIMIT = 1 << 18;

/**
 * The 32-bit number of the canonical dotted IPv4 address in `text` [from, to) (four decimal octets 0-255 without leading
 * zeros), or -1 when it is not one (then the key is interned by its string: `010.0.0.1` stays another key than
 * `10.0.0.1`, as it always was).
 * @example ipv4At('k10.0.0.1 5', 1, 9) === 167772161; ipv4At('010.0.0.1', 0, 9) === -1
 */
export function ipv4At(text: string, from: number, to: number): number {
  if (to - from < 7 || to - from > 15) return -1;
  let ip = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || dots === 3) return -1;
      ip = ip * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
      continue;
    }
    const d = c - 48;
    if (d < 0 || d > 9 || (digits === 1 && octet === 0)) return -1;
    octet = octet * 10 + d;
    if (octet > 255) return -1;
    digits++;
  }
  if (digits === 0 || dots !== 3) return -1;
  return ip * 256 + octet;
}

/**
 * Client keys interned to ids that stay the same from one poll to the next (until the table is trimmed).
 * @example
 *   const t = new KeyTable();
 *   const a = t.idOfIPv4(ipv4At('10.0.0.1', 0, 8), '10.0.0.1', 0, 8);
 *   t.idOf('10.0.0.1') === a; t.key(a) === '10.0.0.1'; t.idOf('2001:db8::/64') === a + 1
 */
export class KeyTable {
  /** Open addressing over IPv4 numbers: an id, or -1 for an empty cell. */
  private cells: Int32Array;
  private mask: number;
  /** 32 - log2(cells): the hash's top bits pick the cell (the low bits of a product depend on the low octets only). */
  private shift: number;
  /** Per id: its IPv4 number (for ids of IPv4 keys), to compare without reading the string. */
  private v4: Float64Array;
  private keys: string[] = [];
  private readonly others = new Map<string, number>();

  constructor(readonly limit = DEFAULT_LIMIT) {
    this.cells = new Int32Array(1024).fill(-1);
    this.mask = 1023;
    this.shift = 22;
    this.v4 = new Float64Array(512);
  }

  /** Number of keys interned. */
  get size(): number {
    return this.keys.length;
  }

  /** The key of an id (the same string object every time). */
  key(id: number): string {
    return this.keys[id];
  }

  /**
   * Forgets every key when the table holds more than `limit` (call between two answers, never while ids of the current
   * one are in use: ids start again from 0). Returns true when it did.
   */
  trim(): boolean {
    if (this.keys.length <= this.limit) return false;
    this.cells = new Int32Array(1024).fill(-1);
    this.mask = 1023;
    this.shift = 22;
    this.v4 = new Float64Array(512);
    this.keys = [];
    this.others.clear();
    return true;
  }

  /** The id of any key (interned on first sight). A canonical IPv4 key gets the same id as from idOfIPv4. */
  idOf(key: string): number {
    const ip = ipv4At(key, 0, key.length);
    if (ip >= 0) return this.idOfIPv4(ip, key, 0, key.length);
    let id = this.others.get(key);
    if (id === undefined) {
      id = this.push(key, -1);
      this.others.set(key, id);
    }
    return id;
  }

  /**
   * The id of the canonical IPv4 address `ip` (from ipv4At) written in `text` [from, to); the key string is cut from the
   * text only the first time the address is seen.
   */
  idOfIPv4(ip: number, text: string, from: number, to: number): number {
    let i = Math.imul(ip | 0, 0x9e3779b1) >>> this.shift;
    for (;;) {
      const id = this.cells[i];
      if (id < 0) break;
      if (this.v4[id] === ip) return id;
      i = (i + 1) & this.mask;
    }
    const id = this.push(from === 0 && to === text.length ? text : text.slice(from, to), ip);
    this.cells[i] = id;
    if (this.keys.length * 2 > this.cells.length) this.rehash();
    return id;
  }

  private push(key: string, ip: number): number {
    const id = this.keys.length;
    this.keys.push(key);
    if (id >= this.v4.length) {
      const grown = new Float64Array(this.v4.length * 2);
      grown.set(this.v4);
      this.v4 = grown;
    }
    this.v4[id] = ip;
    return id;
  }

  /** Doubles the open-addressing table (kept at most half full). */
  private rehash(): void {
    const size = this.cells.length * 2;
    this.cells = new Int32Array(size).fill(-1);
    this.mask = size - 1;
    this.shift--;
    for (let id = 0; id < this.keys.length; id++) {
      const ip = this.v4[id];
      if (ip < 0) continue;
      let i = Math.imul(ip | 0, 0x9e3779b1) >>> this.shift;
      while (this.cells[i] >= 0) i = (i + 1) & this.mask;
      this.cells[i] = id;
    }
  }
}
