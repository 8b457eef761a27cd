// hostAddresses reads the real interfaces: loopback is always there, everything comes back normalised.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostAddresses } from '../../enforcer/net/host-addresses.js';
import { normaliseIp } from '../../enforcer/net/ip.js';

test('hostAddresses lists this host\'s addresses, normalised and unique', () => {
  const list = hostAddresses();
  assert.ok(list.includes('127.0.0.1'), list.join(', '));
  for (const a of list) assert.equal(normaliseIp(a), a);
  assert.equal(new Set(list).size, list.length);
});
