// Prefix bans through the HTTP API, over the daemon's real service, a real SQLite file and the real engine: CIDRs banned
// and unbanned (one and bulk), refusals of 0.0.0.0/0, ::/0, absurdly wide and allow-list-holding networks, history by
// CIDR and /metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createApp } from '../../enforcer/api/app.js';
import { hashPassword } from '../../enforcer/api/password.js';
import { createServiceFixture, type ServiceFixture } from './service-fixture.js';

const TOKEN = 'prefix-token-0123456789abcdef';

async function setup(t: { after(fn: () => void): void }) {
  const fx = createServiceFixture({ allowlist: ['10.9.0.0/16', '2001:db8:ad::7'] });
  t.after(() => fx.close());
  const app = createApp(fx.service, {
    auth: { passwordHash: await hashPassword('prefix password x'), tokens: [TOKEN], sessionTtlSec: 3600, loginAttemptsPerMinute: 3 },
    clock: fx.clock,
  });
  const call = (method: string, path: string, body?: unknown, from?: string) => app.request(path, {
    method, headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  }, from ? { incoming: { socket: { remoteAddress: from } } } : undefined);
  return { fx, call };
}

const state = (fx: ServiceFixture) => JSON.stringify({ h: fx.store.history({ limit: 1000 }), fw: [...fx.firewall] });

test('POST /api/v1/bans takes an IPv6 /64 and an IPv4 /24, canonical; DELETE lifts them (slash encoded or not)', async (t) => {
  const { fx, call } = await setup(t);
  const r = await call('POST', '/api/v1/bans', { ip: ' 2001:DB8:1:2::99/64 ', duration: '2h', reason: 'rotating scraper' });
  assert.equal(r.status, 201);
  assert.equal((await r.json() as { ban: { ip: string } }).ban.ip, '2001:db8:1:2::/64');
  assert.equal((await call('POST', '/api/v1/bans', { ip: '203.0.113.0/24', duration: 'permanent' })).status, 201);
  assert.deepEqual([...fx.firewall.keys()].sort(), ['2001:db8:1:2::/64', '203.0.113.0/24']);
  assert.deepEqual(fx.store.activeBans().map((b) => b.ip), ['2001:db8:1:2::/64', '203.0.113.0/24']);
  // The same network again is a conflict; an address inside it or its base address is a ban of its own.
  assert.equal((await call('POST', '/api/v1/bans', { ip: '2001:db8:1:2::/64' })).status, 409);
  assert.equal((await call('POST', '/api/v1/bans', { ip: '2001:db8:1:2::' })).status, 201);
  const bans = await (await call('GET', '/api/v1/bans')).json() as { bans: Array<{ ip: string }> };
  assert.deepEqual(bans.bans.map((b) => b.ip).sort(), ['2001:db8:1:2::', '2001:db8:1:2::/64', '203.0.113.0/24']);

  const metrics = await (await call('GET', '/metrics')).text();
  assert.match(metrics, /^warden_bans_active 3$/m);
  assert.match(metrics, /^warden_bans_active_networks 2$/m);

  assert.equal((await call('DELETE', `/api/v1/bans/${encodeURIComponent('2001:db8:1:2::/64')}`)).status, 200);
  assert.equal((await call('DELETE', '/api/v1/bans/203.0.113.0/24')).status, 200);
  assert.equal((await call('DELETE', '/api/v1/bans/203.0.113.0/24')).status, 404);
  assert.deepEqual([...fx.firewall.keys()], ['2001:db8:1:2::']);
  assert.deepEqual(fx.store.activeBans().map((b) => b.ip), ['2001:db8:1:2::']);
  const unbanned = fx.store.history({ ip: '2001:db8:1:2::/64', sort: 'started_at', order: 'asc' }).rows;
  assert.deepEqual(unbanned.map((b) => [b.ip, b.unban_reason]), [['2001:db8:1:2::/64', 'manual'], ['2001:db8:1:2::', null]]);
});

test('0.0.0.0/0, ::/0 and absurdly wide networks are refused with a clear 400; nothing changes', async (t) => {
  const { fx, call } = await setup(t);
  const before = state(fx);
  for (const [ip, re] of [
    ['0.0.0.0/0', /`ip`: refusing to ban 0\.0\.0\.0\/0: an IPv4 prefix must be \/16 or longer/],
    ['::/0', /`ip`: refusing to ban ::\/0: an IPv6 prefix must be \/32 or longer/],
    ['10.0.0.0/8', /refusing to ban 10\.0\.0\.0\/8: an IPv4 prefix must be \/16 or longer/],
    ['2001::/16', /refusing to ban 2001::\/16: an IPv6 prefix must be \/32 or longer/],
    ['::ffff:0.0.0.0/96', /refusing to ban 0\.0\.0\.0\/0/],
    ['2001:db8::/129', /must be an IPv4 or IPv6 address or CIDR/],
    ['203.0.113.0/24/8', /must be an IPv4 or IPv6 address or CIDR/],
  ] as const) {
    const r = await call('POST', '/api/v1/bans', { ip });
    assert.equal(r.status, 400, ip);
    assert.match((await r.json() as { error: string }).error, re);
  }
  const bulk = await call('POST', '/api/v1/bans/bulk', { ips: ['0.0.0.0/0', '::/0', '2001:db8:5::/48', '198.51.100.0/24'] });
  assert.equal(bulk.status, 200);
  const b = await bulk.json() as { banned: number; refused: Array<{ ip: string; error: string }> };
  assert.equal(b.banned, 2);
  assert.deepEqual(b.refused.map((x) => [x.ip, x.error]), [
    ['0.0.0.0/0', 'refusing to ban 0.0.0.0/0: an IPv4 prefix must be /16 or longer'],
    ['::/0', 'refusing to ban ::/0: an IPv6 prefix must be /32 or longer'],
  ]);
  assert.deepEqual([...fx.firewall.keys()].sort(), ['198.51.100.0/24', '2001:db8:5::/48']);
  assert.notEqual(state(fx), before);
});

test('a network holding loopback, this host, an allow-listed address or the caller is refused with 403', async (t) => {
  const { fx, call } = await setup(t);
  const before = state(fx);
  for (const [ip, re, from] of [
    ['127.0.0.0/24', /refusing to ban 127\.0\.0\.0\/24: it holds this host's own address/, undefined],
    [`${fx.selfAddr.split('.').slice(0, 3).join('.')}.0/24`, /it holds this host's own address/, undefined],
    ['10.9.8.0/24', /it holds an allow-listed address/, undefined],
    ['10.9.0.0/16', /it holds an allow-listed address/, undefined],
    ['2001:db8:ad::/64', /refusing to ban 2001:db8:ad::\/64: it holds an allow-listed address/, undefined],
    ['198.51.100.0/24', /it holds the address you are connected from/, '198.51.100.77'],
    ['2001:db8:c0:1::/64', /it holds the address you are connected from/, '2001:db8:c0:1::5'],
  ] as const) {
    const r = await call('POST', '/api/v1/bans', { ip }, from);
    assert.equal(r.status, 403, ip);
    assert.match((await r.json() as { error: string }).error, re);
  }
  // ::/64 holds ::1, but its base address is the unspecified one: refused before that (a network is judged by its base
  // address for special ranges, enforcer/net/special.ts), as no client has it.
  const unspecified = await call('POST', '/api/v1/bans', { ip: '::/64' });
  assert.equal(unspecified.status, 400);
  assert.match((await unspecified.json() as { error: string }).error, /refusing to ban ::\/64: .*unspecified.*no client has it/);
  assert.equal(state(fx), before);
  // The next /64 over is fine.
  assert.equal((await call('POST', '/api/v1/bans', { ip: '2001:db8:ad:1::/64' })).status, 201);
});

test('history by CIDR over the API: the bans inside, and the prefix bans covering an address', async (t) => {
  const { call } = await setup(t);
  for (const ip of ['2001:db8:1:2::/64', '2001:db8:1:2::5', '2001:db8:1:3::9', '203.0.113.0/24', '203.0.113.9']) {
    assert.equal((await call('POST', '/api/v1/bans', { ip })).status, 201, ip);
  }
  const ips = async (q: string) => ((await (await call('GET', `/api/v1/history?${q}&sort=ip&order=asc`)).json()) as { rows: Array<{ ip: string }> })
    .rows.map((r) => r.ip);
  assert.deepEqual(await ips(`ip=${encodeURIComponent('2001:db8:1::/48')}`), ['2001:db8:1:2::/64', '2001:db8:1:2::5', '2001:db8:1:3::9']);
  assert.deepEqual(await ips(`ip=${encodeURIComponent('2001:db8:1:2::77')}`), ['2001:db8:1:2::/64']);
  assert.deepEqual(await ips(`ip=${encodeURIComponent('2001:db8:1:2::5')}`), ['2001:db8:1:2::/64', '2001:db8:1:2::5']);
  assert.deepEqual(await ips('ip=203.0.113.9'), ['203.0.113.0/24', '203.0.113.9']);
  const csv = await (await call('GET', `/api/v1/history.csv?ip=${encodeURIComponent('203.0.113.0/24')}`)).text();
  assert.match(csv, /^\d+,203\.0\.113\.0\/24,/m);
  const bad = await call('GET', '/api/v1/history?ip=203.0.113.0/99');
  assert.equal(bad.status, 400);
});
