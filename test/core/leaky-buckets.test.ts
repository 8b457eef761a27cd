// Per-client leaky buckets: fill by events, leak steadily, overflow above a capacity; only non-empty buckets held.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LeakyBuckets } from '../../enforcer/core/leaky-buckets.js';

test('a bucket fills with events and leaks at its rate', () => {
  const b = new LeakyBuckets(0.1);
  assert.equal(b.add('a', 1000, 6), 6);
  assert.equal(b.level('a', 1010), 5);
  assert.equal(b.add('a', 1010, 2), 7);
  assert.equal(b.level('a', 1080), 0);
  assert.equal(b.level('nobody', 1000), 0);
});

test('late counts for an earlier second add without leaking backwards', () => {
  const b = new LeakyBuckets(1);
  b.add('a', 1005, 3);
  assert.equal(b.add('a', 1003, 2), 5);
  assert.equal(b.level('a', 1006), 4);
});

test('forEachOver reports clients above a level; prune forgets empty buckets; clear empties one', () => {
  const b = new LeakyBuckets(0.5);
  b.add('slow', 1000, 1);
  b.add('fast', 1000, 10);
  const over: string[] = [];
  b.forEachOver(1000, 5, (k, level) => over.push(`${k}:${level}`));
  assert.deepEqual(over, ['fast:10']);
  b.prune(1004);
  assert.equal(b.size, 1);
  b.clear('fast');
  assert.equal(b.size, 0);
});
