// Replay's per-client counting: the same client keys (IPv6 prefixes) and request classes as nginx.
import type { Counts } from '../core/types.js';
import { clientKey } from '../net/client-key.js';
import type { LogEvent } from './parse-line.js';
import { requestCounts, type PathClasses } from './path-classes.js';

/**
 * Adds one request to `perClient` (and `global`) under its client key, as nginx would count it; returns the key
 * (null for an address that is not one, which is skipped).
 * @example addEvent(perIp, global, e, classes, 64)
 */
export function addEvent(perClient: Record<string, Counts>, global: Counts, e: LogEvent, classes: PathClasses, ipv6Prefix: number): string | null {
  const key = clientKey(e.ip, ipv6Prefix);
  if (key === null) return null;
  const add = requestCounts(classes, e.status, e.uri);
  const c = (perClient[key] ??= [0, 0, 0, 0, 0]);
  for (let i = 0; i < 5; i++) {
    c[i] = (c[i] ?? 0) + (add[i] ?? 0);
    global[i] = (global[i] ?? 0) + (add[i] ?? 0);
  }
  return key;
}

/**
 * Every request of a log added up per client key.
 * @example countEvents(events, loadPathClasses('nginx.conf'), 64) // { '203.0.113.9': [10, 2, 0, 0, 2] }
 */
export function countEvents(events: LogEvent[], classes: PathClasses, ipv6Prefix: number): Record<string, Counts> {
  const out: Record<string, Counts> = {};
  const global: Counts = [0, 0, 0, 0, 0];
  for (const e of events) addEvent(out, global, e, classes, ipv6Prefix);
  return out;
}
