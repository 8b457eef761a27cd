// Validation and normalisation of the addresses and prefixes sent to the ban endpoints (internal listener only).
import { ipv6Prefix } from './client.js';

/** True for a dotted-quad IPv4 address without leading zeros. (No module-level regex: top-level code re-runs per request.) */
export function isIPv4(s: string): boolean {
  return /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(s);
}

/** The 8 groups of an IPv6 address (numbers), or null when it is not one. Accepts an embedded IPv4 tail. */
function ipv6Groups(s: string): number[] | null {
  if (s.length < 2 || s.length > 45 || !/^[0-9a-fA-F:.]+$/.test(s)) return null;
  let tail: number[] = [];
  let body = s;
  const lastColon = s.lastIndexOf(':');
  if (s.indexOf('.') >= 0) {
    const v4 = s.slice(lastColon + 1);
    if (!isIPv4(v4)) return null;
    const p = v4.split('.');
    tail = [(Number(p[0]) << 8) | Number(p[1]), (Number(p[2]) << 8) | Number(p[3])];
    body = s.slice(0, lastColon + 1);
    if (body.slice(-2) !== '::') body = body.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(items[i])) return null;
      out.push(parseInt(items[i], 16));
    }
    return out;
  };
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  if (!head || !rest) return null;
  const known = head.length + rest.length + tail.length;
  if (halves.length === 1) return known === 8 ? head.concat(tail) : null;
  if (known > 7) return null;
  const zeros: number[] = [];
  for (let i = 0; i < 8 - known; i++) zeros.push(0);
  return head.concat(zeros, rest, tail);
}

/** IPv6 groups in RFC 5952 form (lower case, longest zero run of 2+ compressed, first one on ties), as nginx prints it. */
function formatIPv6(g: number[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = (a: number[]) => a.map((n) => n.toString(16)).join(':');
  if (best < 0) return hex(g);
  return hex(g.slice(0, best)) + '::' + hex(g.slice(best + bestLen));
}

/**
 * Validates a ban key sent by the enforcer and returns it in the form the ban check looks up ('' when invalid): an
 * address as normaliseIp() gives it, or a canonical CIDR (IPv6 only, `prefix` bits: the check looks up a client's
 * address and its prefix of that length; an IPv6 `/128` is the address).
 * @example normaliseBanKey('2001:DB8:1:2::/64', 64) // '2001:db8:1:2::/64'
 */
export function normaliseBanKey(s: string, prefix: number): string {
  if (typeof s !== 'string') return '';
  const slash = s.indexOf('/');
  if (slash < 0) return normaliseIp(s);
  const bits = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return '';
  const n = Number(bits);
  const addr = s.slice(0, slash);
  if (isIPv4(addr)) return n === 32 ? addr : '';
  if (n === 128) return normaliseIp(addr);
  if (n !== prefix) return '';
  const key = ipv6Prefix(addr, n);
  // Only the network address itself: 2001:db8::1/64 is refused, not silently widened.
  return key !== '' && ipv6Prefix(addr, 128) === key.slice(0, key.indexOf('/')) ? key : '';
}

/**
 * Validates an address sent by the enforcer and returns it in the form nginx reports clients ('' when invalid):
 * IPv4 dotted, IPv4-mapped IPv6 as IPv4, IPv6 lower-case compressed.
 * @example normaliseIp('2001:DB8:0:0:0:0:0:1') // '2001:db8::1'
 */
export function normaliseIp(s: string): string {
  if (typeof s !== 'string') return '';
  if (isIPv4(s)) return s;
  const g = ipv6Groups(s);
  if (!g) return '';
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return [g[6] >> 8, g[6] & 255, g[7] >> 8, g[7] & 255].join('.');
  }
  return formatIPv6(g);
}
