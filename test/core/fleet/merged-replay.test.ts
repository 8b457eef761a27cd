// "Same engine, same rules": the decider feeds each node's counts of a second separately (after the trip through the
// counts text); this gives exactly the decisions of one engine fed the merged traffic of the whole fleet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCounts, encodeCounts } from '../../../enforcer/core/fleet/counts-codec.js';
import type { Counts, Decision, SecondBucket } from '../../../enforcer/core/types.js';
import { pushAll } from '../../../enforcer/core/arrays.js';
import { prng } from '../../../bench/prng.js';
import { makeEngine } from '../helpers.js';

/** A second of fleet traffic: 300 background clients, a spread flood from 203.0.113.9 from second 400, split over 3 nodes. */
function fleetSecond(t: number, rand: () => number): SecondBucket[] {
  const nodes: SecondBucket[] = [0, 1, 2].map(() => ({ t, global: [0, 0, 0], ips: {} }));
  const add = (n: number, ip: string, c: Counts) => {
    const b = nodes[n];
    const cur = b.ips[ip] ?? [0, 0, 0];
    b.ips[ip] = [cur[0] + c[0], cur[1] + c[1], cur[2] + c[2]];
    for (let i = 0; i < 3; i++) b.global[i] = (b.global[i] ?? 0) + (c[i] ?? 0);
  };
  for (let i = 0; i < 300; i++) if (rand() < 0.3) add(Math.floor(rand() * 3), `198.51.100.${i % 250}`, [1, rand() < 0.1 ? 1 : 0, 0]);
  if (t >= 400 && t < 460) for (let n = 0; n < 3; n++) add(n, '203.0.113.9', [12, 0, 0]);
  if (t >= 430 && t < 470) for (let n = 0; n < 3; n++) add(n, '192.0.2.77', [6, 4, 0]);
  return nodes;
}

function merge(parts: SecondBucket[]): SecondBucket {
  const out: SecondBucket = { t: parts[0].t, global: [0, 0, 0], ips: {} };
  for (const p of parts) {
    for (let i = 0; i < 3; i++) out.global[i] = (out.global[i] ?? 0) + (p.global[i] ?? 0);
    for (const [ip, c] of Object.entries(p.ips)) {
      const cur = out.ips[ip] ?? [0, 0, 0];
      out.ips[ip] = [cur[0] + c[0], (cur[1] ?? 0) + (c[1] ?? 0), (cur[2] ?? 0) + (c[2] ?? 0)];
    }
  }
  return out;
}

const summary = (ds: Decision[]) => ds.filter((d) => d.kind === 'ban' || d.kind === 'unban' || d.kind === 'global_alert')
  .map((d) => JSON.stringify(d));

test('per-node ingest through the counts text == one engine on the merged traffic (bans, unbans, alerts, every second)', () => {
  const cfg = { detection: { window: 10, max_ip_rate: 30 }, bans: { ladder: ['60s', '120s'] } };
  const fleet = makeEngine(cfg);
  const single = makeEngine(cfg);
  const rand = prng(7);
  const out: { fleet: string[]; single: string[] } = { fleet: [], single: [] };
  for (let t = 0; t < 700; t++) {
    const parts = fleetSecond(t, rand);
    fleet.ingest(parts.map((p) => decodeCounts(t, encodeCounts(p)).bucket));
    single.ingest([merge(parts)]);
    pushAll(out.fleet, summary(fleet.tick(t + 1)));
    pushAll(out.single, summary(single.tick(t + 1)));
  }
  assert.deepEqual(out.fleet, out.single);
  const bans = out.single.filter((s) => s.includes('"kind":"ban"'));
  assert.ok(bans.some((s) => s.includes('203.0.113.9')), 'the spread flood (36 req/s over the fleet, 12 per node) is banned');
  assert.ok(!bans.some((s) => s.includes('198.51.100.')), 'no background client banned');
});
