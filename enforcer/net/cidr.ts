// CIDR parsing, ban keys (an address or a network), containment, allow-list matchers compiled once, and CIDR ranges
// in the sortable ipKey space.
import { bytesToKey, ipToBytes, normaliseIp } from './ip.js';

/** A parsed network: the base address with host bits cleared, and its prefix length. */
export interface Cidr {
  version: 4 | 6;
  /** Network address bytes: 4 for IPv4, 16 for IPv6, host bits zero. */
  base: Uint8Array;
  /** Prefix length: 0-32 for IPv4, 0-128 for IPv6. */
  prefix: number;
  /** Canonical text, e.g. `10.0.0.0/8`, `2001:db8::/32`. */
  text: string;
}

/** The bytes of `bytes` with everything after `prefix` bits cleared (a copy). */
function maskBytes(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - 8 * i));
    out[i] &= keep === 0 ? 0 : (0xff << (8 - keep)) & 0xff;
  }
  return out;
}

/** Text of 4 or 16 bytes (canonical). */
function bytesToText(b: Uint8Array): string {
  if (b.length === 4) return b.join('.');
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(((b[i] << 8) | b[i + 1]).toString(16));
  return normaliseIp(parts.join(':')) ?? parts.join(':');
}

/**
 * Parses `a.b.c.d/n`, `x::y/n` or a plain address (= /32 or /128). Host bits are cleared (`10.1.2.3/8` is `10.0.0.0/8`).
 * IPv4-mapped IPv6 networks with a prefix >= 96 become IPv4 (`::ffff:10.0.0.0/104` is `10.0.0.0/8`). Null when invalid.
 * @example parseCidr('10.1.2.3/8') // { version: 4, base: [10,0,0,0], prefix: 8, text: '10.0.0.0/8' }; parseCidr('1.2.3.4/99') === null
 */
export function parseCidr(s: string): Cidr | null {
  if (typeof s !== 'string') return null;
  const slash = s.indexOf('/');
  const addrText = slash < 0 ? s : s.slice(0, slash);
  const bytes16 = ipToBytes(addrText);
  if (!bytes16) return null;
  const isV4Text = addrText.indexOf(':') < 0;
  let prefix: number;
  if (slash < 0) {
    prefix = isV4Text ? 32 : 128;
  } else {
    const p = s.slice(slash + 1);
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return null;
    prefix = Number(p);
    if (prefix > (isV4Text ? 32 : 128)) return null;
  }
  const mapped = bytes16[10] === 0xff && bytes16[11] === 0xff && bytes16.subarray(0, 10).every((x) => x === 0);
  if (isV4Text || (mapped && prefix >= 96)) {
    const p4 = isV4Text ? prefix : prefix - 96;
    const base = maskBytes(bytes16.subarray(12), p4);
    return { version: 4, base, prefix: p4, text: `${bytesToText(base)}/${p4}` };
  }
  const base = maskBytes(bytes16, prefix);
  return { version: 6, base, prefix, text: `${bytesToText(base)}/${prefix}` };
}

/** The 16-byte (IPv6-mapped) base and prefix of a parsed network. */
function to16(c: Cidr): { base: Uint8Array; prefix: number } {
  if (c.version === 6) return { base: c.base, prefix: c.prefix };
  const b = new Uint8Array(16);
  b[10] = 0xff;
  b[11] = 0xff;
  b.set(c.base, 12);
  return { base: b, prefix: c.prefix + 96 };
}

/**
 * The first and last ipKey of a network, for `WHERE ip_key BETWEEN lo AND hi`. Throws for an invalid CIDR.
 * @example cidrRange('10.0.0.0/8') // { lo: '00000000000000000000ffff0a000000', hi: '00000000000000000000ffff0affffff' }
 */
export function cidrRange(cidr: string): { lo: string; hi: string } {
  const c = parseCidr(cidr);
  if (!c) throw new Error(`not an IP address or CIDR: ${JSON.stringify(cidr)}`);
  const { base, prefix } = to16(c);
  const hi = new Uint8Array(base);
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, prefix - 8 * i));
    hi[i] |= 0xff >> keep;
  }
  return { lo: bytesToKey(base), hi: bytesToKey(hi) };
}

/** True when two networks in the 16-byte space share an address (one contains the other). */
function overlaps16(a: { base: Uint8Array; prefix: number }, b: { base: Uint8Array; prefix: number }): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return bytesToKey(maskBytes(a.base, p)) === bytesToKey(maskBytes(b.base, p));
}

/**
 * True when every address of `inner` is in `outer` (each an address or a CIDR); false when either is invalid.
 * @example cidrContains('2001:db8:1:2::/64', '2001:db8:1:2::77') === true; cidrContains('10.0.0.0/24', '10.0.0.0/16') === false
 */
export function cidrContains(outer: string, inner: string): boolean {
  const o = parseCidr(outer);
  const i = parseCidr(inner);
  if (!o || !i) return false;
  const a = to16(o);
  const b = to16(i);
  return a.prefix <= b.prefix && overlaps16(a, b);
}

/**
 * True when two addresses or CIDRs share at least one address; false when either is invalid.
 * @example cidrOverlaps('10.0.0.0/8', '10.1.0.0/16') === true; cidrOverlaps('10.0.0.0/24', '10.0.1.0/24') === false
 */
export function cidrOverlaps(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  return x !== null && y !== null && overlaps16(to16(x), to16(y));
}

/**
 * The first and last address of a network (canonical text), or null when `cidr` is not one.
 * @example cidrEnds('2001:db8:1:2::/64') // ['2001:db8:1:2::', '2001:db8:1:2:ffff:ffff:ffff:ffff']
 */
export function cidrEnds(cidr: string): [string, string] | null {
  const c = parseCidr(cidr);
  if (!c) return null;
  const last = new Uint8Array(c.base);
  for (let i = 0; i < last.length; i++) last[i] |= 0xff >> Math.max(0, Math.min(8, c.prefix - 8 * i));
  return [bytesToText(c.base), bytesToText(last)];
}

/**
 * The canonical form of a ban key: an address (IPv4 dotted, IPv6 compressed, mapped IPv6 as IPv4) or a network
 * (`203.0.113.0/24`, `2001:db8:1:2::/64`, host bits cleared). A full-length network (/32, /128) is its address.
 * Null when `s` is neither.
 * @example normaliseBanKey('2001:DB8:1:2::9/64') === '2001:db8:1:2::/64'; normaliseBanKey('10.0.0.1/32') === '10.0.0.1'
 */
export function normaliseBanKey(s: string): string | null {
  if (typeof s !== 'string') return null;
  if (s.indexOf('/') < 0) return normaliseIp(s);
  const c = parseCidr(s);
  if (!c) return null;
  if (c.prefix === (c.version === 4 ? 32 : 128)) return c.text.slice(0, c.text.indexOf('/'));
  return c.text;
}

/**
 * The widest network a ban may cover, per family: wider prefixes (e.g. `0.0.0.0/0`, `::/0`, `10.0.0.0/8`) are refused
 * everywhere (API, CLI, engine), since one such ban would shut out a large part of the Internet.
 */
export const MIN_BAN_PREFIX = { 4: 16, 6: 32 } as const;

/**
 * Why a canonical ban key cannot be banned (a network wider than MIN_BAN_PREFIX), or null when it can.
 * @example banKeyProblem('::/0') // 'refusing to ban ::/0: an IPv6 prefix must be /32 or longer'; banKeyProblem('10.0.0.0/24') === null
 */
export function banKeyProblem(key: string): string | null {
  const c = key.indexOf('/') >= 0 ? parseCidr(key) : null;
  if (!c || c.prefix >= MIN_BAN_PREFIX[c.version]) return null;
  return `refusing to ban ${c.text}: an IPv${c.version} prefix must be /${MIN_BAN_PREFIX[c.version]} or longer`;
}

/** Where a ban key sits in SQLite: its base address's sortable key (32 hex digits, see ipKey) and its prefix length. */
export interface BanKeyParts {
  /** 32 hex digits of the (base) address in the 16-byte space. */
  ipKey: string;
  /** Prefix length in the 16-byte space: 128 for one address, 120 for an IPv4 /24, 64 for an IPv6 /64. */
  prefixLen: number;
}

/**
 * The `ip_key` and `prefix_len` columns of a ban key, so a network and its base address are different bans
 * (`2001:db8:1:2::/64` is `{ ipKey: '20010db8000100020000000000000000', prefixLen: 64 }`, `2001:db8:1:2::` has 128).
 * Throws for an invalid key.
 * @example banKeyParts('10.0.0.0/24') // { ipKey: '00000000000000000000ffff0a000000', prefixLen: 120 }
 */
export function banKeyParts(key: string): BanKeyParts {
  const n = normaliseBanKey(key);
  if (n === null) throw new Error(`not an IP address or CIDR: ${JSON.stringify(key)}`);
  const c = to16(parseCidr(n)!);
  return { ipKey: bytesToKey(c.base), prefixLen: c.prefix };
}

/**
 * The `ip_key`/`prefix_len` of every network (prefix length below 128, in the 16-byte space; from /0 for IPv4 as
 * well) holding the address: what "the prefix bans covering an address" looks up. Throws for an invalid address.
 * @example coveringKeys('10.0.0.1').some((k) => k.prefixLen === 120 && k.ipKey === '00000000000000000000ffff0a000000') === true
 */
export function coveringKeys(ip: string): BanKeyParts[] {
  const b = ipToBytes(ip);
  if (!b) throw new Error(`not an IP address: ${JSON.stringify(ip)}`);
  const v4 = b[10] === 0xff && b[11] === 0xff && b.subarray(0, 10).every((x) => x === 0);
  const out: BanKeyParts[] = [];
  for (let p = v4 ? 96 : 0; p < 128; p++) out.push({ ipKey: bytesToKey(maskBytes(b, p)), prefixLen: p });
  return out;
}

/**
 * Compiles a list of addresses/CIDRs (IPv4 and IPv6) into a fast predicate. A bad entry throws at build time,
 * naming it. An IPv6 network that covers ::ffff:0:0/96 also covers IPv4 (the same 16-byte space as ipKey).
 * Given a network (`2001:db8:1:2::/64`), the predicate is true when the network holds any allowed address (so a
 * prefix holding the admin's address is never banned). Invalid input to the predicate is never matched.
 * @example const allowed = buildMatcher(['127.0.0.0/8', '::1', '2001:db8::/32']); allowed('127.0.0.9') === true
 */
export function buildMatcher(cidrs: string[]): (ip: string) => boolean {
  // One Set of masked values per prefix length: a lookup costs one mask + one Set.has per distinct prefix length.
  const v4 = new Map<number, Set<number>>();
  const v6 = new Map<number, Set<string>>();
  for (const entry of cidrs) {
    const c = parseCidr(typeof entry === 'string' ? entry.trim() : entry);
    if (!c) throw new Error(`allow-list entry ${JSON.stringify(entry)} is not an IP address or CIDR`);
    if (c.version === 4) {
      const n = ((c.base[0] << 24) | (c.base[1] << 16) | (c.base[2] << 8) | c.base[3]) >>> 0;
      let set = v4.get(c.prefix);
      if (!set) v4.set(c.prefix, (set = new Set()));
      set.add(n);
    } else {
      let set = v6.get(c.prefix);
      if (!set) v6.set(c.prefix, (set = new Set()));
      set.add(bytesToKey(c.base));
    }
  }
  const v4Prefixes = [...v4.entries()].map(([p, set]) => ({ mask: p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0, set }));
  const v6Prefixes = [...v6.entries()].map(([p, set]) => ({ prefix: p, set }));
  const v4Re = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
  // A client key that is a network (an IPv6 client counted per prefix, `2001:db8:1:2::/64`) is allowed when it
  // overlaps any allow-listed network: a prefix holding one allow-listed address is never banned (never lock out the
  // admin), at the price of not banning the rest of that prefix.
  const all = cidrs.map((e) => to16(parseCidr(typeof e === 'string' ? e.trim() : e) as Cidr));
  const overlaps = (key: string): boolean => {
    const c = parseCidr(key);
    if (!c) return false;
    const k = to16(c);
    for (const a of all) {
      const bits = Math.min(a.prefix, k.prefix);
      let same = true;
      for (let i = 0; i < 16 && same; i++) {
        const keep = Math.max(0, Math.min(8, bits - 8 * i));
        if (keep === 0) break;
        const mask = (0xff << (8 - keep)) & 0xff;
        same = (a.base[i] & mask) === (k.base[i] & mask);
      }
      if (same) return true;
    }
    return false;
  };
  return (ip: string): boolean => {
    if (typeof ip === 'string' && ip.indexOf('/') > 0) return overlaps(ip);
    let b: Uint8Array | null = null;
    let n = -1;
    const m = typeof ip === 'string' ? v4Re.exec(ip) : null;
    if (m && m[1].length + m[2].length + m[3].length + m[4].length === ip.length - 3) {
      // Fast path for canonical dotted IPv4 (the common case).
      const a = +m[1], bb = +m[2], c = +m[3], d = +m[4];
      if (a <= 255 && bb <= 255 && c <= 255 && d <= 255 && !/(^|\.)0\d/.test(ip)) n = ((a << 24) | (bb << 16) | (c << 8) | d) >>> 0;
      else return false;
    } else {
      b = ipToBytes(ip);
      if (!b) return false;
      if (b[10] === 0xff && b[11] === 0xff && b.subarray(0, 10).every((x) => x === 0)) {
        n = ((b[12] << 24) | (b[13] << 16) | (b[14] << 8) | b[15]) >>> 0;
      }
    }
    if (n >= 0) {
      for (const { mask, set } of v4Prefixes) if (set.has((n & mask) >>> 0)) return true;
      if (v6Prefixes.length === 0) return false;
      if (!b) b = ipToBytes(ip);
    }
    if (!b || v6Prefixes.length === 0) return false;
    for (const { prefix, set } of v6Prefixes) if (set.has(bytesToKey(maskBytes(b, prefix)))) return true;
    return false;
  };
}
