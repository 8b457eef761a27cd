// Unit tests of CIDR parsing, allow-list matchers and key ranges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseCidr, cidrRange, buildMatcher, normaliseBanKey, banKeyProblem, cidrContains, cidrOverlaps, banKeyParts, coveringKeys, cidrEnds,
} from '../../enforcer/net/cidr.js';
import { ipKey } from '../../enforcer/net/ip.js';

test('parseCidr: networks, plain addresses, host bits cleared', () => {
  const a = parseCidr('10.1.2.3/8')!;
  assert.equal(a.version, 4);
  assert.deepEqual([...a.base], [10, 0, 0, 0]);
  assert.equal(a.prefix, 8);
  assert.equal(a.text, '10.0.0.0/8');
  assert.equal(parseCidr('1.2.3.4')!.text, '1.2.3.4/32');
  assert.equal(parseCidr('2001:DB8::1')!.text, '2001:db8::1/128');
  assert.equal(parseCidr('2001:db8:ffff::/32')!.text, '2001:db8::/32');
  assert.equal(parseCidr('0.0.0.0/0')!.text, '0.0.0.0/0');
  assert.equal(parseCidr('::/0')!.text, '::/0');
  assert.equal(parseCidr('::ffff:10.0.0.0/104')!.text, '10.0.0.0/8');
  assert.equal(parseCidr('10.0.0.0/31')!.prefix, 31);
});

test('parseCidr rejects bad input', () => {
  for (const bad of ['', '1.2.3.4/99', '1.2.3.4/33', '::/129', '1.2.3.4/', '1.2.3.4/08', '1.2.3.4/-1', '999.1.1.1/8', 'x/8', '10.0.0.0/8/8', 'fe80::1%eth0/64']) {
    assert.equal(parseCidr(bad), null, `accepted ${JSON.stringify(bad)}`);
  }
});

test('buildMatcher matches IPv4 and IPv6 networks and never invalid input', () => {
  const m = buildMatcher(['127.0.0.0/8', '::1', '10.20.0.0/16', '2001:db8:abcd::/48', '192.0.2.7', ' 198.51.100.0/25 ']);
  assert.equal(m('127.0.0.1'), true);
  assert.equal(m('10.20.255.1'), true);
  assert.equal(m('10.21.0.1'), false);
  assert.equal(m('192.0.2.7'), true);
  assert.equal(m('192.0.2.8'), false);
  assert.equal(m('198.51.100.127'), true);
  assert.equal(m('198.51.100.128'), false);
  assert.equal(m('::1'), true);
  assert.equal(m('::2'), false);
  assert.equal(m('2001:db8:abcd:1::9'), true);
  assert.equal(m('2001:DB8:ABCD::'), true);
  assert.equal(m('2001:db8:abce::1'), false);
  assert.equal(m('::ffff:10.20.1.1'), true);
  assert.equal(m('010.20.1.1'), false);
  assert.equal(m('10.20.1.999'), false);
  assert.equal(m(''), false);
  assert.equal(m('nonsense'), false);
  assert.equal(buildMatcher([])('1.2.3.4'), false);
  assert.equal(buildMatcher(['0.0.0.0/0'])('8.8.8.8'), true);
  assert.equal(buildMatcher(['0.0.0.0/0'])('2001:db8::1'), false);
  assert.equal(buildMatcher(['::/0'])('2001:db8::1'), true);
});

test('buildMatcher throws at build time naming the bad entry', () => {
  assert.throws(() => buildMatcher(['10.0.0.0/8', '10.0.0.0/40']), /"10\.0\.0\.0\/40"/);
  assert.throws(() => buildMatcher(['example.com']), /allow-list entry "example\.com" is not an IP address or CIDR/);
});

test('buildMatcher with hundreds of networks answers each address right (speed is measured in bench/engine, not here)', () => {
  const m = buildMatcher(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '2001:db8::/32', ...Array.from({ length: 200 }, (_, i) => `203.0.${i}.0/24`)]);
  let hits = 0;
  for (let i = 0; i < 256 * 128; i++) if (m(`203.0.${i & 255}.${i & 127}`)) hits++;
  assert.equal(hits, 200 * 128, 'exactly the addresses in 203.0.0.0/24 .. 203.0.199.0/24');
  assert.equal(m('2001:db8:ffff::1'), true);
  assert.equal(m('2001:db9::1'), false);
});

test('cidrRange gives the first and last key of a network', () => {
  assert.deepEqual(cidrRange('10.0.0.0/8'), { lo: '00000000000000000000ffff0a000000', hi: '00000000000000000000ffff0affffff' });
  assert.deepEqual(cidrRange('1.2.3.4'), { lo: ipKey('1.2.3.4'), hi: ipKey('1.2.3.4') });
  const r = cidrRange('2001:db8::/32');
  assert.equal(r.lo, '20010db8000000000000000000000000');
  assert.equal(r.hi, '20010db8ffffffffffffffffffffffff');
  const r6 = cidrRange('2001:db8::/33');
  assert.equal(r6.hi, '20010db87fffffffffffffffffffffff');
  const k = ipKey('10.200.3.4');
  const { lo, hi } = cidrRange('10.0.0.0/8');
  assert.ok(lo <= k && k <= hi);
  assert.ok(!(lo <= ipKey('11.0.0.0') && ipKey('11.0.0.0') <= hi));
  assert.throws(() => cidrRange('1.2.3.4/40'), /not an IP address or CIDR/);
});

test('normaliseBanKey: addresses and networks in canonical form, full-length networks as addresses', () => {
  assert.equal(normaliseBanKey('2001:DB8:1:2::9/64'), '2001:db8:1:2::/64');
  assert.equal(normaliseBanKey('203.0.113.77/24'), '203.0.113.0/24');
  assert.equal(normaliseBanKey('10.0.0.1/32'), '10.0.0.1');
  assert.equal(normaliseBanKey('2001:db8::1/128'), '2001:db8::1');
  assert.equal(normaliseBanKey('::ffff:203.0.113.0/120'), '203.0.113.0/24');
  assert.equal(normaliseBanKey('::FFFF:10.0.0.1'), '10.0.0.1');
  assert.equal(normaliseBanKey('0.0.0.0/0'), '0.0.0.0/0');
  for (const bad of ['', 'x', '1.2.3.4/33', '2001:db8::/129', '10.0.0.0/8/8', ' 10.0.0.1']) assert.equal(normaliseBanKey(bad), null, bad);
});

test('banKeyProblem refuses 0.0.0.0/0, ::/0 and other absurdly wide networks', () => {
  assert.match(banKeyProblem('0.0.0.0/0')!, /refusing to ban 0\.0\.0\.0\/0: an IPv4 prefix must be \/16 or longer/);
  assert.match(banKeyProblem('::/0')!, /refusing to ban ::\/0: an IPv6 prefix must be \/32 or longer/);
  assert.match(banKeyProblem('10.0.0.0/8')!, /\/16 or longer/);
  assert.match(banKeyProblem('2001::/16')!, /\/32 or longer/);
  for (const ok of ['10.0.0.0/16', '203.0.113.0/24', '2001:db8::/32', '2001:db8:1:2::/64', '10.0.0.1', '2001:db8::1']) {
    assert.equal(banKeyProblem(ok), null, ok);
  }
});

test('cidrContains and cidrOverlaps, across addresses, networks and families', () => {
  assert.equal(cidrContains('2001:db8:1:2::/64', '2001:db8:1:2::77'), true);
  assert.equal(cidrContains('2001:db8:1:2::/64', '2001:db8:1:3::1'), false);
  assert.equal(cidrContains('2001:db8::/32', '2001:db8:1:2::/64'), true);
  assert.equal(cidrContains('2001:db8:1:2::/64', '2001:db8::/32'), false);
  assert.equal(cidrContains('10.0.0.0/24', '10.0.0.255'), true);
  assert.equal(cidrContains('10.0.0.0/24', '10.0.1.0'), false);
  assert.equal(cidrContains('10.0.0.0/24', '::ffff:10.0.0.5'), true);
  assert.equal(cidrContains('10.0.0.1', '10.0.0.1'), true);
  assert.equal(cidrContains('::/0', '10.0.0.1'), true);
  assert.equal(cidrContains('10.0.0.0/24', 'nope'), false);
  assert.equal(cidrOverlaps('10.0.0.0/8', '10.1.0.0/16'), true);
  assert.equal(cidrOverlaps('10.1.0.0/16', '10.0.0.0/8'), true);
  assert.equal(cidrOverlaps('10.0.0.0/24', '10.0.1.0/24'), false);
  assert.equal(cidrOverlaps('2001:db8:1:2::/64', '2001:db8:1:2::1'), true);
  assert.equal(cidrOverlaps('2001:db8:1:2::/64', '10.0.0.0/8'), false);
});

test('banKeyParts keeps a network and its base address apart; coveringKeys lists every network holding an address', () => {
  assert.deepEqual(banKeyParts('2001:db8:1:2::'), { ipKey: '20010db8000100020000000000000000', prefixLen: 128 });
  assert.deepEqual(banKeyParts('2001:db8:1:2::/64'), { ipKey: '20010db8000100020000000000000000', prefixLen: 64 });
  assert.deepEqual(banKeyParts('2001:db8:1:2::5/128'), { ipKey: ipKey('2001:db8:1:2::5'), prefixLen: 128 });
  assert.deepEqual(banKeyParts('10.0.0.0/24'), { ipKey: '00000000000000000000ffff0a000000', prefixLen: 120 });
  assert.deepEqual(banKeyParts('10.0.0.1'), { ipKey: ipKey('10.0.0.1'), prefixLen: 128 });
  assert.throws(() => banKeyParts('nope'), /not an IP address or CIDR/);
  const has = (list: Array<{ ipKey: string; prefixLen: number }>, key: string) => {
    const k = banKeyParts(key);
    return list.some((x) => x.ipKey === k.ipKey && x.prefixLen === k.prefixLen);
  };
  const cov = coveringKeys('2001:db8:1:2::77');
  assert.equal(cov.length, 128);
  assert.ok(has(cov, '2001:db8:1:2::/64'));
  assert.ok(has(cov, '2001:db8::/32'));
  assert.ok(!has(cov, '2001:db8:1:3::/64'));
  const cov4 = coveringKeys('10.0.0.9');
  assert.equal(cov4.length, 32);
  assert.ok(has(cov4, '10.0.0.0/24'));
  assert.ok(has(cov4, '10.0.0.8/29'));
  assert.ok(!has(cov4, '10.0.1.0/24'));
  assert.throws(() => coveringKeys('10.0.0.0/24'), /not an IP address/);
});

test('buildMatcher given a network: true when the network holds an allowed address', () => {
  const m = buildMatcher(['127.0.0.0/8', '::1', '2001:db8:1:2::10', '203.0.113.7']);
  assert.equal(m('2001:db8:1:2::/64'), true);
  assert.equal(m('2001:db8:1:3::/64'), false);
  assert.equal(m('2001:db8::/32'), true);
  assert.equal(m('203.0.113.0/24'), true);
  assert.equal(m('203.0.114.0/24'), false);
  assert.equal(m('::/64'), true, '::1 is in ::/64');
  assert.equal(m('1.2.3.4/99'), false);
});

test('cidrEnds: the first and last address of a network', () => {
  assert.deepEqual(cidrEnds('2001:db8:1:2::/64'), ['2001:db8:1:2::', '2001:db8:1:2:ffff:ffff:ffff:ffff']);
  assert.deepEqual(cidrEnds('203.0.113.77/24'), ['203.0.113.0', '203.0.113.255']);
  assert.deepEqual(cidrEnds('10.0.0.1'), ['10.0.0.1', '10.0.0.1']);
  assert.equal(cidrEnds('nope'), null);
});
