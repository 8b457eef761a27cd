// The client key the counters and bans use: an IPv4 address on its own, an IPv6 address by its prefix
// (`detection.ipv6_prefix`). The njs side computes the same key in nginx (njs/client.ts); test/njs/client-key.test.ts
// checks that both agree.
import { ipToBytes, normaliseIp } from './ip.js';

/**
 * The client key of an address: IPv4 and IPv4-mapped IPv6 give dotted IPv4; IPv6 gives the canonical network CIDR of
 * `ipv6Prefix` bits (compressed lower-case network address + '/' + length), or the address itself when the prefix is
 * 128; null when `ip` is not an address.
 * @example clientKey('2001:db8:1:2:a:b:c:d', 64) // '2001:db8:1:2::/64'
 */
export function clientKey(ip: string, ipv6Prefix: number): string | null {
  const canon = normaliseIp(ip);
  if (canon === null) return null;
  if (canon.indexOf(':') < 0 || ipv6Prefix >= 128) return canon;
  const b = ipToBytes(canon);
  if (!b || b.length !== 16) return null;
  const bits = Math.max(0, Math.floor(ipv6Prefix));
  for (let i = 0; i < 16; i++) {
    const keep = bits - i * 8;
    if (keep <= 0) b[i] = 0;
    else if (keep < 8) b[i] &= (0xff << (8 - keep)) & 0xff;
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] << 8) | b[i + 1]).toString(16));
  const net = normaliseIp(groups.join(':'));
  return net === null ? null : `${net}/${bits}`;
}
