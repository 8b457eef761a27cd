// A recorded traffic sample for the fleet bench: per node, a few seconds of counts of 10,000 clients each (each node
// its own clients, as a load balancer hashing by address gives), encoded once as the nodes publish them.
import { encodeCounts } from '../../enforcer/core/fleet/counts-codec.js';
import type { Counts } from '../../enforcer/core/types.js';
import { prng } from '../prng.js';

/**
 * `seconds` encoded buckets for node `n` (0-based): `clients` addresses in 10.n.x.y, 1-4 requests each, some errors.
 * @example const texts = recordNode(0, 10_000, 5); // publish texts[sec % 5] every second
 */
export function recordNode(n: number, clients: number, seconds: number): string[] {
  const rand = prng(1000 + n);
  const out: string[] = [];
  for (let s = 0; s < seconds; s++) {
    const ips: Record<string, Counts> = {};
    let total = 0;
    let c4 = 0;
    for (let i = 0; i < clients; i++) {
      const r = 1 + Math.floor(rand() * rand() * 4);
      const e = rand() < 0.05 ? 1 : 0;
      ips[`10.${n}.${(i >> 8) & 255}.${i & 255}`] = [r, e, 0];
      total += r;
      c4 += e;
    }
    out.push(encodeCounts({ t: 0, global: [total, c4, 0], ips }));
  }
  return out;
}
