// The "never ban yourself" policy in one place: what the allow-list holds (loopback, this host, the config file, the
// entries added through the API) and the matcher the engine, replay and the API's ban checks use.
import { buildMatcher, cidrOverlaps, parseCidr } from '../net/cidr.js';

/** Where an allow-list entry comes from: built in (loopback, this host), the config file, or added through the API. */
export type AllowSource = 'builtin' | 'config' | 'api';

/** One allow-list entry: an address or CIDR, a note for people, and where it comes from. */
export interface AllowEntry {
  cidr: string;
  note: string;
  source: AllowSource;
  /** When (epoch s) and by whom it was added, for 'api' entries. */
  created_at?: number;
  created_by?: string;
}

/** Loopback, never banned whatever the config says. */
export const LOOPBACK: readonly string[] = ['127.0.0.0/8', '::1/128'];

/** What the allow-list is made of. */
export interface AllowParts {
  /** This host's own addresses (`allow_self`; empty when off). */
  selfAddrs: readonly string[];
  /** `allowlist` of the config file. */
  configured: readonly string[];
  /** Entries added through the API (kept in the database). */
  added?: ReadonlyArray<Omit<AllowEntry, 'source'>>;
}

/**
 * The whole allow-list in force, built-in entries first.
 * @example allowEntries({ selfAddrs: ['192.0.2.1'], configured: ['198.51.100.0/24'] }).map((e) => e.cidr)
 *   // ['127.0.0.0/8', '::1/128', '192.0.2.1', '198.51.100.0/24']
 */
export function allowEntries(p: AllowParts): AllowEntry[] {
  return [
    ...LOOPBACK.map((cidr) => ({ cidr, note: 'loopback', source: 'builtin' as const })),
    ...p.selfAddrs.map((cidr) => ({ cidr, note: 'this host', source: 'builtin' as const })),
    ...p.configured.map((cidr) => ({ cidr, note: 'config file', source: 'config' as const })),
    ...(p.added ?? []).map((a) => ({ ...a, source: 'api' as const })),
  ];
}

/**
 * The predicate the engine uses: true for an address (or a network, see buildMatcher) the allow-list covers.
 * @example allowMatcher({ selfAddrs: [], configured: [] })('127.0.0.5') === true
 */
export function allowMatcher(p: AllowParts): (ip: string) => boolean {
  return buildMatcher(allowEntries(p).map((e) => e.cidr));
}

/**
 * The entries that are this machine itself (loopback and its own addresses): an operator cannot ban them by hand either.
 * @example selfEntries(['192.0.2.1']) // ['127.0.0.0/8', '::1/128', '192.0.2.1']
 */
export function selfEntries(selfAddrs: readonly string[]): string[] {
  return [...LOOPBACK, ...selfAddrs];
}

/**
 * The widest networks a runtime entry (API, dashboard, `warden allow add`) may be: /8 for IPv4, /16 for IPv6. A click
 * must never switch detection off for a whole family (`0.0.0.0/0`, `::/0`, or two halves of it); wider entries belong
 * in the config file's `allowlist`, where they are reviewed (and warned about at start).
 */
export const MIN_RUNTIME_ALLOW_PREFIX = { 4: 8, 6: 16 } as const;

/**
 * Checks a runtime allow-list entry: returns its canonical form (host bits cleared, a lone address as `/32` or `/128`,
 * as the store keeps it) or the reason it is refused.
 * @example runtimeAllowEntry('203.0.113.9') // { ok: true, cidr: '203.0.113.9/32' }
 * @example runtimeAllowEntry('0.0.0.0/0').ok === false
 */
export function runtimeAllowEntry(raw: string): { ok: true; cidr: string } | { ok: false; error: string } {
  const t = typeof raw === 'string' ? raw.trim() : '';
  const c = t.length <= 100 ? parseCidr(t) : null;
  if (!c) return { ok: false, error: `\`cidr\` must be an IP address or CIDR, got \`${String(raw).slice(0, 64)}\`` };
  const min = MIN_RUNTIME_ALLOW_PREFIX[c.version];
  if (c.prefix < min) {
    return { ok: false, error: `\`cidr\`: ${c.text} is wider than /${min}: an allow-list entry that broad switches detection off ` +
      `for ${c.prefix === 0 ? `every IPv${c.version} address` : 'a large part of the Internet'}; put it in the config file's \`allowlist\` if you really mean it` };
  }
  // An IPv6 network holding the IPv4-mapped range (`::/16` holds ::ffff:0:0/96) would allow every IPv4 client.
  if (c.version === 6 && cidrOverlaps(c.text, '::ffff:0:0/96')) {
    return { ok: false, error: `\`cidr\`: ${c.text} holds the IPv4-mapped range ::ffff:0:0/96, so it would allow-list every IPv4 ` +
      'address; name the IPv4 network itself' };
  }
  return { ok: true, cidr: c.text };
}
