// Key layout of the warden_counts zone: one tag character for the second (t mod 64), then what is counted.
// Short keys keep an IPv4 entry at 16 bytes or less (the smallest shared-dict slot, about 128 bytes).

/** 64 tag characters; the tag of second t is TAGS[t % 64]. */
export const TAGS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Marker after the tag for a 4xx key (never the first character of an IP address). */
export const MARK_4XX = '!';
/** Marker after the tag for a 5xx key. */
export const MARK_5XX = '#';

/**
 * The tag character of an epoch second.
 * @example tagOf(64) // 'A'
 */
export function tagOf(sec: number): string {
  return TAGS.charAt(sec % 64);
}

/**
 * The epoch second a tag stands for, given the current second: the latest second <= now with that tag.
 * @example secondOfTag('A', 65) // 64
 */
export function secondOfTag(tag: string, now: number): number {
  const i = TAGS.indexOf(tag);
  return now - ((now % 64) - i + 64) % 64;
}

/** A parsed counts key: which second tag, which class (0 total, 1 4xx, 2 5xx), which IP ('' = global, not per IP). */
export interface ParsedKey {
  tag: string;
  cls: number;
  ip: string;
}

/**
 * Splits a counts key.
 * @example parseKey('A!1.2.3.4') // { tag: 'A', cls: 1, ip: '1.2.3.4' }
 */
export function parseKey(key: string): ParsedKey {
  const m = key.charAt(1);
  if (m === MARK_4XX) return { tag: key.charAt(0), cls: 1, ip: key.slice(2) };
  if (m === MARK_5XX) return { tag: key.charAt(0), cls: 2, ip: key.slice(2) };
  return { tag: key.charAt(0), cls: 0, ip: key.slice(1) };
}
