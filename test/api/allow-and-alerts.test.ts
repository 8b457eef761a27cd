// The runtime allow-list (/api/v1/allow) and rule alerts (/api/v1/alerts) and heaviest clients (/api/v1/clients/heavy)
// through app.request(), over the daemon's real service, a real SQLite file, the real engine and a real audit log:
// an allow-list entry applies at once (an active ban, of the address or of a network holding it, is lifted), is
// audited and refused when bad; rule alerts of a rule in mode alert are stored and filtered; bad queries get 400.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../enforcer/api/app.js';
import { hashPassword } from '../../enforcer/api/password.js';
import { fingerprint } from '../../enforcer/api/auth.js';
import { openAuditLog } from '../../enforcer/adapters/audit-log.js';
import type { Counts } from '../../enforcer/core/types.js';
import type { AllowAddResponse, AllowListResponse, HeavyClientsResponse, RuleAlertsResponse } from '../../enforcer/api/types.js';
import { createServiceFixture, type ServiceFixture } from './service-fixture.js';

const TOKEN = 'allow-alerts-token-0123456789';

async function setup(t: { after(fn: () => unknown): void }, detection: Record<string, unknown> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'warden-allow-api-'));
  const held: { fx?: ServiceFixture } = {};
  const auditPath = join(dir, 'audit.log');
  const audit = openAuditLog(auditPath, { clock: { nowMs: () => held.fx?.clock.nowMs() ?? 0 }, log: { error() {}, every() {} } });
  const fx = createServiceFixture({ allowlist: ['10.9.0.0/16'], detection, audit, nowMs: Date.UTC(2026, 0, 5, 12, 0, 0) });
  held.fx = fx;
  t.after(() => { fx.close(); audit.close(); rmSync(dir, { recursive: true, force: true }); });
  const app = createApp(fx.service, {
    auth: { passwordHash: await hashPassword('allow pw'), tokens: [TOKEN], sessionTtlSec: 3600, loginAttemptsPerMinute: 5 },
    clock: fx.clock,
  });
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    app.request(path, {
      method, headers: { authorization: `Bearer ${TOKEN}`, ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  /** One second of traffic: `ips` maps a client to its requests in that second; then a tick. */
  const second = async (ips: Record<string, number>) => {
    const tSec = Math.floor(fx.clock.nowMs() / 1000);
    const counts: Record<string, Counts> = Object.fromEntries(Object.entries(ips).map(([ip, n]) => [ip, [n, 0, 0, 0, 0] as Counts]));
    const total = Object.values(ips).reduce((a, b) => a + b, 0);
    fx.engine.ingest([{ t: tSec - 1, global: [total, 0, 0, 0, 0], ips: counts }]);
    await fx.apply(fx.engine.tick(tSec));
    fx.clock.advance(1000);
  };
  return { fx, app, call, second, auditPath };
}

test('allow-listing a banned client lifts its ban at once (firewall, database, audit) and it is never judged again', async (t) => {
  const { fx, call, second, auditPath } = await setup(t);
  // A flood over the ceiling (30 req/s over the 60 s window) is banned by the engine.
  for (let i = 0; i < 3; i++) await second({ '203.0.113.9': 1000, '198.51.100.2': 2 });
  assert.deepEqual(fx.store.activeBans().map((b) => b.ip), ['203.0.113.9']);
  assert.ok(fx.firewall.has('203.0.113.9'));
  // A manual ban of a network holding the next address to allow.
  assert.equal((await call('POST', '/api/v1/bans', { ip: '2001:db8:1:2::/64' })).status, 201);

  const r = await call('POST', '/api/v1/allow', { cidr: ' 203.0.113.9 ', note: 'our sync client' });
  assert.equal(r.status, 201);
  assert.deepEqual(await r.json() as AllowAddResponse, { ok: true, cidr: '203.0.113.9/32', lifted: ['203.0.113.9'] });
  // At once, not at the next tick: the firewall, the database and the engine no longer hold the ban.
  assert.equal(fx.firewall.has('203.0.113.9'), false);
  assert.equal(fx.engine.isBanned('203.0.113.9'), false);
  const row = fx.store.history({ ip: '203.0.113.9' }).rows[0];
  assert.deepEqual([row.ended_at !== null, row.unban_reason], [true, 'allowlisted']);
  const audit = readFileSync(auditPath, 'utf8');
  const by = `local (token ${fingerprint(TOKEN)})`;
  assert.ok(audit.includes(`ALLOW_ADD 203.0.113.9/32 | by=${by} | note=our sync client\n`), audit);
  // Who asked is in every manual change's line: which token (a fingerprint, never the token), from which address.
  assert.ok(audit.includes(`BAN 2001:db8:1:2::/64 | manual | reason=manual ban | duration=`) && audit.includes(`| by=${by}\n`), audit);
  assert.doesNotMatch(audit, new RegExp(TOKEN));
  assert.match(audit, /^\[[^\]]+\] UNBAN 203\.0\.113\.9 \| reason=allowlisted$/m);
  // It floods on: never banned again, and the heaviest-clients list marks it allowed.
  for (let i = 0; i < 3; i++) await second({ '203.0.113.9': 1000 });
  assert.deepEqual(fx.store.activeBans().map((b) => b.ip), ['2001:db8:1:2::/64']);
  const heavy = await (await call('GET', '/api/v1/clients/heavy?n=5')).json() as HeavyClientsResponse;
  assert.deepEqual(heavy.by1h.map((c) => [c.ip, c.allowed]), [['203.0.113.9', true], ['198.51.100.2', false]]);
  assert.ok(heavy.byRate[0].rate > 30 && heavy.by10m[0].rate10m > 5 && heavy.by1h[0].rate1h > 1, JSON.stringify(heavy.byRate[0]));

  // An address inside the banned network: the network ban is lifted (it now holds an allow-listed address).
  const n = await (await call('POST', '/api/v1/allow', { cidr: '2001:db8:1:2::5' })).json() as AllowAddResponse;
  assert.deepEqual(n.lifted, ['2001:db8:1:2::/64']);
  assert.equal(fx.firewall.size, 0);

  // Listed with its source; removable (audited), after which it is judged again.
  const list = await (await call('GET', '/api/v1/allow')).json() as AllowListResponse;
  assert.deepEqual(list.entries.filter((e) => e.source === 'api').map((e) => [e.cidr, e.note, e.created_by]),
    [['203.0.113.9/32', 'our sync client', `local (token ${fingerprint(TOKEN)})`], ['2001:db8:1:2::5/128', '', `local (token ${fingerprint(TOKEN)})`]]);
  assert.ok(list.entries.some((e) => e.cidr === '10.9.0.0/16' && e.source === 'config'));
  assert.equal((await call('DELETE', '/api/v1/allow/203.0.113.9')).status, 200);
  assert.ok(readFileSync(auditPath, 'utf8').includes(`ALLOW_REMOVE 203.0.113.9/32 | by=local (token ${fingerprint(TOKEN)})\n`));
  for (let i = 0; i < 2; i++) await second({ '203.0.113.9': 1000 });
  assert.ok(fx.engine.isBanned('203.0.113.9'), 'judged again once removed');
});

test('allow-list input: bad or too wide entries, bad bodies and unknown entries get 4xx with a reason; nothing is stored', async (t) => {
  const { fx, call } = await setup(t);
  const cases: Array<[unknown, number, RegExp, Record<string, string>?]> = [
    [{ cidr: '0.0.0.0/0' }, 400, /wider than \/8.*every IPv4 address/],
    [{ cidr: '::/0' }, 400, /wider than \/16.*every IPv6 address/],
    [{ cidr: '0.0.0.0/1' }, 400, /wider than \/8.*large part/],
    [{ cidr: '128.0.0.0/7' }, 400, /wider than \/8/],
    [{ cidr: '2000::/3' }, 400, /wider than \/16/],
    [{ cidr: '1.2.3.4/33' }, 400, /`cidr` must be an IP address or CIDR/],
    [{ cidr: 'example.com' }, 400, /`cidr` must be an IP address or CIDR/],
    [{ cidr: '' }, 400, /`cidr`/],
    [{ cidr: 42 }, 400, /`cidr`/],
    [{}, 400, /`cidr`/],
    [{ cidr: '198.51.100.4', note: 'x'.repeat(501) }, 400, /`note` must be at most 500/],
    [{ cidr: '198.51.100.4', by: 'me' }, 400, /unknown field `by`/],
    [['198.51.100.4'], 400, /JSON object with `cidr`/],
    ['{"cidr":', 400, /not valid JSON/],
    [{ cidr: '198.51.100.4' }, 400, /must be JSON/, { 'content-type': 'text/plain' }],
    [{ cidr: '198.51.100.4', note: 'y'.repeat(20_000) }, 413, /too large/],
  ];
  for (const [body, status, re, headers] of cases) {
    const r = await call('POST', '/api/v1/allow', body, headers);
    const text = await r.text();
    assert.equal(r.status, status, `${JSON.stringify(body).slice(0, 60)}: ${text}`);
    assert.match(JSON.parse(text).error, re, JSON.stringify(body).slice(0, 60));
  }
  assert.deepEqual(fx.store.allowlist(), []);
  // Removing: a config-file entry and an unknown one are 404 with the reason; a malformed one 400.
  const cfg = await call('DELETE', '/api/v1/allow/' + encodeURIComponent('10.9.0.0/16'));
  assert.equal(cfg.status, 404);
  assert.match((await cfg.json() as { error: string }).error, /not on the runtime allow-list \(config-file entries are removed in the config file\)/);
  assert.equal((await call('DELETE', '/api/v1/allow/198.51.100.77')).status, 404);
  assert.equal((await call('DELETE', '/api/v1/allow/1.2.3.4%2F99')).status, 400);
  assert.equal((await call('DELETE', '/api/v1/allow/%zz')).status, 400);
});

test('rule alerts: a rule in mode alert stores what it would have banned; GET /api/v1/alerts filters it; bad queries get 400', async (t) => {
  // Only the ceiling may fire (the engine reports the first rule that fires for a client, in judging order).
  const only = { ceiling: { mode: 'alert' }, burst: { mode: 'off' }, population: { mode: 'off' }, zscore: { mode: 'off' }, multiplier: { mode: 'off' } };
  const { fx, call, second } = await setup(t, { rules: only, alert_cooldown: 600 });
  for (let i = 0; i < 5; i++) await second({ '203.0.113.50': 1000, '198.51.100.2': 2 });
  assert.deepEqual(fx.store.activeBans(), [], 'mode alert never bans');
  const all = await (await call('GET', '/api/v1/alerts')).json() as RuleAlertsResponse;
  const ceiling = all.rows.filter((r) => r.rule === 'ceiling');
  // Once per alert_cooldown per client and rule, with the value against the threshold.
  assert.equal(ceiling.length, 1, JSON.stringify(all.rows));
  assert.deepEqual([ceiling[0].ip, ceiling[0].threshold, ceiling[0].cause], ['203.0.113.50', 30, 'mode']);
  assert.ok(ceiling[0].value > 30, String(ceiling[0].value));
  assert.deepEqual([all.limit, all.offset, all.total], [100, 0, all.rows.length]);
  const byRule = await (await call('GET', '/api/v1/alerts?rule=ceiling&ip=203.0.113.50&limit=1')).json() as RuleAlertsResponse;
  assert.deepEqual(byRule.rows.map((r) => r.id), [ceiling[0].id]);
  const none = await (await call('GET', `/api/v1/alerts?ip=198.51.100.2&since=${ceiling[0].at}`)).json() as RuleAlertsResponse;
  assert.deepEqual([none.rows, none.total], [[], 0]);
  for (const [q, re] of [
    ['rule=manual', /`rule` must be one of .*spread/], ['rule=bogus', /`rule` must be one of brute_force, probing, zscore/],
    ['ip=nope', /`ip` must be an IPv4 or IPv6 address or CIDR/], ['limit=0', /`limit` must be from 1 to 1000/],
    ['limit=5000', /`limit` must be from 1 to 1000/], ['since=yesterday', /`since` must be epoch seconds/],
    ['since=20&until=10', /`since` must not be after `until`/], ['order=asc', /unknown query parameter|unknown field/],
  ] as Array<[string, RegExp]>) {
    const r = await call('GET', `/api/v1/alerts?${q}`);
    assert.equal(r.status, 400, q);
    assert.match((await r.json() as { error: string }).error, re, q);
  }
  for (const q of ['n=0', 'n=101', 'n=x', 'top=3']) assert.equal((await call('GET', `/api/v1/clients/heavy?${q}`)).status, 400, q);
});

test('rule alerts: a relative rule during the learning period alerts instead of banning, and the stored alert says so', async (t) => {
  const { fx, call, second } = await setup(t, { rules: { ceiling: { mode: 'alert' }, burst: { mode: 'off' }, population: { mode: 'off' } } });
  for (let i = 0; i < 3; i++) await second({ '203.0.113.51': 1000, '198.51.100.2': 2 });
  assert.deepEqual(fx.store.activeBans(), []);
  const r = await (await call('GET', '/api/v1/alerts?rule=zscore')).json() as RuleAlertsResponse;
  assert.deepEqual(r.rows.map((a) => [a.ip, a.rule, a.cause, a.threshold]), [['203.0.113.51', 'zscore', 'learning', 3]]);
});

test('a change from a dashboard session is audited with the session, and no two sessions look alike', async (t) => {
  const { app, auditPath } = await setup(t);
  const session = async () => {
    const res = await app.request('/api/v1/login', { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password: 'allow pw' }) });
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
    return { cookie, csrf: ((await res.json()) as { csrf: string }).csrf };
  };
  const a = await session();
  const b = await session();
  const post = (s: { cookie: string; csrf: string }, ip: string) => app.request('/api/v1/bans', { method: 'POST',
    headers: { 'content-type': 'application/json', cookie: s.cookie, 'x-warden-csrf': s.csrf }, body: JSON.stringify({ ip }) });
  assert.equal((await post(a, '192.0.2.31')).status, 201);
  assert.equal((await post(b, '192.0.2.32')).status, 201);
  const lines = readFileSync(auditPath, 'utf8').split('\n');
  const by = (ip: string) => /\| by=(.+)$/.exec(lines.find((l) => l.includes(`BAN ${ip} | manual`)) ?? '')?.[1];
  const fp = (s: { cookie: string }) => fingerprint(s.cookie.slice(s.cookie.indexOf('=') + 1));
  assert.equal(by('192.0.2.31'), `local (session ${fp(a)})`);
  assert.equal(by('192.0.2.32'), `local (session ${fp(b)})`);
  assert.notEqual(fp(a), fp(b));
  assert.ok(!readFileSync(auditPath, 'utf8').includes(a.cookie.slice(a.cookie.indexOf('=') + 1)), 'the cookie itself is never written');
});
