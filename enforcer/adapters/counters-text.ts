// Adapter helper: decodes a counters protocol version 2 answer (docs/counters-protocol.md) into SecondBuckets.
// The njs drain sends the zone's keys and values as stored; all decoding happens here, in the daemon.
import type { Counts, SecondBucket } from '../core/types.js';

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
 * Decodes a version 2 answer (a header of six fields, or seven with `unattributed`). Throws an Error naming the line when it is malformed.
 * @example decodeCounters('warden-counters 2 70.5 0 0 64\nF1.2.3.4 17179869184\n').buckets // [{ t: 69, ... }]
 */
export function decodeCounters(text: string): DecodedCounters {
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
  const nowSec = Math.floor(now);
  const curIdx = nowSec % 64;
  const byT = new Map<number, SecondBucket>();
  let dropped = dropped0;
  let requests = 0;
  const bucketOf = (tag: string): SecondBucket | null => {
    const idx = TAG_INDEX[tag];
    if (idx === undefined) return null;
    const age = (curIdx - idx + 64) % 64;
    const t = nowSec - (age === 0 ? 64 : age);
    let b = byT.get(t);
    if (!b) {
      b = { t, global: [0, 0, 0, 0, 0], ips: {} };
      byT.set(t, b);
    }
    return b;
  };
  // Signal lines are merged after the main lines, so a main line is one property store (no lookup).
  const signals: Array<{ b: SecondBucket; client: string; v: number }> = [];
  let lastTag = -1;
  let bucket: SecondBucket | null = null;
  const bad = (p: number, e: number) => new Error(`malformed counters line: ${JSON.stringify(text.slice(p, Math.min(e, p + 80)))}`);
  let pos = nl < 0 ? text.length : nl + 1;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    if (end === pos) {
      pos++;
      continue;
    }
    const sp = text.lastIndexOf(' ', end - 1);
    // A value has 1 to 16 digits (below 2^53).
    if (sp <= pos || sp === end - 1 || end - sp > 17) throw bad(pos, end);
    // The value: decimal digits (an integer below 2^53), read by hand.
    let v = 0;
    for (let i = sp + 1; i < end; i++) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) throw bad(pos, end);
      v = v * 10 + d;
    }
    if (v > Number.MAX_SAFE_INTEGER) throw bad(pos, end);
    // The client: at most 45 characters of an address or network (after the tag and a `~`, `!` or `#` mark). Any other
    // key (`__proto__`, `$(cmd)`, text with spaces) is never a client: its requests count as dropped, not as anyone's.
    const mark = text.charCodeAt(pos + 1);
    const from = mark === 126 || mark === 33 || mark === 35 ? pos + 2 : pos + 1;
    let keyOk = sp - from <= 45;
    for (let i = from; keyOk && i < sp; i++) keyOk = KEY_CHAR[text.charCodeAt(i)] === true;
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
    if (!b) throw bad(pos, end);
    const g = b.global as number[];
    if (text.charCodeAt(pos + 1) === 126 /* ~ */) {
      signals.push({ b, client: text.slice(pos + 2, sp), v });
    } else if (!(v >= UNIT_TOTAL)) {
      // A key of the layout before one `incr` per request (njs/drain.ts legacyTotal): its requests count as dropped.
      const m = text[pos + 1];
      if (sp > pos + 1 && m !== '!' && m !== '#') dropped += v;
    } else {
      const total = Math.floor(v / UNIT_TOTAL);
      const rest = v - total * UNIT_TOTAL;
      const c4 = Math.floor(rest / UNIT_4XX);
      const c5 = rest - c4 * UNIT_4XX;
      g[0] += total;
      g[1] += c4;
      g[2] += c5;
      requests += total;
      // One key per client and second in an answer, so a main line never meets its client twice in a bucket.
      if (sp > pos + 1) b.ips[text.slice(pos + 1, sp)] = [total, c4, c5, 0, 0];
    }
    pos = end + 1;
  }
  for (const { b, client, v } of signals) {
    const auth = Math.floor(v / UNIT_AUTH);
    const probe = v - auth * UNIT_AUTH;
    const g = b.global as number[];
    g[3] += auth;
    g[4] += probe;
    if (client !== '') {
      const c = (b.ips[client] ??= [0, 0, 0, 0, 0]) as number[];
      c[3] = (c[3] ?? 0) + auth;
      c[4] = (c[4] ?? 0) + probe;
    }
  }
  const buckets = [...byT.values()].sort((x, y) => x.t - y.t);
  return { buckets, dropped, requests, nginxNow: now, more: head[4] === '1', ipv6Prefix, unattributed: head.length > 6 ? Number(head[6]) : 0 };
}

/** Adds `c` into `into` (5 fields). */
export function addCounts(into: Counts, c: Counts): void {
  for (let i = 0; i < 5; i++) into[i] = (into[i] ?? 0) + (c[i] ?? 0);
}
