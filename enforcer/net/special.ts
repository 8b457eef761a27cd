// Addresses no client can have: unspecified, "this network", broadcast, multicast, reserved. A ban of one is a
// mistake (or an attack on the operator's trust in the ban list), so it is refused with the reason.
import { ipToBytes } from './ip.js';
import { parseCidr } from './cidr.js';

/**
 * Why `ip` can never be a client's address, or null when it can (private and documentation ranges can). A network
 * (`224.0.0.0/16`) is judged by its base address: a ban network is never wider than /16 or /32 (MIN_BAN_PREFIX), so
 * it lies wholly inside or wholly outside each of these ranges (all /8 or wider, and 255.255.255.255 inside 240/4).
 * @example specialAddressReason('224.0.0.1') // 'it is a multicast address'; specialAddressReason('10.0.0.1') === null
 */
export function specialAddressReason(ip: string): string | null {
  const slash = ip.indexOf('/');
  const b = ipToBytes(slash < 0 ? ip : ip.slice(0, slash));
  if (!b) return null;
  let mapped = b[10] === 0xff && b[11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) if (b[i] !== 0) mapped = false;
  if (mapped) {
    const [a, x, y, z] = [b[12], b[13], b[14], b[15]];
    if (a === 0) return x === 0 && y === 0 && z === 0 ? 'it is the unspecified address' : 'it is in 0.0.0.0/8 ("this network")';
    if (a === 255 && x === 255 && y === 255 && z === 255) return 'it is the broadcast address';
    if (a >= 224 && a <= 239) return 'it is a multicast address (224.0.0.0/4)';
    if (a >= 240) return 'it is in the reserved 240.0.0.0/4';
    return null;
  }
  if (b.every((v) => v === 0)) return 'it is the unspecified address';
  if (b[0] === 0xff) return 'it is a multicast address (ff00::/8)';
  return null;
}

/**
 * A warning for an allow-list entry that covers every address of a family (nothing would ever be banned), or null.
 * @example allowlistWarning('0.0.0.0/0') // 'allow-list entry 0.0.0.0/0 covers every IPv4 address: nothing ...'
 */
export function allowlistWarning(entry: string): string | null {
  const c = parseCidr(entry.trim());
  if (!c || c.prefix !== 0) return null;
  return `allow-list entry ${c.text} covers every IPv${c.version} address: nothing from IPv${c.version} will ever be banned`;
}
