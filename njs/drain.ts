// Draining warden_counts (counters protocol v2, docs/counters-protocol.md): pops the keys of completed seconds and
// answers them as they are stored, one `key value` line each; the daemon decodes. The janitor discards stale seconds.
import { META_DROPPED, META_DROPPED_TOTAL, META_LAST_DRAIN, META_UNATTRIBUTED, type CountZones } from './count.js';
import { decodeCounts, SIGNAL_MARK, TAGS } from './keys.js';

/** The counters protocol version this module speaks. */
export const PROTOCOL_VERSION = 2;

/**
 * A key written by a version before the one-`incr` layout (value = a plain count; `K!ip` / `K#ip` held the 4xx / 5xx
 * of `Kip`), met when nginx reloads into this version with counts in the zone: its requests count as dropped.
 */
function legacyTotal(key: string, v: number): number {
  const m = key.charAt(1);
  return key.length > 1 && m !== '!' && m !== '#' && m !== SIGNAL_MARK ? v : 0;
}

/**
 * Removes and returns up to `max` keys of completed seconds as the text of a version 2 answer:
 * `warden-counters 2 <now> <dropped> <more 0|1> <ipv6 prefix> <unattributed>` then one `<key> <value>` line per key, the key and
 * value exactly as stored (keys.ts): the daemon maps the tag to a second with `now` and decodes the value, so the
 * worker does no arithmetic and no grouping per key. Each returned value is popped (atomic read + delete), so nothing
 * is returned twice; a late increment re-creates its key and comes in a later answer. The current second's keys stay.
 * @example drain(zones, Date.now(), 20000, 64) // 'warden-counters 2 1764312345.123 0 0 64 0\nK1.2.3.4 17179869184'
 */
export function drain(z: CountZones, nowMs: number, max: number, ipv6Prefix: number): string {
  const sec = Math.floor(nowMs / 1000);
  const current = TAGS.charAt(sec % 64);
  const all = z.counts.keys(1 << 30);
  const lines: string[] = [];
  let more = false;
  for (let i = 0; i < all.length; i++) {
    const key = all[i];
    if (key[0] === current) continue;
    if (lines.length >= max) {
      more = true;
      break;
    }
    const v = z.counts.pop(key);
    if (typeof v === 'number') lines.push(key + ' ' + v);
  }
  let dropped = 0;
  let unattributed = 0;
  try {
    const d = z.meta.pop(META_DROPPED);
    dropped = typeof d === 'number' ? d : 0;
    const u = z.meta.pop(META_UNATTRIBUTED);
    unattributed = typeof u === 'number' ? u : 0;
    z.meta.set(META_LAST_DRAIN, sec);
  } catch {
    dropped = 0;
  }
  // The 7th field (requests from a trusted proxy's own address) is new: a daemon that reads six ignores it.
  const head = 'warden-counters 2 ' + nowMs / 1000 + ' ' + dropped + ' ' + (more ? 1 : 0) + ' ' + ipv6Prefix + ' ' + unattributed;
  return lines.length ? head + '\n' + lines.join('\n') + '\n' : head + '\n';
}

/**
 * Janitor (js_periodic, every second): when nobody drained for a few seconds, discards keys older than `keepSeconds`
 * and counts their requests as dropped, so memory stays bounded and tags never wrap. Returns how many requests were
 * discarded.
 * @example janitor(zones, Date.now(), 30)
 */
export function janitor(z: CountZones, nowMs: number, keepSeconds: number): number {
  const sec = Math.floor(nowMs / 1000);
  const last = z.meta.get(META_LAST_DRAIN);
  if (typeof last === 'number' && sec - last <= 2) return 0;
  const keep = Math.min(Math.max(keepSeconds, 2), 60);
  // Age in seconds of each tag character.
  const ageOf: { [tag: string]: number } = {};
  for (let i = 0; i < 64; i++) ageOf[TAGS[i]] = (sec - i + 4096) % 64;
  const all = z.counts.keys(1 << 30);
  let discarded = 0;
  for (let i = 0; i < all.length; i++) {
    const key = all[i];
    const age = ageOf[key[0]];
    if (!(age > keep)) continue;
    const v = z.counts.pop(key);
    if (typeof v !== 'number') continue;
    const n = decodeCounts(v);
    // Totals of per-client keys; the global-only keys were counted as dropped when they were made; signal keys are
    // not requests.
    if (n === null) discarded += legacyTotal(key, v);
    else if (key.length > 1 && key[1] !== SIGNAL_MARK) discarded += n[0];
  }
  if (discarded > 0) {
    z.meta.incr(META_DROPPED, discarded, 0);
    z.meta.incr(META_DROPPED_TOTAL, discarded, 0);
  }
  return discarded;
}
