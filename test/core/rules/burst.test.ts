// Rule burst: a flood is over the threshold in its first second; page loads, and a busy site's heavy clients, never.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import burst, { burstThreshold } from '../../../enforcer/core/rules/burst.js';
import { client, context, crowd, settingsOf, type Sums } from './rule-context.js';

const s = settingsOf(burst);

test('defaults: 30 req/s over the short window (150 requests in 5 s), 4 x the clients q0.999', () => {
  assert.deepEqual(s, { floor: 30, quantile: 0.999, factor: 4 });
});

test('a flood of 200 req/s is over the threshold after its first second; a page load with 30 assets is not', () => {
  const sums: Sums = {
    ...crowd(50, { short: { total: 2 }, main: { total: 24 } }),
    '203.0.113.66': { short: { total: 200 }, main: { total: 200 } },
    '198.51.100.7': { short: { total: 31 }, main: { total: 31 } }, // a page and 30 assets
    '198.51.100.8': { short: { total: 93 }, main: { total: 93 } }, // three page loads in 5 s
  };
  const ctx = context(sums);
  assert.equal(burstThreshold(s, ctx), 150);
  assert.deepEqual(burst.judge(client(sums, '203.0.113.66'), ctx, s, 1), { value: 40, threshold: 30 });
  assert.equal(burst.judge(client(sums, '198.51.100.7'), ctx, s, 1), null);
  assert.equal(burst.judge(client(sums, '198.51.100.8'), ctx, s, 1), null);
  // The gate lets exactly the clients above 150 through.
  assert.deepEqual(burst.gates(s, ctx, 1).map((g) => [g.signal, g.window]), [['total', 'short']]);
  assert.ok(burst.gates(s, ctx, 1)[0].min <= 150 && burst.gates(s, ctx, 1)[0].min > 149);
});

test('on a site whose clients are all heavy the threshold follows them; the top two clients never raise their own', () => {
  // 1,000 API clients at 40-60 requests per 5 s each (8-12 req/s).
  const sums: Sums = {};
  for (let i = 0; i < 1000; i++) sums[`10.1.${i >> 8}.${i & 255}`] = { short: { total: 40 + (i % 21) } };
  const ctx = context(sums);
  assert.equal(burstThreshold(s, ctx), 240); // 4 x 60
  // Two flooders cannot lift the level: it is taken below the top two.
  const flooded: Sums = { ...sums, a: { short: { total: 5000 } }, b: { short: { total: 5000 } } };
  assert.equal(burstThreshold(s, context(flooded)), 240);
  assert.deepEqual(burst.judge(client(flooded, 'a'), context(flooded), s, 1), { value: 1000, threshold: 48 });
  // A tiny site: three clients, one flooding: the floor is the threshold.
  const tiny: Sums = { x: { short: { total: 3 } }, y: { short: { total: 5 } }, z: { short: { total: 600 } } };
  assert.equal(burstThreshold(s, context(tiny)), 150);
});
