// The host's own interface addresses (the one part of net/ that reads the system), for the never-ban-yourself rule.
import { networkInterfaces } from 'node:os';
import { normaliseIp } from './ip.js';

/**
 * Every address configured on this host's interfaces, normalised and de-duplicated (zone ids dropped).
 * @example hostAddresses() // ['127.0.0.1', '10.0.0.5', '::1', 'fe80::1c2:3ff:fe4:5']
 */
export function hostAddresses(): string[] {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      const n = normaliseIp(a.address.split('%')[0]);
      if (n) out.add(n);
    }
  }
  return [...out];
}
