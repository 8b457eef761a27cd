// Probes every route with hostile inputs (odd query values, broken percent-escapes, wrong methods, odd bodies and
// headers): each answer is a 2xx/3xx/4xx with a JSON reason for errors, never a 500. Then the specific cases found by
// probing: `limit=0`, `since > until`, a malformed percent-escape in a path are 400 with a reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createApp } from '../../enforcer/api/app.js';
import { hashPassword } from '../../enforcer/api/password.js';
import { createServiceFixture } from './service-fixture.js';

const TOKEN = 'fuzz-token-0123456789abcdef';

async function setup(t: { after(fn: () => void): void }) {
  const fx = createServiceFixture();
  t.after(() => fx.close());
  const app = createApp(fx.service, {
    auth: { passwordHash: await hashPassword('fuzz password'), tokens: [TOKEN], sessionTtlSec: 3600, loginAttemptsPerMinute: 1000 },
    clock: fx.clock,
  });
  const call = (method: string, path: string, body?: string, type = 'application/json') => app.request(path, {
    method, headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': type } : {}) }, body,
  });
  return { fx, call };
}

test('limit=0, since > until and broken percent-escapes are 400 with a reason', async (t) => {
  const { call } = await setup(t);
  const cases: Array<[string, string, RegExp]> = [
    ['GET', '/api/v1/history?limit=0', /`limit`/],
    ['GET', '/api/v1/history.csv?limit=0', /`limit`/],
    ['GET', '/api/v1/history?since=2000&until=1000', /`since`.*`until`|`until`.*`since`/],
    ['GET', '/api/v1/history.csv?since=2000&until=1000', /`since`.*`until`|`until`.*`since`/],
    ['DELETE', '/api/v1/bans/%E0%A4%A', /percent|escape|encoded/],
    ['DELETE', '/api/v1/bans/%zz', /percent|escape|encoded/],
    ['DELETE', '/api/v1/allowlist/10.0.0.0%2', /percent|escape|encoded/],
    ['GET', '/api/v1/history?ip=%E0%A4%A', /percent|escape|encoded|`ip`/],
  ];
  for (const [method, path, re] of cases) {
    const r = await call(method, path);
    const text = await r.text();
    assert.equal(r.status, 400, `${method} ${path}: ${r.status} ${text}`);
    assert.match((JSON.parse(text) as { error: string }).error, re, `${method} ${path}`);
  }
});

test('fuzz: no route answers 500', async (t) => {
  const { call } = await setup(t);
  const routes: Array<[string, string]> = [
    ['GET', '/healthz'], ['GET', '/api/v1/status'], ['GET', '/api/v1/bans'], ['POST', '/api/v1/bans'],
    ['POST', '/api/v1/bans/bulk'], ['DELETE', '/api/v1/bans/X'], ['GET', '/api/v1/history'], ['GET', '/api/v1/history.csv'],
    ['GET', '/api/v1/baseline'], ['GET', '/api/v1/allowlist'], ['POST', '/api/v1/allowlist'], ['DELETE', '/api/v1/allowlist/X'],
    ['GET', '/metrics'], ['POST', '/api/v1/login'], ['POST', '/api/v1/logout'], ['GET', '/api/v1/session'], ['GET', '/'],
    ['GET', '/app.js'],
  ];
  const params = ['ip', 'since', 'until', 'limit', 'offset', 'rule', 'source', 'active', 'sort', 'order', 'bans', 'x'];
  const values = ['', '0', '-1', '1e99', 'NaN', '%', '%zz', '%E0%A4%A', '%00', '9'.repeat(30), '1.2.3.4', '::',
    '10.0.0.0%2F8', 'all', 'true', "'; DROP TABLE bans; --", '__proto__', 'constructor', '%C0%AE%C0%AE'];
  const pathParts = ['%', '%zz', '%E0%A4%A', '%00', '..%2F..%2Fetc%2Fpasswd', '1.2.3.4%2F33', '%ff%fe', 'a'.repeat(5000)];
  const bodies = ['', 'null', '[]', '{}', '"x"', '{"ip":null}', '{"ip":["1.2.3.4"]}', '{"ips":[null]}', '{"cidr":{}}',
    '{"__proto__":{"x":1}}', '{"password":1}', '{"ip":"1.2.3.4","duration":-1}', '{"ip":"1.2.3.4","duration":1e308}',
    '{"ips":"1.2.3.4"}', '{"ip":"1.2.3.4","reason":"\\u0000\\u001b[31m"}', '\u0000', '{"a":'.repeat(2000)];
  let probes = 0;
  const check = async (method: string, path: string, body?: string, type?: string) => {
    const r = await call(method, path, body, type);
    probes++;
    const text = await r.text();
    assert.ok(r.status < 500, `${method} ${path.slice(0, 120)} ${body?.slice(0, 60) ?? ''}: ${r.status} ${text.slice(0, 200)}`);
    if (r.status >= 400) assert.match(text, /"error":"[^"]+"/, `${method} ${path.slice(0, 120)} gives a reason`);
  };
  for (const [method, path] of routes) {
    for (const p of params) for (const v of values) await check(method, `${path.replace(/X$/, '192.0.2.99')}?${p}=${v}`);
    if (path.endsWith('X')) for (const part of pathParts) await check(method, path.replace(/X$/, part));
    if (method !== 'GET') for (const b of bodies) {
      await check(method, path.replace(/X$/, '192.0.2.99'), b);
      await check(method, path.replace(/X$/, '192.0.2.99'), b, 'text/plain');
    }
    for (const m of ['PUT', 'PATCH', 'OPTIONS']) await check(m, path.replace(/X$/, '192.0.2.99'));
  }
  assert.ok(probes > 4000, `${probes} probes`);
});
