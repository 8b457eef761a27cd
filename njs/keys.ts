// Key and value layout of the warden_counts zone (counters protocol v2, docs/counters-protocol.md). Main key: one tag
// character for the second (t mod 64), then the client ('' for the second's requests that could not be stored per
// client). Its value holds total, 4xx and 5xx in one number, so an ordinary request costs one `incr`. Signal key: the
// tag, `~`, then the client: auth failures and probes in one number, written only by requests that are one (a second
// `incr`). Short keys keep an IPv4 entry at 16 bytes or less (the smallest shared-dict slot, about 128 bytes).

/** 64 tag characters; the tag of second t is TAGS[t % 64]. */
export const TAGS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * A key's value is total * 2^34 + 4xx * 2^17 + 5xx: the total is the top field. Exact while the value stays below
 * 2^53: up to 524,287 requests, 131,071 4xx and 131,071 5xx per address and second. Beyond that the total is still
 * never under-reported: an overflowing lower field can only add to it, and rounding loses only the low (class) bits.
 */
export const UNIT_TOTAL = 17179869184;
/** The 4xx field's unit (see UNIT_TOTAL); the 5xx field's is 1. */
export const UNIT_4XX = 131072;
/** What one request adds: below 400 (UNIT_TOTAL), 4xx (UNIT_TOTAL + UNIT_4XX), 5xx (UNIT_TOTAL + 1). Literals, so the
 * per-request module does no arithmetic for them. */
export const ADD_OK = 17179869184;
/** See ADD_OK. */
export const ADD_4XX = 17180000256;
/** See ADD_OK. */
export const ADD_5XX = 17179869185;

/** The character between the tag and the client in a signal key (never the first character of a client). */
export const SIGNAL_MARK = '~';
/** A signal key's value is auth * 2^26 + probes: exact up to 67,108,863 probes per client and second. */
export const UNIT_AUTH = 67108864;
/** What one request adds to its signal key: an auth failure, a probe, or both. */
export const ADD_AUTH = 67108864;
/** See ADD_AUTH. */
export const ADD_PROBE = 1;
/** See ADD_AUTH. */
export const ADD_AUTH_PROBE = 67108865;

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

/**
 * Splits a key's value into [total, 4xx, 5xx]. A value below UNIT_TOTAL cannot come from this layout (every request
 * adds UNIT_TOTAL): it gives null.
 * @example decodeCounts(ADD_OK + ADD_4XX) // [2, 1, 0]
 */
export function decodeCounts(v: number): [number, number, number] | null {
  if (!(v >= UNIT_TOTAL)) return null;
  const total = Math.floor(v / UNIT_TOTAL);
  const rest = v - total * UNIT_TOTAL;
  const c4 = Math.floor(rest / UNIT_4XX);
  return [total, c4, rest - c4 * UNIT_4XX];
}
