// The allow-list policy (enforcer/core/allow-list.ts): what it holds, in which order, and what its matcher covers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allowEntries, allowMatcher, runtimeAllowEntry, selfEntries } from '../../enforcer/core/allow-list.js';
import { buildMatcher } from '../../enforcer/net/cidr.js';

test('the allow-list is loopback, this host, the config file, then the API entries, each with its source', () => {
  const entries = allowEntries({
    selfAddrs: ['192.0.2.1', '2001:db8::1'], configured: ['198.51.100.0/24'],
    added: [{ cidr: '203.0.113.7', note: 'office', created_at: 1, created_by: 'admin' }],
  });
  assert.deepEqual(entries.map((e) => [e.cidr, e.source]), [
    ['127.0.0.0/8', 'builtin'], ['::1/128', 'builtin'], ['192.0.2.1', 'builtin'], ['2001:db8::1', 'builtin'],
    ['198.51.100.0/24', 'config'], ['203.0.113.7', 'api'],
  ]);
  assert.equal(entries[5].note, 'office');
  assert.equal(entries[5].created_by, 'admin');
});

test('the matcher covers loopback even with nothing configured, and every kind of entry', () => {
  const none = allowMatcher({ selfAddrs: [], configured: [] });
  assert.equal(none('127.0.0.1'), true);
  assert.equal(none('127.255.0.9'), true);
  assert.equal(none('::1'), true);
  assert.equal(none('203.0.113.7'), false);
  const some = allowMatcher({ selfAddrs: ['192.0.2.1'], configured: ['198.51.100.0/24'], added: [{ cidr: '2001:db8:5::/48', note: '' }] });
  assert.equal(some('192.0.2.1'), true);
  assert.equal(some('192.0.2.2'), false);
  assert.equal(some('198.51.100.200'), true);
  assert.equal(some('2001:db8:5:1::9'), true);
  assert.equal(some('2001:db8:6::9'), false);
});

test('selfEntries are loopback and the host addresses: what a manual ban may never cover', () => {
  assert.deepEqual(selfEntries(['192.0.2.1']), ['127.0.0.0/8', '::1/128', '192.0.2.1']);
});

test('a runtime entry: canonical, and never wider than /8 (IPv4) or /16 (IPv6): 0.0.0.0/0 and ::/0 refused with the reason', () => {
  assert.deepEqual(runtimeAllowEntry(' 203.0.113.9 '), { ok: true, cidr: '203.0.113.9/32' });
  assert.deepEqual(runtimeAllowEntry('198.51.100.77/24'), { ok: true, cidr: '198.51.100.0/24' });
  assert.deepEqual(runtimeAllowEntry('10.0.0.0/8'), { ok: true, cidr: '10.0.0.0/8' });
  assert.deepEqual(runtimeAllowEntry('2001:DB8::/16'), { ok: true, cidr: '2001::/16' });
  for (const [raw, re] of [
    ['0.0.0.0/0', /0\.0\.0\.0\/0 is wider than \/8: .*every IPv4 address.*config file/],
    ['::/0', /::\/0 is wider than \/16: .*every IPv6 address/],
    ['0.0.0.0/1', /wider than \/8: .*a large part of the Internet/],
    ['128.0.0.0/1', /wider than \/8/],
    ['2000::/3', /wider than \/16/],
    ['1.2.3.4/33', /must be an IP address or CIDR/],
    ['', /must be an IP address or CIDR/],
    ['x'.repeat(1000), /must be an IP address or CIDR, got `x{64}`$/],
  ] as Array<[string, RegExp]>) {
    const r = runtimeAllowEntry(raw);
    assert.equal(r.ok, false, raw.slice(0, 20));
    if (!r.ok) assert.match(r.error, re);
  }
  assert.equal(runtimeAllowEntry(null as unknown as string).ok, false);
});

test('a runtime IPv6 entry holding the IPv4-mapped range is refused (it would allow every IPv4 client)', () => {
  for (const raw of ['::/16', '::/17', '::/80', '::fffe:0:0/95', '0:0:0:0:0:ffff::/95']) {
    const r = runtimeAllowEntry(raw);
    assert.equal(r.ok, false, raw);
    if (!r.ok) assert.match(r.error, /IPv4-mapped range|wider than/, raw);
  }
  const wide = buildMatcher(['::/16']);
  assert.equal(wide('203.0.113.9'), true, 'why it matters: the matcher checks IPv4 clients in the mapped range');
  for (const raw of ['2001:db8::/32', '::1/128', '64:ff9b::/96', '::/95']) assert.equal(runtimeAllowEntry(raw).ok, true, raw);
});
