// Unit tests of clientKey: the key an nginx client is counted, judged and banned under.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientKey } from '../../enforcer/net/client-key.js';

test('clientKey: IPv4 and mapped IPv6 stay addresses, IPv6 becomes its /64', () => {
  assert.equal(clientKey('203.0.113.9', 64), '203.0.113.9');
  assert.equal(clientKey('::ffff:203.0.113.9', 64), '203.0.113.9');
  assert.equal(clientKey('::FFFF:cb00:7109', 48), '203.0.113.9');
  assert.equal(clientKey('2001:DB8:1:2:aaaa:bbbb:cccc:dddd', 64), '2001:db8:1:2::/64');
  assert.equal(clientKey('2001:db8:1:2::', 64), '2001:db8:1:2::/64');
  assert.equal(clientKey('2001:0db8:0000:0001:0000:0000:0000:0001', 64), '2001:db8:0:1::/64');
  assert.equal(clientKey('2001:db8:1:2:3:4:5:6', 48), '2001:db8:1::/48');
  assert.equal(clientKey('2001:db8:1:2:3:4:5:6', 56), '2001:db8:1::/56');
  assert.equal(clientKey('2001:db8:1:2ff:3:4:5:6', 56), '2001:db8:1:200::/56');
  assert.equal(clientKey('2001:db8:1:2:3:4:5:6', 128), '2001:db8:1:2:3:4:5:6');
  assert.equal(clientKey('2001:DB8::1', 128), '2001:db8::1');
  assert.equal(clientKey('::1', 64), '::/64');
  assert.equal(clientKey('fe80::1', 1), '8000::/1');
});

test('clientKey: two addresses of one /64 share a key, another /64 does not', () => {
  const a = clientKey('2001:db8:1:2::1', 64);
  assert.equal(clientKey('2001:db8:1:2:ffff:ffff:ffff:ffff', 64), a);
  assert.notEqual(clientKey('2001:db8:1:3::1', 64), a);
});

test('clientKey: null for anything that is not one address', () => {
  for (const bad of ['', 'nope', '2001:db8::/64', '10.0.0.0/8', 'fe80::1%eth0', '1.2.3.4:80', '[::1]', 'unix:', ' 10.0.0.1']) {
    assert.equal(clientKey(bad, 64), null, `accepted ${JSON.stringify(bad)}`);
  }
});
