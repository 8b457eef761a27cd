// Unit tests of IP normalisation, versions, 16-byte keys and loopback detection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normaliseIp, ipVersion, ipToBytes, ipKey, isLoopback } from '../../enforcer/net/ip.js';

test('normaliseIp keeps canonical IPv4 and IPv6', () => {
  assert.equal(normaliseIp('203.0.113.9'), '203.0.113.9');
  assert.equal(normaliseIp('0.0.0.0'), '0.0.0.0');
  assert.equal(normaliseIp('255.255.255.255'), '255.255.255.255');
  assert.equal(normaliseIp('2001:db8::1'), '2001:db8::1');
  assert.equal(normaliseIp('::1'), '::1');
  assert.equal(normaliseIp('::'), '::');
});

test('normaliseIp compresses IPv6 per RFC 5952', () => {
  assert.equal(normaliseIp('2001:DB8:0000:0000:0000:0000:0000:0001'), '2001:db8::1');
  assert.equal(normaliseIp('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1'); // first of equal runs
  assert.equal(normaliseIp('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1'); // a single zero group stays
  assert.equal(normaliseIp('2001:0:0:1:0:0:0:1'), '2001:0:0:1::1'); // the longest run wins
  assert.equal(normaliseIp('1:2:3:4:5:6:7::'), '1:2:3:4:5:6:7:0');
  assert.equal(normaliseIp('FE80::0001'), 'fe80::1');
  assert.equal(normaliseIp('::ffff:0:1.2.3.4'), '::ffff:0:102:304'); // IPv4-translated is not mapped
});

test('normaliseIp turns IPv4-mapped IPv6 into IPv4', () => {
  assert.equal(normaliseIp('::ffff:10.0.0.1'), '10.0.0.1');
  assert.equal(normaliseIp('::FFFF:a00:1'), '10.0.0.1');
  assert.equal(normaliseIp('0:0:0:0:0:ffff:192.168.1.2'), '192.168.1.2');
});

test('normaliseIp rejects everything that is not exactly one address', () => {
  for (const bad of [
    '', ' ', '999.1.1.1', '256.0.0.1', '1.2.3', '1.2.3.4.5', '1.2.3.4/99', '1.2.3.4/32', '01.2.3.4', '1.2.3.010',
    '1.2.3.4 ', ' 1.2.3.4', '1.2.3.4:80', '[::1]', 'fe80::1%eth0', 'fe80::1%1', '1::2::3', ':1', '1:', '12345::1',
    '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7:8::', 'g::1', '::1.2.3', '::1.2.3.4.5', '1.2.3.4::', 'localhost', '0x7f.0.0.1',
    '1e2.0.0.1', '-1.0.0.0', '::ffff:999.0.0.1',
  ]) {
    assert.equal(normaliseIp(bad), null, `accepted ${JSON.stringify(bad)}`);
  }
  assert.equal(normaliseIp(undefined as unknown as string), null);
});

test('ipVersion', () => {
  assert.equal(ipVersion('1.2.3.4'), 4);
  assert.equal(ipVersion('::ffff:1.2.3.4'), 4);
  assert.equal(ipVersion('2001:db8::'), 6);
  assert.equal(ipVersion('1.2.3.4/8'), null);
});

test('ipToBytes and ipKey use the IPv6-mapped 16-byte space and sort like addresses', () => {
  assert.deepEqual([...ipToBytes('1.2.3.4')!], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 1, 2, 3, 4]);
  assert.equal(ipKey('1.2.3.4'), '00000000000000000000ffff01020304');
  assert.equal(ipKey('::ffff:1.2.3.4'), ipKey('1.2.3.4'));
  assert.equal(ipKey('2001:db8::1'), '20010db8000000000000000000000001');
  assert.equal(ipKey('::1').length, 32);
  const sorted = ['10.0.0.2', '9.255.255.255', '10.0.0.10', '::1', '2001:db8::1', '255.255.255.255'].map(ipKey).sort();
  assert.deepEqual(sorted, ['::1', '9.255.255.255', '10.0.0.2', '10.0.0.10', '255.255.255.255', '2001:db8::1'].map(ipKey));
  assert.throws(() => ipKey('nope'), /not an IP address/);
  assert.equal(ipToBytes('999.0.0.1'), null);
});

test('isLoopback', () => {
  assert.equal(isLoopback('127.0.0.1'), true);
  assert.equal(isLoopback('127.255.0.9'), true);
  assert.equal(isLoopback('::1'), true);
  assert.equal(isLoopback('::ffff:127.0.0.1'), true);
  assert.equal(isLoopback('128.0.0.1'), false);
  assert.equal(isLoopback('::2'), false);
  assert.equal(isLoopback('::'), false);
  assert.equal(isLoopback('garbage'), false);
});
