// zOf and the population quantiles the rules share.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { zOf } from '../../../enforcer/core/rules/stats.js';
import { createPopulation } from '../../../enforcer/core/client-view.js';
import { ClientWindows } from '../../../enforcer/core/client-windows.js';
import { T, spread, windowsWith } from './helpers.js';

test('zOf: with no spread any rate above the mean is infinitely far', () => {
  assert.equal(zOf(4, { mean: 1, stddev: 0.5 }), 6);
  assert.equal(zOf(2, { mean: 1, stddev: 0 }), Infinity);
  assert.equal(zOf(1, { mean: 1, stddev: 0 }), 0);
});

test('population: quantiles of the clients\' sums per signal and window; empty gives 0', () => {
  const clients: Record<string, ReturnType<typeof spread>> = {};
  for (let i = 1; i <= 100; i++) clients[`10.0.0.${i}`] = spread(i, 60, (c) => [c, 0, 0, c > 0 ? 1 : 0, 0]);
  const p = createPopulation(windowsWith(clients), T);
  assert.equal(p.clients, 100);
  assert.equal(p.quantile(0), 1);
  assert.equal(p.quantile(0.5), 50);
  assert.equal(p.quantile(1), 100);
  // Short window (5 s): client i holds i - 55 * floor(i / 60) there (1..59, then 5..45): the 99th percentile is 58.
  assert.equal(p.quantile(0.99, 'total', 'short'), 58);
  // Auth failures: 1 for the 59 clients under 60 requests (one busy second), 60 for the others.
  assert.equal(p.quantile(0.5, 'auth'), 1);
  assert.equal(p.quantile(0.9, 'auth'), 60);
  assert.equal(p.quantile(0.5, 'probe'), 0, 'nobody probed');
  assert.equal(createPopulation(new ClientWindows(60, 5), T).quantile(0.5), 0);
});

test('population: above 20,000 clients a strided sample keeps the quantile close', () => {
  const w = new ClientWindows(60, 5);
  for (let i = 0; i < 50_000; i++) w.add(T - 1, `c${i}`, [1 + (i % 100)]);
  w.advance(T);
  const p = createPopulation(w, T);
  assert.ok(Math.abs(p.quantile(0.5) - 50) <= 2, String(p.quantile(0.5)));
  assert.ok(Math.abs(p.quantile(0.99) - 99) <= 2, String(p.quantile(0.99)));
});
