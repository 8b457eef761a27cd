// Adapter helper: decodes a counters protocol version 2 answer (docs/counters-protocol.md) into SecondBuckets.
// The njs drain sends the zone's keys and values as stored; all decoding happens here, in the daemon.
import type { ClientRows, Counts, SecondBucket } from '../core/types.js';
import { KeyTable } from '../core/key-table.js';

/** The 64 second tags of njs/keys.ts (the tag of second t is TAGS[t % 64]). */
const TAGS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const TAG_INDEX: Record<string, number> = Object.fromEntries([...TAGS].map((c, i) => [c, i]));
/** Value layout of njs/keys.ts: main key total * 2^34 + 4xx * 2^17 + 5xx; signal key auth * 2^26 + probes. */
const UNIT_TOTAL = 17179869184;
const UNIT_4XX = 131072;
const UNIT_AUTH = 67108864;
/** The characters of a client key (an IPv4 address, an IPv6 address or network in lower-case hex): 0-9 a-f . : / */
const KEY_CHAR: boolean[] = [];
for (const c of '0123456789abcdef.:/') KEY_CHAR[c.charCodeAt(0)] = true;

/** A decoded version 2 answer. */
export interface DecodedCounters {
  buckets: SecondBucket[];
  /** Requests nginx could not count per client since the previous drain (plus keys of an older layout). */
  dropped: number;
  /** Requests in the buckets. */
  requests: number;
  nginxNow: number;
  more: boolean;
  /** The IPv6 prefix nginx counts clients by (`$warden_ipv6_prefix`). */
  ipv6Prefix: number;
  /**
   * Requests since the previous drain whose address after realip was a trusted proxy's (`$warden_from_proxy`): in the
   * totals, under no client. 0 from a module older than this field (header of six fields).
   */
  unattributed: number;
}

/** The first line of a version 2 answer, or null when `text` does not start like one (then `version` says what it is). */
export function counterAnswerVersion(text: string): number | null {
  const m = /^warden-counters (\d+) /.exec(text);
  return m ? Number(m[1]) : null;
}

/**
 * Decodes a version 2 answer (a header of six fields, or seven with `unattributed`). Throws an Error naming the line when it is malformed. A decoder of its own per call:
 * a poller keeps one CountersDecoder instead, so that clients seen before cost no new strings.
 * @example decodeCounters('warden-counters 2 70.5 0 0 64\nF1.2.3.4 17179869184\n').buckets // [{ t: 69, ... }]
 */
export function decodeCounters(text: string): DecodedCounters {
  return new CountersDecoder().decode(text);
}

/** One second of an answer while it is read: its rows in columns, and its signal lines until they are merged. */
interface Building {
  t: number;
  global: number[];
  n: number;
  keys: string[];
  ids: Int32Array;
  counts: Float64Array;
  sigIds: number[];
  sigKeys: string[];
  sigValues: number[];
  /** False when a key is all digits (an array index: `ips` would list it first), then `ips` is the only form. */
  columns: boolean;
}

/** Counts per row in ClientRows.counts. */
const FIELDS = 5;

/**
 * Decodes counters protocol version 2 answers, one after the other, into SecondBuckets whose per-client counts are
 * columns (SecondBucket.rows; `ips` is built only when read). Client keys are interned in a KeyTable kept from one
 * answer to the next: a canonical IPv4 key already seen is found from its characters, without a new string.
 * @example
 *   const decoder = new CountersDecoder();
 *   const d = decoder.decode(await res.text()); engine.ingest(d.buckets);
 */
export class CountersDecoder {
  private readonly table: KeyTable;
  /** Per key id: the bucket generation that last saw it as a row, and its row there (signals and repeats merge into it). */
  private stamp = new Int32Array(1024);
  private rowOf = new Int32Array(1024);
  private gen = 0;
  /** Rows of the largest second of the previous answer. */
  private largest = 0;

  constructor(table = new KeyTable()) {
    this.table = table;
  }

  /** Decodes one answer (see decodeCounters). */
  decode(text: string): DecodedCounters {
    const nl = text.indexOf('\n');
    const head = (nl < 0 ? text : text.slice(0, nl)).split(' ');
    if (head.length < 6 || head[0] !== 'warden-counters' || head[1] !== '2') {
      throw new Error(`not a counters protocol 2 answer: ${JSON.stringify(text.slice(0, 80))}`);
    }
    const now = Number(head[2]);
    const dropped0 = Number(head[3]);
    const ipv6Prefix = Number(head[5]);
    // nginx's clock in epoch seconds (before the year 5138), a count, a prefix length: anything else is not nginx talking.
    if (!/^\d{1,11}(\.\d+)?$/.test(head[2]) || !/^\d{1,15}$/.test(head[3]) || !/^\d{1,3}$/.test(head[5]) || ipv6Prefix > 128 ||
      !Number.isFinite(now) || !Number.isFinite(dropped0) || !Number.isInteger(ipv6Prefix) ||
      (head.length > 6 && !/^\d{1,15}$/.test(head[6]))) {
      throw new Error(`malformed counters header: ${JSON.stringify(head.join(' '))}`);
    }
    const table = this.table;
    table.trim();
    const nowSec = Math.floor(now);
    const curIdx = nowSec % 64;
    const byTag: Array<Building | undefined> = [];
    const building: Building[] = [];
    let dropped = dropped0;
    let requests = 0;
    // Columns sized for the largest second of the previous answer (no regrowth in a steady flood).
    const cap = Math.max(256, this.largest);
    this.largest = 0;
    const bucketOf = (tag: string): Building | null => {
      const idx = TAG_INDEX[tag];
      if (idx === undefined) return null;
      let b = byTag[idx];
      if (b === undefined) {
        const age = (curIdx - idx + 64) % 64;
        const t = nowSec - (age === 0 ? 64 : age);
        b = {
          t, global: [0, 0, 0, 0, 0], n: 0, keys: [], ids: new Int32Array(cap), counts: new Float64Array(cap * FIELDS),
          sigIds: [], sigKeys: [], sigValues: [], columns: true,
        };
        byTag[idx] = b;
        building.push(b);
      }
      return b;
    };
    let lastTag = -1;
    let bucket: Building | null = null;
    let pos = nl < 0 ? text.length : nl + 1;
    const len = text.length;
    while (pos < len) {
      if (text.charCodeAt(pos) === 10) {
        pos++;
        continue;
      }
      const mark = text.charCodeAt(pos + 1);
      const from = mark === 126 || mark === 33 || mark === 35 ? pos + 2 : pos + 1;
      // One pass over the line: the key's characters (checked, and read as an IPv4 address on the way, by the rules of
      // ipv4At in core/key-table.ts: -1 when it is not a canonical one), a space, the value's digits. A line not read
      // so (a space in the key, anything odd) is read below the careful way, with the same outcome.
      let ip = 0;
      let octet = 0;
      let digits = 0;
      let dots = 0;
      let i = from;
      let c = 0;
      for (; i < len; i++) {
        c = text.charCodeAt(i);
        if (KEY_CHAR[c] !== true) break;
        if (ip < 0) continue;
        if (c === 46 /* . */) {
          if (digits === 0 || dots === 3) ip = -1;
          else {
            ip = ip * 256 + octet;
            octet = 0;
            digits = 0;
            dots++;
          }
          continue;
        }
        const d = c - 48;
        if (d < 0 || d > 9 || (digits === 1 && octet === 0)) ip = -1;
        else {
          octet = octet * 10 + d;
          digits++;
          if (octet > 255) ip = -1;
        }
      }
      ip = ip >= 0 && digits > 0 && dots === 3 ? ip * 256 + octet : -1;
      let sp = -1;
      let end = -1;
      let v = 0;
      if (c === 32 && i < len) {
        let j = i + 1;
        for (; j < len; j++) {
          const d = text.charCodeAt(j) - 48;
          if (d < 0 || d > 9) break;
          v = v * 10 + d;
        }
        if ((j === len || text.charCodeAt(j) === 10) && j > i + 1 && j - i <= 17) {
          sp = i;
          end = j;
        }
      }
      let keyOk: boolean;
      if (sp >= 0) keyOk = sp - from <= 45;
      else {
        ip = -1;
        end = text.indexOf('\n', pos);
        if (end < 0) end = len;
        sp = text.lastIndexOf(' ', end - 1);
        // A value has 1 to 16 digits (below 2^53).
        if (sp <= pos || sp === end - 1 || end - sp > 17) throw badLine(text, pos, end);
        // The value: decimal digits (an integer below 2^53), read by hand.
        v = 0;
        for (let k = sp + 1; k < end; k++) {
          const d = text.charCodeAt(k) - 48;
          if (d < 0 || d > 9) throw badLine(text, pos, end);
          v = v * 10 + d;
        }
        // The client: at most 45 characters of an address or network (after the tag and a `~`, `!` or `#` mark). Any
        // other key (`__proto__`, `$(cmd)`, text with spaces) is never a client: its requests count as dropped.
        keyOk = sp - from <= 45;
        for (let k = from; keyOk && k < sp; k++) keyOk = KEY_CHAR[text.charCodeAt(k)] === true;
      }
      if (v > Number.MAX_SAFE_INTEGER) throw badLine(text, pos, end);
      if (!keyOk) {
        dropped += mark === 126 || mark === 33 || mark === 35 ? 0 : v >= UNIT_TOTAL ? Math.floor(v / UNIT_TOTAL) : v;
        pos = end + 1;
        continue;
      }
      const tagCode = text.charCodeAt(pos);
      if (tagCode !== lastTag) {
        bucket = bucketOf(text[pos]);
        lastTag = tagCode;
      }
      const b = bucket;
      if (!b) throw badLine(text, pos, end);
      const g = b.global;
      if (mark === 126 /* ~ */) {
        // Merged after the main lines (below), as one key per client and second has them in any order.
        if (sp > pos + 2) {
          const id = this.idAt(b, text, pos + 2, sp, ip);
          b.sigIds.push(id);
          b.sigKeys.push(table.key(id));
        } else {
          b.sigIds.push(-1);
          b.sigKeys.push('');
        }
        b.sigValues.push(v);
      } else if (!(v >= UNIT_TOTAL)) {
        // A key of the layout before one `incr` per request (njs/drain.ts legacyTotal): its requests count as dropped.
        if (sp > pos + 1 && mark !== 33 && mark !== 35) dropped += v;
      } else {
        const total = Math.floor(v / UNIT_TOTAL);
        const rest = v - total * UNIT_TOTAL;
        const c4 = Math.floor(rest / UNIT_4XX);
        const c5 = rest - c4 * UNIT_4XX;
        g[0] += total;
        g[1] += c4;
        g[2] += c5;
        requests += total;
        if (sp > pos + 1) {
          const id = this.idAt(b, text, pos + 1, sp, from === pos + 1 ? ip : -1);
          const r = addRow(b, id, table.key(id));
          b.counts[r] = total;
          b.counts[r + 1] = c4;
          b.counts[r + 2] = c5;
        }
      }
      pos = end + 1;
    }
    const buckets: SecondBucket[] = [];
    for (const b of building) buckets.push(this.finish(b));
    buckets.sort((x, y) => x.t - y.t);
    return {
      buckets, dropped, requests, nginxNow: now, more: head[4] === '1', ipv6Prefix, unattributed: head.length > 6 ? Number(head[6]) : 0,
    };
  }

  /** The id of the key text[from, to) (interned; `ip` its IPv4 number from the scan, or -1). */
  private idAt(b: Building, text: string, from: number, to: number, ip: number): number {
    if (ip >= 0) return this.table.idOfIPv4(ip, text, from, to);
    const key = text.slice(from, to);
    if (allDigits(key)) b.columns = false;
    return this.table.idOf(key);
  }

  /**
   * Merges a second's repeated keys and signal lines into its rows, as `ips` always had them: a key's last main line
   * wins (at the place of its first), a signal adds to its client's row (a client with only a signal gets a row of its
   * own after the others, with total 0, which the engine skips).
   */
  private finish(b: Building): SecondBucket {
    const size = this.table.size;
    if (this.stamp.length < size) {
      this.stamp = new Int32Array(size * 2);
      this.rowOf = new Int32Array(size * 2);
      this.gen = 0;
    }
    if (++this.gen > 0x3fffffff) {
      this.stamp.fill(0);
      this.gen = 1;
    }
    const { stamp, rowOf, gen } = this;
    for (let i = 0; i < b.n; i++) {
      const id = b.ids[i];
      if (stamp[id] === gen) {
        // A repeated key (never from nginx: one key per client and second): its last line replaces the first's counts.
        const first = rowOf[id] * FIELDS;
        const c = b.counts;
        for (let f = 0; f < FIELDS; f++) c[first + f] = c[i * FIELDS + f];
        b.ids[i] = -1;
        c[i * FIELDS] = 0;
        continue;
      }
      stamp[id] = gen;
      rowOf[id] = i;
    }
    for (let k = 0; k < b.sigValues.length; k++) {
      const v = b.sigValues[k];
      const auth = Math.floor(v / UNIT_AUTH);
      const probe = v - auth * UNIT_AUTH;
      b.global[3] += auth;
      b.global[4] += probe;
      const id = b.sigIds[k];
      if (id < 0) continue;
      let r: number;
      if (stamp[id] === gen) r = rowOf[id] * FIELDS;
      else {
        r = addRow(b, id, b.sigKeys[k]);
        stamp[id] = gen;
        rowOf[id] = r / FIELDS;
      }
      b.counts[r + 3] += auth;
      b.counts[r + 4] += probe;
    }
    if (b.n > this.largest) this.largest = b.n;
    return columnBucket(b);
  }
}

/** The error for a line that is not `<tag><key> <value>`. */
function badLine(text: string, p: number, e: number): Error {
  return new Error(`malformed counters line: ${JSON.stringify(text.slice(p, Math.min(e, p + 80)))}`);
}

/** Appends a row and returns the index of its first count (zero: the columns are only ever appended to, never reused). */
function addRow(b: Building, id: number, key: string): number {
  const n = b.n;
  if (n === b.ids.length) {
    const ids = new Int32Array(n * 2);
    ids.set(b.ids);
    b.ids = ids;
    const counts = new Float64Array(n * 2 * FIELDS);
    counts.set(b.counts);
    b.counts = counts;
  }
  b.ids[n] = id;
  b.keys.push(key);
  b.n = n + 1;
  return n * FIELDS;
}

/** True for a key of decimal digits only (an array index as an object key). */
function allDigits(key: string): boolean {
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return key.length > 0;
}

/** The per-client counts of a built second as `ips` (dead rows left out). */
function ipsOf(rows: ClientRows): Record<string, Counts> {
  const ips: Record<string, Counts> = {};
  for (let i = 0; i < rows.n; i++) {
    if (rows.ids[i] < 0) continue;
    const o = i * FIELDS;
    ips[rows.keys[i]] = [rows.counts[o], rows.counts[o + 1], rows.counts[o + 2], rows.counts[o + 3], rows.counts[o + 4]];
  }
  return ips;
}

/**
 * A SecondBucket over columns: `rows` (not enumerable, so a copy `{ ...b }` is a plain bucket) and `ips` built on first
 * read; setting `ips` drops the columns.
 */
function columnBucket(b: Building): SecondBucket {
  const rows: ClientRows = { n: b.n, keys: b.keys, ids: b.ids.subarray(0, b.n), counts: b.counts.subarray(0, b.n * FIELDS) };
  let ips: Record<string, Counts> | null = b.columns ? null : ipsOf(rows);
  const bucket = {
    t: b.t,
    global: b.global as Counts,
    get ips(): Record<string, Counts> {
      return (ips ??= ipsOf(rows));
    },
    set ips(v: Record<string, Counts>) {
      ips = v;
      bucket.rows = undefined;
    },
  } as SecondBucket;
  Object.defineProperty(bucket, 'rows', { value: b.columns ? rows : undefined, enumerable: false, writable: true });
  return bucket;
}

/** Adds `c` into `into` (5 fields). */
export function addCounts(into: Counts, c: Counts): void {
  for (let i = 0; i < 5; i++) into[i] = (into[i] ?? 0) + (c[i] ?? 0);
}
