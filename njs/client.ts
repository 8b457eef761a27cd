// The client key of a request: IPv4 as it is, IPv6 as its prefix. The per-request bundle holds clientOf only, its
// helpers nested in it (every top-level function of that module costs on every request); ipv6Prefix, for the internal
// module and the tests, is clientOf with the prefix length given.

/**
 * The client key of an address nginx reports that the handlers did not take as plain IPv4: IPv4-mapped IPv6 gives
 * dotted IPv4; IPv6 gives its prefix of `$warden_ipv6_prefix` bits (default 64) in canonical CIDR form, or the address
 * itself with 128; anything that is not an IP address (a unix socket client) gives ''. With `bits` given, `r` is not
 * read and the address is taken as IPv6 as it is (ipv6Prefix). One function, its helpers nested: every top-level
 * function of the per-request module costs on every request, and this one runs only for IPv6 clients.
 * Must agree with enforcer/net/client-key.ts (test/njs/client-key.test.ts checks both on the same inputs).
 * @example clientOf(r, '2001:db8:1:2:a:b:c:d') // '2001:db8:1:2::/64'
 */
export function clientOf(r: { variables: { [name: string]: string | undefined } } | null, addr: string, bits?: number): string {
  if (bits === undefined) {
    if (addr.lastIndexOf('::ffff:', 0) === 0 && addr.indexOf('.') > 0) return addr.slice(7);
    if (addr.indexOf(':') < 0) return addr.indexOf('unix:') === 0 ? '' : addr;
    const raw = r === null ? undefined : r.variables.warden_ipv6_prefix;
    const n = raw === undefined || raw === '' ? 64 : Number(raw);
    bits = n >= 0 && n <= 128 ? n : 64;
  }
  if (addr.length < 2 || addr.length > 45 || !/^[0-9a-fA-F:.]+$/.test(addr)) return '';
  // The 16-bit groups of the address.
  const groupsOf = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(items[i])) return null;
      out.push(parseInt(items[i], 16));
    }
    return out;
  };
  let tail: number[] = [];
  let body = addr;
  if (addr.indexOf('.') >= 0) {
    const lastColon = addr.lastIndexOf(':');
    const m = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/
      .exec(addr.slice(lastColon + 1));
    if (!m) return '';
    tail = [(Number(m[1]) << 8) | Number(m[2]), (Number(m[3]) << 8) | Number(m[4])];
    body = addr.slice(0, lastColon + 1);
    if (body.slice(-2) !== '::') body = body.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) return '';
  const head = groupsOf(halves[0]);
  const rest = halves.length === 2 ? groupsOf(halves[1]) : [];
  if (!head || !rest) return '';
  const known = head.length + rest.length + tail.length;
  let g: number[];
  if (halves.length === 1) {
    if (known !== 8) return '';
    g = head.concat(tail);
  } else {
    if (known > 7) return '';
    const zeros: number[] = [];
    for (let i = 0; i < 8 - known; i++) zeros.push(0);
    g = head.concat(zeros, rest, tail);
  }
  if (bits < 128) {
    for (let i = 0; i < 8; i++) {
      const keep = bits - i * 16;
      if (keep <= 0) g[i] = 0;
      else if (keep < 16) g[i] = g[i] & (0xffff ^ ((1 << (16 - keep)) - 1));
    }
  }
  // RFC 5952: lower case, the longest run of two or more zero groups compressed (the first one on ties).
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
  const text = best < 0 ? hex(g) : hex(g.slice(0, best)) + '::' + hex(g.slice(best + bestLen));
  return bits < 128 ? text + '/' + bits : text;
}

/**
 * An IPv6 address's prefix of `bits` bits in canonical CIDR form (RFC 5952 network address + '/' + bits), the
 * canonical address itself for 128, '' when `addr` is not IPv6 (an embedded IPv4 tail is accepted).
 * @example ipv6Prefix('2001:DB8:1:2::5', 64) // '2001:db8:1:2::/64'
 */
export function ipv6Prefix(addr: string, bits: number): string {
  return clientOf(null, addr, bits);
}
