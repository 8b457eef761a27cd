// Rule burst: a flood is over the threshold in its first second; page loads, and a busy site's heavy clients, never.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import burst, { burstThreshold } from '../../../enforcer/core/rules/burst.js';
import { client, context, crowd, settingsOf, type Sums } from './rule-context.js';

const s = settingsOf(burst);

test('defaults: 75 req/s over the short window (150 requests in 2 s), 4 x the clients q0.99 rate', () => {
  assert.deepEqual(s, { floor: 75, quantile: 0.99, factor: 4 });
});

test('a flood of 200 req/s is over the threshold after its first second; page loads of 90 assets are not', () => {
  const sums: Sums = {
    ...crowd(50, { short: { total: 2 }, main: { total: 24 } }),
    '203.0.113.66': { short: { total: 200 }, main: { total: 200 } },
    '2001:db8:1:2::/64': { short: { total: 200 }, main: { total: 400 } }, // a /64 rotating addresses at 100 req/s
    '198.51.100.7': { short: { total: 91 }, main: { total: 91 } }, // a page and 90 assets in 1.5 s
    '198.51.100.8': { short: { total: 121 }, main: { total: 182 } }, // two such pages back to back: at most 121 in 2 s
  };
  const ctx = context(sums);
  assert.equal(burstThreshold(s, ctx), 150);
  assert.deepEqual(burst.judge(client(sums, '203.0.113.66'), ctx, s, 1), { value: 100, threshold: 75 });
  assert.deepEqual(burst.judge(client(sums, '2001:db8:1:2::/64'), ctx, s, 1), { value: 100, threshold: 75 });
  assert.equal(burst.judge(client(sums, '198.51.100.7'), ctx, s, 1), null);
  assert.equal(burst.judge(client(sums, '198.51.100.8'), ctx, s, 1), null);
  // The gate lets exactly the clients above 150 through.
  const [gate] = burst.gates(s, ctx, 1);
  assert.deepEqual([gate.signal, gate.window], ['total', 'short']);
  assert.ok(gate.min <= 150 && gate.min > 149);
});

test('on a site whose clients are all heavy the threshold follows them; the top two clients never raise their own', () => {
  // 1,000 API clients at 20-30 req/s each (1,200-1,800 a minute): q0.99 1,800 a minute, 60 per 2 s, x4 = 240.
  const sums: Sums = {};
  for (let i = 0; i < 1000; i++) sums[`10.1.${i >> 8}.${i & 255}`] = { main: { total: 1200 + 30 * (i % 21) }, short: { total: 50 } };
  const ctx = context(sums);
  assert.equal(burstThreshold(s, ctx), 240);
  // Two flooders cannot lift the level: it is taken below the top two.
  const flooded: Sums = { ...sums, a: { main: { total: 50000 }, short: { total: 5000 } }, b: { main: { total: 50000 }, short: { total: 5000 } } };
  assert.equal(burstThreshold(s, context(flooded)), 240);
  assert.deepEqual(burst.judge(client(flooded, 'a'), context(flooded), s, 1), { value: 2500, threshold: 120 });
  // A tiny site: three clients, one flooding: the floor is the threshold.
  const tiny: Sums = { x: { main: { total: 3 } }, y: { main: { total: 5 } }, z: { main: { total: 600 }, short: { total: 600 } } };
  assert.equal(burstThreshold(s, context(tiny)), 150);
});
