// IP address parsing and normalisation: one canonical text form per address, 16-byte form and sortable keys.

const V4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEX_GROUP_RE = /^[0-9a-fA-F]{1,4}$/;

/** One dotted-quad octet: 0-255, no leading zeros (`010` is ambiguous: octal to some parsers). */
function octet(s: string): number {
  if (s.length > 1 && s.charCodeAt(0) === 48) return -1;
  const n = Number(s);
  return n <= 255 ? n : -1;
}

/** The 4 bytes of a dotted IPv4 address, or null. */
function parseV4(s: string): number[] | null {
  const m = V4_RE.exec(s);
  if (!m) return null;
  const out = [octet(m[1]), octet(m[2]), octet(m[3]), octet(m[4])];
  return out.some((n) => n < 0) ? null : out;
}

/** The 8 16-bit groups of an IPv6 address (optionally ending in dotted IPv4), or null. Zone ids are rejected. */
function parseV6(s: string): number[] | null {
  if (s.length < 2 || s.length > 45 || s.indexOf(':') < 0) return null;
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return null;
  const parseSide = (part: string, allowV4Tail: boolean): number[] | null => {
    if (part === '') return [];
    const items = part.split(':');
    const groups: number[] = [];
    for (let i = 0; i < items.length; i++) {
      const it = items[i];
      if (allowV4Tail && i === items.length - 1 && it.indexOf('.') >= 0) {
        const v4 = parseV4(it);
        if (!v4) return null;
        groups.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else {
        if (!HEX_GROUP_RE.test(it)) return null;
        groups.push(parseInt(it, 16));
      }
    }
    return groups;
  };
  if (dbl < 0) {
    const g = parseSide(s, true);
    return g && g.length === 8 ? g : null;
  }
  const head = parseSide(s.slice(0, dbl), false);
  const tail = parseSide(s.slice(dbl + 2), true);
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  // `::` stands for at least one zero group.
  if (missing < 1) return null;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

/** True when the 8 groups are an IPv4-mapped address (::ffff:a.b.c.d). */
function isMapped(g: number[]): boolean {
  return g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff;
}

/** RFC 5952 text of 8 groups: lower-case, no leading zeros, the longest run (>= 2) of zero groups as `::`. */
function formatV6(g: number[]): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((n) => n.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/**
 * The canonical text form of an IP address, or null when `s` is not exactly one address.
 * IPv4 stays dotted; IPv4-mapped IPv6 becomes IPv4; IPv6 is compressed lower-case (RFC 5952).
 * Rejects CIDRs, ports, brackets, zone ids (`fe80::1%eth0`), whitespace and leading-zero octets (`010.0.0.1`).
 * @example normaliseIp('::FFFF:10.0.0.1') === '10.0.0.1'; normaliseIp('2001:DB8:0:0::1') === '2001:db8::1'; normaliseIp('999.1.1.1') === null
 */
export function normaliseIp(s: string): string | null {
  if (typeof s !== 'string') return null;
  const v4 = parseV4(s);
  if (v4) return v4.join('.');
  const g = parseV6(s);
  if (!g) return null;
  if (isMapped(g)) return `${g[6] >> 8}.${g[6] & 255}.${g[7] >> 8}.${g[7] & 255}`;
  return formatV6(g);
}

/**
 * 4 or 6 for a valid address (IPv4-mapped IPv6 counts as 4), null otherwise.
 * @example ipVersion('10.0.0.1') === 4; ipVersion('::1') === 6; ipVersion('nope') === null
 */
export function ipVersion(ip: string): 4 | 6 | null {
  const n = normaliseIp(ip);
  if (n === null) return null;
  return n.indexOf(':') >= 0 ? 6 : 4;
}

/**
 * The 16 bytes of an address in the IPv6 space (IPv4 as ::ffff:a.b.c.d), or null when invalid.
 * @example ipToBytes('1.2.3.4') // Uint8Array [0,0,0,0,0,0,0,0,0,0,255,255,1,2,3,4]
 */
export function ipToBytes(ip: string): Uint8Array | null {
  const out = new Uint8Array(16);
  const v4 = parseV4(ip);
  if (v4) {
    out[10] = 0xff;
    out[11] = 0xff;
    out.set(v4, 12);
    return out;
  }
  const g = parseV6(ip);
  if (!g) return null;
  for (let i = 0; i < 8; i++) {
    out[2 * i] = g[i] >> 8;
    out[2 * i + 1] = g[i] & 255;
  }
  return out;
}

/** 32 lower-case hex digits of 16 bytes. */
export function bytesToKey(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < 16; i++) s += (b[i] < 16 ? '0' : '') + b[i].toString(16);
  return s;
}

/**
 * A fixed-width (32 hex digits) key of the address's 16 bytes that sorts like the addresses, for SQLite range queries.
 * Throws for an invalid address.
 * @example ipKey('1.2.3.4') === '00000000000000000000ffff01020304'
 */
export function ipKey(ip: string): string {
  const b = ipToBytes(ip);
  if (!b) throw new Error(`not an IP address: ${JSON.stringify(ip)}`);
  return bytesToKey(b);
}

/**
 * True for loopback addresses: 127.0.0.0/8 and ::1 (also as IPv4-mapped). False for anything invalid.
 * @example isLoopback('127.0.0.53') === true; isLoopback('::1') === true; isLoopback('10.0.0.1') === false
 */
export function isLoopback(ip: string): boolean {
  const b = ipToBytes(ip);
  if (!b) return false;
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  if (b[10] === 0xff && b[11] === 0xff) return b[12] === 127;
  for (let i = 10; i < 15; i++) if (b[i] !== 0) return false;
  return b[15] === 1;
}
