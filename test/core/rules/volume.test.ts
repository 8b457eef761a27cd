// Rule volume: alerts by default; a scraper far above the heavy clients over 10 min / 1 h is caught, a sync client
// among heavy clients is not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import volume, { volumeThresholds } from '../../../enforcer/core/rules/volume.js';
import { client, context, crowd, settingsOf, type Sums } from './rule-context.js';

const s = settingsOf(volume);

test('defaults: alert, floors 3 req/s over 10 min and 2 req/s over 1 h, 10 x q0.99', () => {
  assert.equal(volume.defaultMode, 'alert');
  assert.deepEqual(s, { floor10m: 3, floor1h: 2, quantile: 0.99, factor: 10 });
});

test('floors apply on a small site; the peer level on a busy one', () => {
  const small: Sums = { reader: { '10m': { total: 300 }, '1h': { total: 1200 } }, scraper: { '10m': { total: 2400 }, '1h': { total: 9000 } } };
  const c = context(small);
  assert.deepEqual(volumeThresholds(s, c), [1800, 7200]);
  assert.deepEqual(volume.judge(client(small, 'scraper'), c, s, 1), { value: 4, threshold: 3 });
  assert.equal(volume.judge(client(small, 'reader'), c, s, 1), null);
  // 300 clients at 1 req/s over the hour (q0.99 3,600): the level is 36,000 an hour, 10 req/s.
  const busy: Sums = { ...crowd(300, { '10m': { total: 600 }, '1h': { total: 3600 } }), sync: { '10m': { total: 2400 }, '1h': { total: 14400 } } };
  const b = context(busy);
  assert.deepEqual(volumeThresholds(s, b), [6000, 36000]);
  assert.equal(volume.judge(client(busy, 'sync'), b, s, 1), null);
});
