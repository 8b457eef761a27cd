// The client key nginx counts and the engine judges: an IPv4 address, or an IPv6 client's network prefix.
import { parseCidr } from './cidr.js';
import { normaliseIp } from './ip.js';

/**
 * The key a client is counted, judged and banned under. IPv4 and IPv4-mapped IPv6 give the dotted IPv4 address;
 * IPv6 gives the canonical network of its first `ipv6Prefix` bits (`2001:db8:1:2::/64`), or the compressed address
 * itself when the prefix is 128. Null when `ip` is not one address or `ipv6Prefix` is not a whole number 1-128.
 * The njs module computes the same key in nginx (njs/address.ts); `detection.ipv6_prefix` sets the length.
 * @example clientKey('2001:DB8:1:2:aaaa::1', 64) === '2001:db8:1:2::/64'; clientKey('::ffff:10.0.0.1', 64) === '10.0.0.1'
 */
export function clientKey(ip: string, ipv6Prefix: number): string | null {
  if (!Number.isInteger(ipv6Prefix) || ipv6Prefix < 1 || ipv6Prefix > 128) return null;
  const n = normaliseIp(ip);
  if (n === null || n.indexOf(':') < 0 || ipv6Prefix === 128) return n;
  return parseCidr(`${n}/${ipv6Prefix}`)?.text ?? null;
}
