// The population estimator: log-histogram quantiles within 2.5% of exact ones, median/MAD, periodic refresh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogHistogram, PopulationEstimator, EMPTY_POPULATION } from '../../enforcer/core/population-stats.js';

function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

test('quantiles of a heavy-tailed population are within 2.5% of the exact ones', () => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const values: number[] = [];
  const h = new LogHistogram();
  for (let i = 0; i < 20000; i++) {
    const v = Math.ceil(Math.exp(rnd() * 8)); // 1 .. ~3000, log-uniform
    values.push(v);
    h.add(v);
  }
  values.sort((a, b) => a - b);
  for (const q of [0.5, 0.9, 0.99, 0.999]) {
    const exact = exactQuantile(values, q);
    const est = h.quantile(q);
    assert.ok(Math.abs(est - exact) / exact <= 0.025, `q${q}: ${est} vs ${exact}`);
  }
  assert.equal(h.max, values[values.length - 1]);
  assert.equal(h.count, 20000);
});

test('median and MAD: robust to a few huge clients', () => {
  const h = new LogHistogram();
  for (let i = 0; i < 100; i++) h.add(10 + (i % 5)); // 10..14
  h.add(100000);
  const s = h.snapshot();
  assert.ok(Math.abs(s.median - 12) / 12 < 0.025, `median ${s.median}`);
  assert.ok(s.mad <= 2.5 && s.mad >= 0.5, `mad ${s.mad}`);
  assert.equal(s.max, 100000);
  assert.equal(s.clients, 101);
  h.clear();
  assert.deepEqual(h.snapshot(), EMPTY_POPULATION);
  assert.equal(h.quantile(0.5), 0);
});

test('the estimator recomputes only when due (or forced)', () => {
  const p = new PopulationEstimator(5);
  let passes = 0;
  const feed = (add: (c: number) => void) => { passes++; for (let i = 1; i <= 100; i++) add(i); };
  assert.equal(p.refresh(1000, feed), true);
  assert.equal(p.refresh(1004, feed), false);
  assert.equal(p.refresh(1004, feed, true), true);
  assert.equal(p.refresh(1009, feed), true);
  assert.equal(passes, 3);
  assert.ok(Math.abs(p.snapshot.p99 - 99) / 99 < 0.025);
});
