// Rule population: a client far above its peers' 60 s requests (and above 5 req/s) is caught; heavy real clients are not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import population, { populationThreshold } from '../../../enforcer/core/rules/population.js';
import { client, context, crowd, settingsOf, type Sums } from './rule-context.js';

const s = settingsOf(population);

test('defaults: floor 5 req/s over the window, 10 x the clients q0.99', () => {
  assert.deepEqual(s, { floor: 5, quantile: 0.99, factor: 10 });
});

test('quiet site: a reader with 160 requests in a minute is not over the floor (300 a minute)', () => {
  const sums: Sums = { ...crowd(5, { main: { total: 10 } }), reader: { main: { total: 160 } } };
  const ctx = context(sums);
  assert.equal(populationThreshold(s, ctx), 300);
  assert.equal(population.judge(client(sums, 'reader'), ctx, s, 1), null);
});

test('busy site: a 15 req/s client among 200 readers (q0.99 at 60 a minute) is caught; a sync client at 4 req/s is not', () => {
  const sums: Sums = {
    ...crowd(200, { main: { total: 60 } }),
    sync: { main: { total: 240 } },
    scraper: { main: { total: 900 } },
  };
  const ctx = context(sums);
  assert.equal(populationThreshold(s, ctx), 600);
  assert.deepEqual(population.judge(client(sums, 'scraper'), ctx, s, 1), { value: 15, threshold: 10 });
  assert.equal(population.judge(client(sums, 'sync'), ctx, s, 1), null);
  // Tightened (error surge): half the threshold.
  assert.deepEqual(population.judge(client(sums, 'scraper'), ctx, s, 0.5), { value: 15, threshold: 5 });
  // Under min_requests nothing fires whatever the threshold.
  assert.equal(population.judge(client({ a: { main: { total: 9 } } }, 'a'), context({}), { ...s, floor: 0.01 }, 1), null);
});
