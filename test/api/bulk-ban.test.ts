// Bulk ban loading through POST /api/v1/bans/bulk: one firewall batch, every refusal reported with its reason,
// nothing recorded for a rejected request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createApp } from '../../enforcer/api/app.js';
import { hashPassword } from '../../enforcer/api/password.js';
import { createServiceFixture } from './service-fixture.js';

const TOKEN = 'bulk-token-0123456789abcdef';

async function setup(t: { after(fn: () => void): void }) {
  const fx = createServiceFixture({ allowlist: ['10.9.0.0/16'] });
  t.after(() => fx.close());
  const app = createApp(fx.service, {
    auth: { passwordHash: await hashPassword('bulk password x'), tokens: [TOKEN], sessionTtlSec: 3600, loginAttemptsPerMinute: 3 },
    clock: fx.clock,
  });
  const post = (body: unknown) => app.request('/api/v1/bans/bulk', {
    method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { fx, post };
}

test('bulk: 5,000 addresses banned in one batch; loopback, allow-listed, invalid and duplicate entries refused by name', async (t) => {
  const { fx, post } = await setup(t);
  const ips = Array.from({ length: 5000 }, (_, i) => `198.18.${Math.floor(i / 250)}.${1 + (i % 250)}`);
  const r = await post({ ips: [...ips, '127.0.0.1', '10.9.1.1', '999.1.1.1', ' 198.18.0.1 ', '2001:db8::dead'], duration: '2h', reason: 'block list' });
  assert.equal(r.status, 200);
  const body = await r.json() as { banned: number; refused: Array<{ ip: string; error: string }> };
  assert.equal(body.banned, 5001);
  assert.deepEqual(body.refused.map((x) => x.ip), ['127.0.0.1', '10.9.1.1', '999.1.1.1', '198.18.0.1']);
  assert.match(body.refused[0].error, /this host's own address/);
  assert.match(body.refused[1].error, /allow-list/);
  assert.match(body.refused[2].error, /must be an IPv4 or IPv6 address/);
  assert.match(body.refused[3].error, /listed twice/);
  assert.equal(fx.store.countActive(), 5001);
  assert.equal(fx.firewall.size, 5001);
  const row = fx.store.history({ ip: '2001:db8::dead' }).rows[0];
  assert.equal(row.planned_end! - row.started_at, 7200);
  assert.equal(row.reason, 'block list');
  assert.equal(row.source, 'manual');

  // A second load of the same list refuses every one as already banned and changes nothing.
  const again = await post({ ips: ips.slice(0, 10) });
  const b2 = await again.json() as { banned: number; refused: Array<{ error: string }> };
  assert.equal(b2.banned, 0);
  assert.ok(b2.refused.every((x) => /already banned/.test(x.error)));
  assert.equal(fx.store.countActive(), 5001);
});

test('bulk: malformed requests get 400 with the reason and record nothing', async (t) => {
  const { fx, post } = await setup(t);
  const cases: Array<[unknown, RegExp]> = [
    [{}, /`ips`/],
    [{ ips: [] }, /at least one address/],
    [{ ips: '1.2.3.4' }, /list of IP address strings/],
    [{ ips: [1234] }, /list of IP address strings/],
    [{ ips: ['1.2.3.4'], duration: 'forever' }, /`duration` must be like/],
    [{ ips: ['1.2.3.4'], extra: 1 }, /./],
    [{ ips: ['x'.repeat(101)] }, /too long/],
    ['not json', /not valid JSON/],
  ];
  for (const [body, re] of cases) {
    const r = await post(body);
    assert.equal(r.status, 400, JSON.stringify(body).slice(0, 80));
    assert.match((await r.json() as { error: string }).error, re);
  }
  assert.equal(fx.store.countActive(), 0);
  assert.equal(fx.firewall.size, 0);
});
