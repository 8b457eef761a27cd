// Network prefixes of clients (/24 for IPv4, /48 for IPv6) and their sums: what the `spread` rule judges, a prefix
// whose addresses together do what no single client may. The engine sums the clients per prefix.
import { parseCidr } from '../net/cidr.js';

/** One prefix's sums over a window. */
export interface PrefixSums {
  /** The prefix in CIDR form (`203.0.113.0/24`, `2001:db8:1::/48`). */
  key: string;
  /** Clients of the prefix with requests in the window. */
  clients: number;
  /** Their requests together. */
  total: number;
}

/**
 * The prefix a client key belongs to: an IPv4 address gives its /v4Bits, an IPv6 address or prefix key
 * (`2001:db8:1:2::/64`) its /v6Bits (a key already wider than v6Bits stays as it is). Null for what is not an address.
 * @example prefixOf('203.0.113.9') === '203.0.113.0/24'; prefixOf('2001:db8:1:2::/64') === '2001:db8:1::/48'
 */
export function prefixOf(key: string, v4Bits = 24, v6Bits = 48): string | null {
  if (v4Bits === 24 && key.indexOf(':') < 0 && key.indexOf('/') < 0) {
    const dot = key.lastIndexOf('.');
    return dot > 0 ? `${key.slice(0, dot)}.0/24` : null; // the fast path for the common case
  }
  const slash = key.indexOf('/');
  const addr = slash < 0 ? key : key.slice(0, slash);
  const have = slash < 0 ? (addr.indexOf(':') < 0 ? 32 : 128) : Number(key.slice(slash + 1));
  const want = addr.indexOf(':') < 0 ? v4Bits : v6Bits;
  const c = parseCidr(`${addr}/${Math.min(have, want)}`);
  return c === null ? null : c.text;
}
