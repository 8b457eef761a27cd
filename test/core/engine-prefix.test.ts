// The engine with prefix keys: an IPv6 client counted as its /64 is banned as the /64; operators ban networks; a network
// holding an allow-listed address is never banned (spared, audited once per window); absurdly wide networks are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeEngine, only, run } from './helpers.js';

const T = Date.UTC(2026, 0, 1, 12) / 1000;

test('a /64 client key flooding is banned as the /64 (the key nginx counts under)', () => {
  const e = makeEngine();
  const ds = run(e, T, T + 10, () => ({ ips: { '2001:db8:1:2::/64': 100, '198.51.100.1': 1 } }));
  const bans = only(ds, 'ban');
  assert.deepEqual(bans.map((b) => b.ip), ['2001:db8:1:2::/64']);
  assert.equal(e.isBanned('2001:db8:1:2::/64'), true);
  assert.equal(e.isBanned('2001:DB8:1:2::77/64'), true, 'canonicalised');
  assert.equal(e.isBanned('2001:db8:1:2::'), false, 'the base address is another key');
  assert.deepEqual(e.manualUnban('2001:db8:1:2:0:0:0:1/64', T + 11), { kind: 'unban', ip: '2001:db8:1:2::/64', at: T + 11, reason: 'manual' });
});

test('a /64 holding an allow-listed address is spared, not banned, and audited once per window', () => {
  const e = makeEngine({ allowlist: ['2001:db8:ad:1::5'] });
  const ds = run(e, T, T + 150, () => ({ ips: { '2001:db8:ad:1::/64': 100, '2001:db8:bad::/64': 100 } }));
  assert.deepEqual(only(ds, 'ban').map((b) => b.ip), ['2001:db8:bad::/64']);
  const spared = only(ds, 'spared');
  assert.ok(spared.length >= 2 && spared.length <= 3, `once per 60 s window over 150 s: ${spared.length}`);
  assert.equal(spared[0].ip, '2001:db8:ad:1::/64');
  assert.equal(spared[0].reason, 'allowlisted_inside');
  assert.ok(spared[0].rate > 0, `rate ${spared[0].rate}`);
  assert.ok(spared.every((s, i) => i === 0 || s.at - spared[i - 1].at >= 60), spared.map((s) => s.at).join(','));
  assert.equal(e.isBanned('2001:db8:ad:1::/64'), false);
  // A /64 wholly inside an allow-listed network is as silent as an allow-listed address.
  const e3 = makeEngine({ allowlist: ['2001:db8:ad::/48'] });
  assert.deepEqual(run(e3, T, T + 10, () => ({ ips: { '2001:db8:ad:7::/64': 100 } })).filter((d) => d.kind !== 'baseline'), []);
  // An allow-listed single address is still skipped silently, as before.
  const e2 = makeEngine({ allowlist: ['203.0.113.5'] });
  assert.deepEqual(run(e2, T, T + 10, () => ({ ips: { '203.0.113.5': 100 } })).filter((d) => d.kind !== 'baseline'), []);
});

test('manual bans of networks: canonical, refused when too wide or holding an allow-listed address', () => {
  const e = makeEngine({ allowlist: ['2001:db8:ad::5', '10.9.9.9'] });
  const d = e.manualBan('2001:DB8:1:2::99/64', T, 3600, 'rotating scraper');
  assert.equal(d.ip, '2001:db8:1:2::/64');
  assert.equal(d.until, T + 3600);
  assert.equal(e.manualBan('203.0.113.77/24', T, null, 'hoster').ip, '203.0.113.0/24');
  assert.equal(e.manualBan('198.51.100.7/32', T, null, 'one address').ip, '198.51.100.7');
  assert.deepEqual(e.status(T).activeBans.map((b) => b.ip).sort(), ['198.51.100.7', '2001:db8:1:2::/64', '203.0.113.0/24']);
  assert.throws(() => e.manualBan('0.0.0.0/0', T, null, 'x'), /refusing to ban 0\.0\.0\.0\/0: an IPv4 prefix must be \/16 or longer/);
  assert.throws(() => e.manualBan('::/0', T, null, 'x'), /refusing to ban ::\/0: an IPv6 prefix must be \/32 or longer/);
  assert.throws(() => e.manualBan('10.0.0.0/8', T, null, 'x'), /\/16 or longer/);
  assert.throws(() => e.manualBan('2001:db8:ad::/48', T, null, 'x'), /2001:db8:ad::\/48 holds an allow-listed address/);
  assert.throws(() => e.manualBan('10.9.0.0/16', T, null, 'x'), /holds an allow-listed address/);
  assert.throws(() => e.manualBan('127.0.0.0/24', T, null, 'x'), /holds an allow-listed address/);
  assert.throws(() => e.manualBan('2001:db8::/99999', T, null, 'x'), /not an IP address or CIDR/);
});

test('setAllow and restore lift a prefix ban that now holds an allow-listed address', () => {
  const e = makeEngine();
  e.restore([{ ip: '2001:db8:1:2::/64', since: T - 10, until: null, step: 1, rule: 'manual', rate: 0, source: 'manual' }], []);
  assert.deepEqual(only(e.tick(T), 'unban'), []);
  e.setAllow((ip) => ip === '2001:db8:1:2::/64' || ip === '2001:db8:1:2::8');
  assert.deepEqual(only(e.tick(T + 1), 'unban').map((u) => [u.ip, u.reason]), [['2001:db8:1:2::/64', 'allowlisted']]);
});
