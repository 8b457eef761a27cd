// Prefix sums for the spread rule: /24 and /48 grouping, IPv6 prefix keys, cache, minimum clients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PrefixAggregator, prefixOf } from '../../enforcer/core/prefix-spread.js';

test('prefixOf: /24 for IPv4, /48 for IPv6 addresses and /64 keys; other widths; garbage is null', () => {
  assert.equal(prefixOf('203.0.113.9'), '203.0.113.0/24');
  assert.equal(prefixOf('2001:db8:1:2::/64'), '2001:db8:1::/48');
  assert.equal(prefixOf('2001:db8:1:2:3:4:5:6'), '2001:db8:1::/48');
  assert.equal(prefixOf('2001:db8::/32'), '2001:db8::/32'); // wider than /48 already
  assert.equal(prefixOf('203.0.113.9', 16, 56), '203.0.0.0/16');
  assert.equal(prefixOf('2001:db8:1:2ff::/64', 24, 56), '2001:db8:1:200::/56');
  assert.equal(prefixOf('nonsense'), null);
  assert.equal(prefixOf('2001:db8:zz::/64'), null);
});

test('aggregate sums clients per prefix and keeps prefixes with enough clients', () => {
  const agg = new PrefixAggregator();
  const feed = (add: (k: string, n: number) => void) => {
    for (let i = 1; i <= 50; i++) add(`198.51.100.${i}`, 40);
    add('203.0.113.5', 1000);
    add('2001:db8:7:1::/64', 300);
    add('2001:db8:7:2::/64', 300);
    add('10.0.0.1', 0); // nothing in the window: left out
  };
  const sums = agg.aggregate(feed, 2).sort((a, b) => a.key.localeCompare(b.key));
  assert.deepEqual(sums, [
    { key: '198.51.100.0/24', clients: 50, total: 2000 },
    { key: '2001:db8:7::/48', clients: 2, total: 600 },
  ]);
  // Again, from the cache: the same answer.
  assert.equal(agg.aggregate(feed, 1).length, 3);
});
