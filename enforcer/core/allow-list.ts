// The "never ban yourself" policy in one place: what the allow-list holds (loopback, this host, the config file, the
// entries added through the API) and the matcher the engine, replay and the API's ban checks use.
import { buildMatcher } from '../net/cidr.js';

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
