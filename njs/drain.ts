// Draining warden_counts: pops completed seconds (oldest first) into a CounterBatch; the janitor discards stale ones.
import { META_DROPPED, META_DROPPED_TOTAL, META_LAST_DRAIN, type CountZones } from './count.js';
import { decodeCounts, secondOfTag, tagOf, TAGS } from './keys.js';

/** Counts of one key: total, 4xx, 5xx. */
type Counts = [number, number, number];

/** One bucket of the counters answer. */
export interface Bucket {
  t: number;
  g: Counts;
  ip: { [ip: string]: Counts };
}

/** The GET /counters answer (CounterBatch in enforcer/core/types.ts). */
export interface Batch {
  v: number;
  now: number;
  buckets: Bucket[];
  dropped: number;
  more: boolean;
}

/**
 * A key written by a version before the one-`incr` layout (value = a plain count; `K!ip` / `K#ip` held the 4xx / 5xx
 * of `Kip`), met when nginx reloads into this version with counts in the zone: its requests count as dropped.
 */
function legacyTotal(key: string, v: number): number {
  const m = key.charAt(1);
  return key.length > 1 && m !== '!' && m !== '#' ? v : 0;
}

/** Every key of the zone grouped by age in seconds (index 1..63; 0 = the current second, never drained). */
function keysByAge(counts: NgxSharedDict<number>, sec: number): string[][] {
  const all = counts.keys(1 << 30);
  const byAge: string[][] = [];
  for (let a = 0; a < 64; a++) byAge.push([]);
  const nowIdx = sec % 64;
  for (let i = 0; i < all.length; i++) {
    const idx = TAGS.indexOf(all[i].charAt(0));
    if (idx < 0) continue;
    byAge[(nowIdx - idx + 64) % 64].push(all[i]);
  }
  return byAge;
}

/**
 * Removes and returns up to `max` keys of completed seconds, oldest second first, with the dropped count since the
 * previous drain. Each returned count is popped (atomic read+delete), so nothing is returned twice; a late increment
 * re-creates its key and comes in a later answer.
 * @example drain(zones, Date.now(), 20000) // { v: 1, now: 1764312345.123, buckets: [...], dropped: 0, more: false }
 */
export function drain(z: CountZones, nowMs: number, max: number): Batch {
  const sec = Math.floor(nowMs / 1000);
  const byAge = keysByAge(z.counts, sec);
  const buckets: Bucket[] = [];
  let legacy = 0;
  let taken = 0;
  let more = false;
  for (let age = 63; age >= 1 && !more; age--) {
    const keys = byAge[age];
    if (keys.length === 0) continue;
    const t = secondOfTag(tagOf(sec - age), sec);
    const b: Bucket = { t: t, g: [0, 0, 0], ip: {} };
    for (let i = 0; i < keys.length; i++) {
      if (taken >= max) {
        more = true;
        break;
      }
      const v = z.counts.pop(keys[i]);
      if (typeof v !== 'number') continue;
      taken++;
      const n = decodeCounts(v);
      if (n === null) {
        legacy += legacyTotal(keys[i], v);
        continue;
      }
      b.g[0] += n[0];
      b.g[1] += n[1];
      b.g[2] += n[2];
      const ip = keys[i].slice(1);
      if (ip !== '') {
        const c = b.ip[ip];
        if (c === undefined) b.ip[ip] = n;
        else {
          c[0] += n[0];
          c[1] += n[1];
          c[2] += n[2];
        }
      }
    }
    if (b.g[0] + b.g[1] + b.g[2] > 0) buckets.push(b);
  }
  let dropped = 0;
  try {
    const d = z.meta.pop(META_DROPPED);
    dropped = (typeof d === 'number' ? d : 0) + legacy;
    z.meta.set(META_LAST_DRAIN, sec);
  } catch {
    dropped = legacy;
  }
  return { v: 1, now: nowMs / 1000, buckets: buckets, dropped: dropped, more: more };
}

/**
 * Janitor (js_periodic, every second): when nobody drained for a few seconds, discards buckets older than
 * `keepSeconds` and counts their requests as dropped, so memory stays bounded and tags never wrap. Returns how many
 * requests were discarded.
 * @example janitor(zones, Date.now(), 30)
 */
export function janitor(z: CountZones, nowMs: number, keepSeconds: number): number {
  const sec = Math.floor(nowMs / 1000);
  const last = z.meta.get(META_LAST_DRAIN);
  if (typeof last === 'number' && sec - last <= 2) return 0;
  const keep = Math.min(Math.max(keepSeconds, 2), 60);
  const byAge = keysByAge(z.counts, sec);
  let discarded = 0;
  for (let age = 63; age > keep; age--) {
    const keys = byAge[age];
    for (let i = 0; i < keys.length; i++) {
      const v = z.counts.pop(keys[i]);
      if (typeof v !== 'number') continue;
      const n = decodeCounts(v);
      // Totals of per-IP keys; the global-only keys were counted as dropped when they were made.
      if (n === null) discarded += legacyTotal(keys[i], v);
      else if (keys[i].length > 1) discarded += n[0];
    }
  }
  if (discarded > 0) {
    z.meta.incr(META_DROPPED, discarded, 0);
    z.meta.incr(META_DROPPED_TOTAL, discarded, 0);
  }
  return discarded;
}
