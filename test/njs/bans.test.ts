// The in-nginx ban path on real nginx: POST/GET /bans, $warden_banned with the real nginx-server.conf snippet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nginxSkipReason, withNginx } from '../harness/nginx.js';
import { trustLoopbackXff } from './helpers.js';

const skip = nginxSkipReason();
const site = 'include {dir}/nginx-server.conf;\n    location / { return 200 "ok\\n"; }';

test('a banned IP is refused by nginx, others are served, removing it restores service', { skip }, async () => {
  await withNginx({ workers: 2, httpExtra: trustLoopbackXff, servers: [site] }, async (ng) => {
    const get = async (ip: string) => (await fetch(ng.url('/'), { headers: { 'X-Forwarded-For': ip } })).status;
    const post = async (body: unknown) => {
      const res = await ng.internalFetch('/bans', { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as { added?: number; removed?: number; failed?: Array<{ ip: string }>; error?: string } };
    };
    const now = Math.floor(Date.now() / 1000);
    assert.equal(await get('203.0.113.9'), 200);
    const added = await post({
      add: [
        { ip: '203.0.113.9', until: 0 },
        { ip: '2001:DB8:0:0:0:0:0:9', until: now + 600 },
        { ip: '::ffff:198.51.100.9', until: now + 600 },
        { ip: 'fd00::9', until: 0 },
        { ip: '203.0.113.10', until: now - 5 },
        { ip: 'not-an-ip', until: 0 },
        { ip: '1.2.3.256', until: 0 },
      ],
    });
    assert.equal(added.status, 200);
    assert.equal(added.body.added, 5);
    assert.deepEqual((added.body.failed ?? []).map((f) => f.ip), ['not-an-ip', '1.2.3.256']);
    assert.equal(await get('203.0.113.9'), 403);
    assert.equal(await get('2001:db8::9'), 403);
    assert.equal(await get('198.51.100.9'), 403);
    // The per-request check takes its fast path for an address starting with a digit; others are normalised first.
    assert.equal(await get('::ffff:198.51.100.9'), 403, 'an IPv4-mapped client matches the IPv4 ban');
    assert.equal(await get('fd00::9'), 403, 'an IPv6 client starting with a letter');
    assert.equal(await get('fd00::10'), 200);
    assert.equal(await get('203.0.113.10'), 200, 'an expired ban is not enforced');
    assert.equal(await get('203.0.113.11'), 200);
    const list = (await (await ng.internalFetch('/bans')).json()) as { bans: Array<{ ip: string; until: number }> };
    assert.deepEqual(list.bans.sort((a, b) => a.ip.localeCompare(b.ip)), [
      { ip: '198.51.100.9', until: now + 600 },
      { ip: '2001:db8::9', until: now + 600 },
      { ip: '203.0.113.9', until: 0 },
      { ip: 'fd00::9', until: 0 },
    ]);
    const removed = await post({ remove: ['203.0.113.9', '2001:db8::9', '203.0.113.77'] });
    assert.deepEqual(removed.body, { added: 0, removed: 2, failed: [] });
    assert.equal(await get('203.0.113.9'), 200);
    assert.equal(await get('2001:db8::9'), 200);
    assert.equal(await get('198.51.100.9'), 403);
    // Bad bodies: 400 with an error.
    for (const bad of ['{nope', '[1]', '{"add": 5}', '{"remove": "1.2.3.4"}']) {
      const r = await post(bad);
      assert.equal(r.status, 400, bad);
      assert.equal(typeof r.body.error, 'string');
    }
    const status = (await (await fetch(`${ng.internalUrl}/status`)).json()) as Record<string, unknown>;
    assert.match(String(status.njs), /^\d+\.\d+\.\d+$/);
    assert.match(String(status.nginx), /^1\.\d+\.\d+$/);
    assert.equal(status.dropped_total, 0);
    assert.deepEqual(Object.keys(status.zones as object).sort(), ['warden_bans', 'warden_counts', 'warden_meta']);
    assert.equal((await ng.internalFetch('/nope')).status, 404);
  });
});

test('the 444 alternative closes the connection of a banned client', { skip }, async () => {
  const site444 = 'if ($warden_banned) { return 444; }\n    location / { return 200 "ok\\n"; }';
  await withNginx({ workers: 1, httpExtra: trustLoopbackXff, servers: [site444] }, async (ng) => {
    await ng.internalFetch('/bans', { method: 'POST', body: JSON.stringify({ add: [{ ip: '203.0.113.44', until: 0 }] }) });
    await assert.rejects(fetch(ng.url('/'), { headers: { 'X-Forwarded-For': '203.0.113.44' } }));
    assert.equal((await fetch(ng.url('/'), { headers: { 'X-Forwarded-For': '203.0.113.45' } })).status, 200);
  });
});
