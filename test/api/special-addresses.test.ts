// Addresses no client ever has (unspecified, broadcast, multicast, reserved) are refused as bans with the reason, in
// one ban and in bulk; a runtime allow-list entry covering every address (0.0.0.0/0, ::/0) is refused, while the
// config file may hold one (with a warning).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createApp } from '../../enforcer/api/app.js';
import { hashPassword } from '../../enforcer/api/password.js';
import { createServiceFixture } from './service-fixture.js';

const TOKEN = 'special-token-0123456789abc';

async function setup(t: { after(fn: () => void): void }) {
  const fx = createServiceFixture();
  t.after(() => fx.close());
  const app = createApp(fx.service, {
    auth: { passwordHash: await hashPassword('special pw'), tokens: [TOKEN], sessionTtlSec: 3600, loginAttemptsPerMinute: 5 },
    clock: fx.clock,
  });
  const call = (method: string, path: string, body?: unknown) => app.request(path, {
    method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { fx, call };
}

const SPECIAL: Array<[string, RegExp]> = [
  ['0.0.0.0', /unspecified|this network/], ['0.1.2.3', /this network/], ['::', /unspecified/],
  ['255.255.255.255', /broadcast/], ['224.0.0.1', /multicast/], ['239.255.255.250', /multicast/], ['ff02::1', /multicast/],
  ['240.0.0.1', /reserved/], ['::ffff:0.0.0.0', /unspecified|this network/], ['::ffff:224.0.0.5', /multicast/],
  // Networks are judged by their base address (a ban network is /16 or /32 at the widest).
  ['224.0.0.0/16', /multicast/], ['239.255.0.0/24', /multicast/], ['240.1.0.0/16', /reserved/], ['ff02::/32', /multicast/],
  ['0.0.0.0/16', /unspecified|this network/],
];

test('bans of unspecified, broadcast, multicast and reserved addresses are refused with the reason', async (t) => {
  const { fx, call } = await setup(t);
  for (const [ip, re] of SPECIAL) {
    const r = await call('POST', '/api/v1/bans', { ip });
    const body = await r.json() as { error: string };
    assert.equal(r.status, 400, `${ip}: ${JSON.stringify(body)}`);
    assert.match(body.error, /refusing to ban/, ip);
    assert.match(body.error, re, ip);
  }
  const bulk = await call('POST', '/api/v1/bans/bulk', { ips: [...SPECIAL.map(([ip]) => ip), '198.51.100.7'] });
  const b = await bulk.json() as { banned: number; refused: Array<{ ip: string; error: string }> };
  assert.equal(b.banned, 1);
  assert.equal(b.refused.length, SPECIAL.length);
  assert.equal(fx.store.countActive(), 1);
  // Ordinary addresses, private ones included, can still be banned.
  for (const ip of ['10.1.2.3', '100.64.0.9', '2001:db8::7', '223.255.255.254']) assert.equal((await call('POST', '/api/v1/bans', { ip })).status, 201, ip);
});

test('a runtime allow-list entry of 0.0.0.0/0 or ::/0 is refused with the reason (the config file may hold one, with a warning)', async (t) => {
  const { fx, call } = await setup(t);
  for (const path of ['/api/v1/allow', '/api/v1/allowlist']) {
    for (const cidr of ['0.0.0.0/0', '::/0']) {
      const r = await call('POST', path, { cidr });
      const body = await r.json() as { error: string };
      assert.equal(r.status, 400, `${path} ${cidr}`);
      assert.match(body.error, /`cidr`: .* is wider than \/(8|16): .*every IPv[46] address.*config file/, cidr);
    }
  }
  assert.deepEqual(fx.store.allowlist(), []);
  const narrow = await call('POST', '/api/v1/allow', { cidr: '10.0.0.0/8' });
  assert.equal(narrow.status, 201);
});

test('warden check accepts an allow-list of 0.0.0.0/0 with a warning on stderr', async (t) => {
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { main } = await import('../../enforcer/cli/main.js');
  const dir = mkdtempSync(join(tmpdir(), 'warden-allow-all-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'w.yaml'), 'allowlist: [0.0.0.0/0, 10.0.0.0/8]\n');
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['check', '--config', join(dir, 'w.yaml')], { out: (l) => out.push(l), err: (l) => err.push(l) });
  assert.equal(code, 0, err.join('\n'));
  assert.deepEqual(err, ['warning: `allowlist`: allow-list entry 0.0.0.0/0 covers every IPv4 address: nothing from IPv4 will ever be banned']);
});
