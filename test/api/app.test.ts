// QA suite of the HTTP API through app.request(), over the daemon's real service, a real SQLite file and the real engine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createApp } from '../../enforcer/api/app.js';
import { hashPassword, verifyPassword } from '../../enforcer/api/password.js';
import { META_PASSWORD_HASH } from '../../enforcer/api/auth.js';
import { createServiceFixture, type ServiceFixture } from './service-fixture.js';

const PASSWORD = 'correct horse battery';
const TOKEN = 'test-token-0123456789abcdef';
const hashP = hashPassword(PASSWORD);

async function setup(t: { after(fn: () => void): void }, opts: { allowlist?: string[]; passwordHash?: string; onPw?: (p: string) => void } = {}) {
  const fx = createServiceFixture({ allowlist: opts.allowlist ?? ['10.9.0.0/16'] });
  t.after(() => fx.close());
  const app = createApp(fx.service, {
    auth: { passwordHash: opts.passwordHash ?? (await hashP), tokens: [TOKEN], sessionTtlSec: 3600, loginAttemptsPerMinute: 3,
      onGeneratedPassword: opts.onPw },
    clock: fx.clock,
  });
  const bearer = (method: string, path: string, body?: unknown) => app.request(path, {
    method, headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { fx, app, bearer };
}

async function login(app: { request: (p: string, i?: RequestInit) => Response | Promise<Response> }, password = PASSWORD) {
  const res = await app.request('/api/v1/login', { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ password }) });
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
  const body = await res.json() as { csrf?: string; error?: string };
  return { res, cookie, csrf: body.csrf ?? '', body };
}

function dbState(fx: ServiceFixture) {
  return JSON.stringify({ h: fx.store.history({ limit: 1000 }), a: fx.store.allowlist(), fw: [...fx.firewall] });
}

test('healthz needs no auth; everything else does', async (t) => {
  const { app } = await setup(t);
  assert.equal((await app.request('/healthz')).status, 200);
  for (const p of ['/api/v1/status', '/api/v1/bans', '/api/v1/history', '/api/v1/history.csv', '/api/v1/baseline', '/api/v1/allowlist', '/metrics']) {
    const r = await app.request(p);
    assert.equal(r.status, 401, p);
    assert.match((await r.json() as { error: string }).error, /not logged in/);
  }
  const wrong = await app.request('/api/v1/status', { headers: { authorization: 'Bearer wrong-token-0123456789' } });
  assert.equal(wrong.status, 401);
  const malformed = await app.request('/api/v1/status', { headers: { authorization: 'Basic abc' } });
  assert.equal(malformed.status, 401);
});

test('status with a bearer token has the engine view plus daemon health, and security headers', async (t) => {
  const { bearer } = await setup(t);
  const r = await bearer('GET', '/api/v1/status');
  assert.equal(r.status, 200);
  const s = await r.json() as Record<string, unknown>;
  for (const k of ['globalRate', 'baseline', 'thresholds', 'banRate', 'topIps', 'activeBans', 'uptimeSec', 'host', 'process', 'nginx', 'dropped', 'dryRun', 'backends']) {
    assert.ok(k in s, k);
  }
  assert.match(r.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  assert.doesNotMatch(r.headers.get('content-security-policy') ?? '', /unsafe-inline/);
  assert.equal(r.headers.get('x-frame-options'), 'DENY');
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(r.headers.get('cache-control'), 'no-store');
});

test('status carries the newest 100 bans and the total; ?bans=all or a number for more; GET bans has all', async (t) => {
  const { bearer, fx } = await setup(t);
  const now = fx.clock.nowMs() / 1000;
  for (let i = 0; i < 150; i++) fx.engine.manualBan(`10.1.${i >> 8}.${i & 255}`, now + i, 3600, 'load');
  const s = await (await bearer('GET', '/api/v1/status')).json() as { activeBans: Array<{ ip: string }>; activeBanCount: number; activeBansTruncated: boolean };
  assert.equal(s.activeBans.length, 100);
  assert.equal(s.activeBanCount, 150);
  assert.equal(s.activeBansTruncated, true);
  assert.equal(s.activeBans[0].ip, '10.1.0.149');
  assert.equal((await (await bearer('GET', '/api/v1/status?bans=all')).json() as { activeBans: unknown[] }).activeBans.length, 150);
  assert.equal((await (await bearer('GET', '/api/v1/status?bans=5')).json() as { activeBans: unknown[] }).activeBans.length, 5);
  assert.equal((await bearer('GET', '/api/v1/status?bans=lots')).status, 400);
  assert.equal((await (await bearer('GET', '/api/v1/bans')).json() as { bans: unknown[] }).bans.length, 150);
});

test('login: wrong password 401, right one sets an HttpOnly SameSite=Strict cookie; no hash in any response', async (t) => {
  const { app } = await setup(t);
  const bad = await login(app, 'nope');
  assert.equal(bad.res.status, 401);
  assert.equal(bad.body.error, 'wrong password');
  const ok = await login(app);
  assert.equal(ok.res.status, 200);
  const sc = ok.res.headers.get('set-cookie') ?? '';
  assert.match(sc, /HttpOnly/);
  assert.match(sc, /SameSite=Strict/);
  assert.match(sc, /Path=\//);
  assert.ok(ok.csrf.length >= 20);
  const hash = await hashP;
  for (const p of ['/api/v1/status', '/api/v1/session', '/api/v1/allowlist', '/metrics', '/']) {
    const text = await (await app.request(p, { headers: { cookie: ok.cookie } })).text();
    assert.ok(!text.includes(hash) && !text.includes(PASSWORD) && !text.includes(hash.split('$')[5]), p);
  }
  const missing = await app.request('/api/v1/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(missing.status, 400);
  assert.match((await missing.json() as { error: string }).error, /password/);
  const notJson = await app.request('/api/v1/login', { method: 'POST', body: 'password=x' });
  assert.equal(notJson.status, 400);
});

test('failed logins are rate-limited per address with 429, even for the right password', async (t) => {
  const { app, fx } = await setup(t);
  for (let i = 0; i < 3; i++) assert.equal((await login(app, 'wrong' + i)).res.status, 401);
  const limited = await login(app);
  assert.equal(limited.res.status, 429);
  assert.match(limited.body.error ?? '', /too many failed logins/);
  fx.clock.advance(61_000);
  assert.equal((await login(app)).res.status, 200);
});

test('sessions expire; logout ends them', async (t) => {
  const { app, fx } = await setup(t);
  const s = await login(app);
  assert.equal((await app.request('/api/v1/status', { headers: { cookie: s.cookie } })).status, 200);
  fx.clock.advance(3601_000);
  assert.equal((await app.request('/api/v1/status', { headers: { cookie: s.cookie } })).status, 401);
  const s2 = await login(app);
  const out = await app.request('/api/v1/logout', { method: 'POST', headers: { cookie: s2.cookie, 'x-warden-csrf': s2.csrf } });
  assert.equal(out.status, 200);
  assert.equal((await app.request('/api/v1/status', { headers: { cookie: s2.cookie } })).status, 401);
  const forged = await app.request('/api/v1/status', { headers: { cookie: 'warden_session=' + 'x'.repeat(43) } });
  assert.equal(forged.status, 401);
});

test('CSRF: cookie requests that change state need the X-Warden-CSRF header', async (t) => {
  const { app, fx } = await setup(t);
  const s = await login(app);
  const before = dbState(fx);
  const body = JSON.stringify({ ip: '203.0.113.5', duration: '1h' });
  for (const h of [{}, { 'x-warden-csrf': 'wrong' }, { 'x-warden-csrf': '' }] as Array<Record<string, string>>) {
    const r = await app.request('/api/v1/bans', { method: 'POST', headers: { cookie: s.cookie, 'content-type': 'application/json', ...h }, body });
    assert.equal(r.status, 403);
    assert.match((await r.json() as { error: string }).error, /x-warden-csrf/);
  }
  assert.equal(dbState(fx), before);
  const ok = await app.request('/api/v1/bans', { method: 'POST', headers: { cookie: s.cookie, 'content-type': 'application/json', 'x-warden-csrf': s.csrf }, body });
  assert.equal(ok.status, 201);
});

test('ban, list, unban: the database and firewall follow', async (t) => {
  const { bearer, fx } = await setup(t);
  const r = await bearer('POST', '/api/v1/bans', { ip: '  203.0.113.7 ', duration: '2h', reason: 'scraping' });
  assert.equal(r.status, 201);
  const b = await r.json() as { ban: { ip: string; until: number; since: number } };
  assert.equal(b.ban.ip, '203.0.113.7');
  assert.equal(b.ban.until - b.ban.since, 7200);
  assert.equal(fx.firewall.has('203.0.113.7'), true);
  const row = fx.store.activeBans().find((x) => x.ip === '203.0.113.7');
  assert.equal(row?.reason, 'scraping');
  assert.equal(row?.source, 'manual');
  const again = await bearer('POST', '/api/v1/bans', { ip: '203.0.113.7' });
  assert.equal(again.status, 409);
  const list = await (await bearer('GET', '/api/v1/bans')).json() as { bans: Array<{ ip: string }> };
  assert.deepEqual(list.bans.map((x) => x.ip), ['203.0.113.7']);
  const perm = await bearer('POST', '/api/v1/bans', { ip: '2001:DB8::0:1', duration: 'permanent' });
  assert.equal(perm.status, 201);
  assert.equal((await perm.json() as { ban: { ip: string; until: null } }).ban.until, null);
  assert.equal(fx.firewall.get('2001:db8::1'), null);
  const secs = await bearer('POST', '/api/v1/bans', { ip: '198.51.100.1', duration: 600 });
  assert.equal(secs.status, 201);
  assert.equal((await bearer('DELETE', '/api/v1/bans/203.0.113.7')).status, 200);
  assert.equal(fx.firewall.has('203.0.113.7'), false);
  assert.equal(fx.store.activeBans().some((x) => x.ip === '203.0.113.7'), false);
  assert.equal((await bearer('DELETE', '/api/v1/bans/203.0.113.7')).status, 404);
  assert.equal((await bearer('DELETE', '/api/v1/bans/' + encodeURIComponent('2001:db8::1'))).status, 200);
  assert.equal((await bearer('DELETE', '/api/v1/bans/999.1.1.1')).status, 400);
});

test('invalid ban input is refused with 400 naming the field, and nothing changes', async (t) => {
  const { bearer, fx } = await setup(t);
  const before = dbState(fx);
  const cases: unknown[] = [
    { ip: '999.1.1.1' }, { ip: '1.2.3.4/99' }, { ip: '' }, { ip: '   ' }, { ip: null }, { ip: ['1.2.3.4'] }, { ip: 1234 },
    { ip: 'x'.repeat(10_000) }, { ip: "1.2.3.4' OR 1=1 --" }, { ip: '<script>alert(1)</script>' }, { ip: '١.٢.٣.٤' },
    {}, { duration: '1h' }, [], null, '"just a string"', { ip: '1.2.3.4', extra: 1 },
  ];
  for (const c of cases) {
    const r = await bearer('POST', '/api/v1/bans', c);
    assert.equal(r.status, 400, JSON.stringify(c).slice(0, 80));
    const e = (await r.json() as { error: string }).error;
    assert.ok(/`ip`|JSON object|unknown field/.test(e), e);
    assert.ok(e.length < 300, 'error echoes at most a short prefix');
  }
  for (const d of ['forever', '-5', -5, 0, '2x', 'x'.repeat(10_000), null, [1], '1h; DROP TABLE bans']) {
    const r = await bearer('POST', '/api/v1/bans', { ip: '203.0.113.9', duration: d });
    assert.equal(r.status, 400, String(d).slice(0, 40));
    assert.match((await r.json() as { error: string }).error, /duration/);
  }
  for (const reason of ['x'.repeat(10_000), 42, null]) {
    const r = await bearer('POST', '/api/v1/bans', { ip: '203.0.113.9', reason });
    assert.equal(r.status, 400);
    assert.match((await r.json() as { error: string }).error, /reason/);
  }
  const notJson = await bearer('POST', '/api/v1/bans', '{"ip": ');
  assert.equal(notJson.status, 400);
  assert.equal(dbState(fx), before);
});

test('text fields keep <script>, SQL and Unicode verbatim as data', async (t) => {
  const { bearer, fx } = await setup(t);
  const reason = "<script>alert('x')</script> '; DROP TABLE bans; -- ünïcødé 🚫";
  assert.equal((await bearer('POST', '/api/v1/bans', { ip: '203.0.113.20', reason })).status, 201);
  const h = await (await bearer('GET', '/api/v1/history?ip=203.0.113.20')).json() as { rows: Array<{ reason: string }> };
  assert.equal(h.rows[0].reason, reason);
  const note = '<img src=x onerror=alert(1)> 管理者';
  assert.equal((await bearer('POST', '/api/v1/allowlist', { cidr: '198.51.100.0/24', note })).status, 201);
  const a = await (await bearer('GET', '/api/v1/allowlist')).json() as { entries: Array<{ cidr: string; note: string }> };
  assert.equal(a.entries.find((e) => e.cidr === '198.51.100.0/24')?.note, note);
  assert.equal(fx.store.activeBans().length, 1);
});

test('refuses to ban loopback, this host, an allow-listed address or the caller', async (t) => {
  const { bearer, fx } = await setup(t);
  const before = dbState(fx);
  for (const [ip, re] of [['127.0.0.1', /own address/], ['::1', /own address/], [fx.selfAddr, /own address/], ['10.9.3.4', /allow-list/]] as const) {
    const r = await bearer('POST', '/api/v1/bans', { ip });
    assert.equal(r.status, 403, ip);
    assert.match((await r.json() as { error: string }).error, re);
  }
  assert.equal(dbState(fx), before);
  assert.equal((await bearer('POST', '/api/v1/allowlist', { cidr: ' 2001:db8:aa::/48 ', note: 'office' })).status, 201);
  const r = await bearer('POST', '/api/v1/bans', { ip: '2001:db8:aa::5' });
  assert.equal(r.status, 403);
  assert.equal(fx.store.activeBans().length, 0);
});

test('allow-list: add, list with sources, remove; invalid CIDRs refused', async (t) => {
  const { bearer, fx } = await setup(t);
  const list0 = await (await bearer('GET', '/api/v1/allowlist')).json() as { entries: Array<{ cidr: string; source: string }> };
  assert.ok(list0.entries.some((e) => e.cidr === '10.9.0.0/16' && e.source === 'config'));
  assert.ok(list0.entries.some((e) => e.source === 'builtin'));
  const before = dbState(fx);
  for (const cidr of ['1.2.3.4/99', '999.1.1.1', '', null, ['10.0.0.0/8'], 'x'.repeat(10_000), "10.0.0.0/8' OR '1'='1", '::1/129']) {
    const r = await bearer('POST', '/api/v1/allowlist', { cidr, note: 'n' });
    assert.equal(r.status, 400, String(cidr).slice(0, 40));
    assert.match((await r.json() as { error: string }).error, /cidr/);
  }
  assert.equal((await bearer('POST', '/api/v1/allowlist', { cidr: '192.0.2.0/24', note: 'x'.repeat(10_000) })).status, 400);
  assert.equal(dbState(fx), before);
  assert.equal((await bearer('POST', '/api/v1/allowlist', { cidr: '203.0.113.77/24', note: 'lab' })).status, 201);
  assert.deepEqual(fx.store.allowlist().map((a) => a.cidr), ['203.0.113.0/24']);
  assert.equal((await bearer('DELETE', '/api/v1/allowlist/' + encodeURIComponent('203.0.113.0/24'))).status, 200);
  assert.equal(fx.store.allowlist().length, 0);
  assert.equal((await bearer('DELETE', '/api/v1/allowlist/' + encodeURIComponent('203.0.113.0/24'))).status, 404);
  assert.equal((await bearer('DELETE', '/api/v1/allowlist/1.2.3.4%2F99')).status, 400);
});

test('history: filters, sorting, paging, CSV; bad filters 400 (SQL injection, huge, unknown)', async (t) => {
  const { bearer, fx } = await setup(t);
  for (let i = 1; i <= 5; i++) {
    assert.equal((await bearer('POST', '/api/v1/bans', { ip: `203.0.113.${i}`, duration: 60 * i, reason: `r${i}` })).status, 201);
    fx.clock.advance(10_000);
  }
  await bearer('POST', '/api/v1/bans', { ip: '2001:db8::7' });
  await bearer('DELETE', '/api/v1/bans/203.0.113.1');
  const all = await (await bearer('GET', '/api/v1/history')).json() as { rows: unknown[]; total: number };
  assert.equal(all.total, 6);
  const cidr = await (await bearer('GET', '/api/v1/history?ip=203.0.113.0/29&sort=ip&order=asc&limit=2&offset=1')).json() as
    { rows: Array<{ ip: string }>; total: number };
  assert.equal(cidr.total, 5);
  assert.deepEqual(cidr.rows.map((r) => r.ip), ['203.0.113.2', '203.0.113.3']);
  const active = await (await bearer('GET', '/api/v1/history?active=true&source=manual&rule=manual')).json() as { total: number };
  assert.equal(active.total, 5);
  const v6 = await (await bearer('GET', '/api/v1/history?ip=' + encodeURIComponent(' 2001:DB8::7 '))).json() as { total: number };
  assert.equal(v6.total, 1);
  const csv = await bearer('GET', '/api/v1/history.csv?ip=203.0.113.0/24');
  assert.equal(csv.status, 200);
  assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
  const lines = (await csv.text()).trim().split('\r\n');
  assert.equal(lines.length, 6);
  const sqli = "1' OR '1'='1";
  const bad = [
    `ip=${encodeURIComponent(sqli)}`, 'ip=999.1.1.1', 'ip=1.2.3.4/99', `rule=${encodeURIComponent(sqli)}`, `source=${encodeURIComponent(sqli)}`,
    `sort=${encodeURIComponent('rate; DROP TABLE bans')}`, 'order=sideways', 'limit=-1', 'limit=100000', 'offset=abc',
    `since=${encodeURIComponent(sqli)}`, 'until=1e9', 'active=maybe', `ip=${'x'.repeat(10_000)}`, 'bogus=1', 'ip=',
  ];
  for (const q of bad) {
    for (const p of ['/api/v1/history', '/api/v1/history.csv']) {
      const r = await bearer('GET', `${p}?${q}`);
      assert.equal(r.status, 400, `${p}?${q.slice(0, 40)}`);
      assert.ok((await r.json() as { error: string }).error.length < 300);
    }
  }
  assert.equal(fx.store.history({ limit: 100 }).total, 6);
});

test('baseline: per-minute history and 24 hourly slots', async (t) => {
  const { bearer, fx } = await setup(t);
  const now = fx.clock.nowMs() / 1000;
  fx.store.insertBaseline({ at: now - 120, mean: 5, stddev: 1, error_mean: 0.1, source: 'rolling', hour: null, samples: 60, global_rate: 6 });
  fx.store.insertBaseline({ at: now - 90_000, mean: 1, stddev: 1, error_mean: 0, source: 'rolling', hour: null, samples: 60, global_rate: 1 });
  const b = await (await bearer('GET', '/api/v1/baseline')).json() as { minutes: Array<{ mean: number }>; hourly: unknown[] };
  assert.deepEqual(b.minutes.map((m) => m.mean), [5]);
  assert.equal(b.hourly.length, 24);
});

test('/metrics is valid Prometheus text', async (t) => {
  const { bearer } = await setup(t);
  await bearer('POST', '/api/v1/bans', { ip: '203.0.113.50' });
  const r = await bearer('GET', '/metrics');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const samples = parsePrometheus(await r.text());
  assert.equal(samples.get('warden_bans_active'), 1);
  assert.equal(samples.get('warden_bans_total{rule="manual"}'), 1);
  assert.equal(samples.get('warden_requests_seen_total'), 1234);
});

test('dashboard: login page when logged out, the dashboard when logged in; no inline script', async (t) => {
  const { app } = await setup(t);
  const out = await app.request('/');
  assert.equal(out.status, 200);
  const loginHtml = await out.text();
  assert.match(loginHtml, /id="login-form"/);
  const s = await login(app);
  const inHtml = await (await app.request('/', { headers: { cookie: s.cookie } })).text();
  assert.match(inHtml, /id="dashboard"/);
  for (const html of [loginHtml, inHtml]) {
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/);
    assert.doesNotMatch(html, /\son[a-z]+=/i);
  }
  const js = await app.request('/app.js');
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type') ?? '', /javascript/);
  assert.equal((await app.request('/../package.json')).status, 404);
});

test('an empty password_hash generates a password once, stores only its hash, and it works', async (t) => {
  let generated = '';
  const { app, fx } = await setup(t, { passwordHash: '', onPw: (p) => { generated = p; } });
  const bad = await login(app, 'guess-guess');
  assert.equal(bad.res.status, 401);
  assert.ok(generated.length >= 16);
  const stored = fx.store.getMeta(META_PASSWORD_HASH) ?? '';
  assert.ok(!stored.includes(generated));
  assert.equal(await verifyPassword(generated, stored), true);
  assert.equal((await login(app, generated)).res.status, 200);
  // A second app over the same store reuses the stored hash and prints nothing.
  let again = '';
  const app2 = createApp(fx.service, { auth: { passwordHash: '', tokens: [], sessionTtlSec: 60, loginAttemptsPerMinute: 5,
    onGeneratedPassword: (p) => { again = p; } }, clock: fx.clock });
  assert.equal((await login(app2, generated)).res.status, 200);
  assert.equal(again, '');
});

/** A small strict parser of the Prometheus text format: every sample's metric has HELP and TYPE first. */
function parsePrometheus(text: string): Map<string, number> {
  assert.ok(text.endsWith('\n'), 'ends with a newline');
  const typed = new Map<string, string>();
  const helped = new Set<string>();
  const out = new Map<string, number>();
  for (const line of text.slice(0, -1).split('\n')) {
    let m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (m) { assert.ok(!helped.has(m[1]), `HELP twice for ${m[1]}`); helped.add(m[1]); continue; }
    m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (m) { assert.ok(!typed.has(m[1]), `TYPE twice for ${m[1]}`); typed.set(m[1], m[2]); continue; }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\n"])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\n"])*")*\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)$/.exec(line);
    assert.ok(m, `bad line: ${line}`);
    assert.ok(typed.has(m[1]) && helped.has(m[1]), `no HELP/TYPE before ${m[1]}`);
    if (typed.get(m[1]) === 'counter') assert.ok(m[1].endsWith('_total'), `counter ${m[1]} ends in _total`);
    out.set(m[1] + (m[2] ?? ''), Number(m[3]));
  }
  return out;
}
