// Draining warden_counts: pops completed seconds (oldest first) into a CounterBatch (JSON text); the janitor discards
// stale ones.
import { META_DROPPED, META_DROPPED_TOTAL, META_LAST_DRAIN, type CountZones } from './count.js';
import { decodeCounts, secondOfTag, tagOf, TAGS, UNIT_4XX, UNIT_TOTAL } from './keys.js';

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
  // Tag -> list, looked up as a property: charAt + indexOf per key cost ~1,600 more instructions per key (callgrind).
  const listOf: { [tag: string]: string[] } = {};
  for (let i = 0; i < 64; i++) listOf[TAGS[i]] = byAge[(sec - i + 4096) % 64];
  for (let i = 0; i < all.length; i++) {
    const list = listOf[all[i][0]];
    if (list !== undefined) list.push(all[i]);
  }
  return byAge;
}

/**
 * Removes and returns up to `max` keys of completed seconds, oldest second first, with the dropped count since the
 * previous drain, as the JSON text of a CounterBatch (enforcer/core/types.ts, docs/counters-protocol.md). Each returned count is popped (atomic read+delete), so nothing is
 * returned twice; a late increment re-creates its key and comes in a later answer. The text is built by hand, not with
 * JSON.stringify: a bucket holds each address at most once (one key per address and second), the addresses are
 * nginx's own (digits, hex, '.', ':'), and njs's JSON.stringify took ~9,000 instructions per address (callgrind).
 * @example drain(zones, Date.now(), 20000) // '{"v":1,"now":1764312345.123,"buckets":[...],"dropped":0,"more":false}'
 */
export function drain(z: CountZones, nowMs: number, max: number): string {
  const sec = Math.floor(nowMs / 1000);
  const byAge = keysByAge(z.counts, sec);
  const buckets: string[] = [];
  let legacy = 0;
  let taken = 0;
  let more = false;
  for (let age = 63; age >= 1 && !more; age--) {
    const keys = byAge[age];
    if (keys.length === 0) continue;
    const ips: string[] = [];
    let g0 = 0;
    let g1 = 0;
    let g2 = 0;
    for (let i = 0; i < keys.length; i++) {
      if (taken >= max) {
        more = true;
        break;
      }
      const key = keys[i];
      const v = z.counts.pop(key);
      if (typeof v !== 'number') continue;
      taken++;
      if (!(v >= UNIT_TOTAL)) {
        legacy += legacyTotal(key, v);
        continue;
      }
      // decodeCounts() inline (no array per key).
      const total = Math.floor(v / UNIT_TOTAL);
      const rest = v - total * UNIT_TOTAL;
      const c4 = Math.floor(rest / UNIT_4XX);
      const c5 = rest - c4 * UNIT_4XX;
      g0 += total;
      g1 += c4;
      g2 += c5;
      if (key.length > 1) ips.push('"' + key.slice(1) + '":[' + total + ',' + c4 + ',' + c5 + ']');
    }
    if (g0 + g1 + g2 > 0) {
      const t = secondOfTag(tagOf(sec - age), sec);
      buckets.push('{"t":' + t + ',"g":[' + g0 + ',' + g1 + ',' + g2 + '],"ip":{' + ips.join(',') + '}}');
    }
  }
  let dropped = 0;
  try {
    const d = z.meta.pop(META_DROPPED);
    dropped = (typeof d === 'number' ? d : 0) + legacy;
    z.meta.set(META_LAST_DRAIN, sec);
  } catch {
    dropped = legacy;
  }
  return '{"v":1,"now":' + nowMs / 1000 + ',"buckets":[' + buckets.join(',') + '],"dropped":' + dropped + ',"more":' + more + '}';
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
