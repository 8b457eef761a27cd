// Prefixes for the spread rule: /24 and /48 of addresses and of IPv6 prefix keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prefixOf } from '../../enforcer/core/prefix-spread.js';

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
