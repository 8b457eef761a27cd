// Rule population: a client far above its peers' 60 s requests (and above 20 req/s) is caught; heavy real clients are not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import population, { populationThreshold } from '../../../enforcer/core/rules/population.js';
import { client, context, crowd, settingsOf, type Sums } from './rule-context.js';

const s = settingsOf(population);

test('defaults: floor 20 req/s over the window, 10 x the clients q0.99', () => {
  assert.deepEqual(s, { floor: 20, quantile: 0.99, factor: 10 });
});

test('quiet site: a reader with 160 requests in a minute, an office NAT at 13 req/s: under the floor (1,200 a minute)', () => {
  const sums: Sums = { ...crowd(5, { main: { total: 10 } }), reader: { main: { total: 160 } }, office: { main: { total: 780 } } };
  const ctx = context(sums);
  assert.equal(populationThreshold(s, ctx), 1200);
  assert.equal(population.judge(client(sums, 'reader'), ctx, s, 1), null);
  assert.equal(population.judge(client(sums, 'office'), ctx, s, 1), null);
});

test('busy API: the level follows the clients (q0.99 at 300 a minute: 3,000); a client 15x the others is caught', () => {
  const sums: Sums = {
    ...crowd(200, { main: { total: 300 } }),
    heavy: { main: { total: 2400 } },
    scraper: { main: { total: 4500 } },
  };
  const ctx = context(sums);
  assert.equal(populationThreshold(s, ctx), 3000);
  assert.deepEqual(population.judge(client(sums, 'scraper'), ctx, s, 1), { value: 75, threshold: 50 });
  assert.equal(population.judge(client(sums, 'heavy'), ctx, s, 1), null);
  // Tightened (error surge): half the threshold.
  assert.deepEqual(population.judge(client(sums, 'heavy'), ctx, s, 0.5), { value: 40, threshold: 25 });
  // Under min_requests nothing fires whatever the threshold.
  assert.equal(population.judge(client({ a: { main: { total: 9 } } }, 'a'), context({}), { ...s, floor: 0.01 }, 1), null);
});
