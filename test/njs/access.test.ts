// Only the daemon may drain counts or change bans: without the warden secret (or with a wrong one) every endpoint but
// /status answers 403 and changes nothing; without a secret file nginx refuses everyone and says how to fix it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nginxSkipReason, withNginx } from '../harness/nginx.js';
import { drainAll, emptyTotals, sleep, trustLoopbackXff } from './helpers.js';

const skip = nginxSkipReason();
const site = 'include {dir}/nginx-server.conf;\n    location / { return 200 "ok\\n"; }';

test('a stranger on the host cannot drain counts or add or remove bans; the daemon still gets every count', { skip }, async () => {
  await withNginx({ workers: 2, httpExtra: trustLoopbackXff, servers: [site] }, async (ng) => {
    for (let i = 0; i < 20; i++) await (await fetch(ng.url('/'), { headers: { 'X-Forwarded-For': '203.0.113.7' } })).text();
    await ng.internalFetch('/bans', { method: 'POST', body: JSON.stringify({ add: [{ ip: '203.0.113.99', until: 0 }] }) });
    await sleep(1150 - (Date.now() % 1000));
    const wrong = { 'X-Warden-Secret': 'f'.repeat(64) };
    const short = { 'X-Warden-Secret': ng.secret.slice(0, 63) };
    for (const headers of [{}, wrong, short]) {
      assert.equal((await fetch(`${ng.internalUrl}/counters?v=2`, { headers })).status, 403);
      assert.equal((await fetch(`${ng.internalUrl}/bans`, { headers })).status, 403);
      const post = await fetch(`${ng.internalUrl}/bans`, { method: 'POST', headers,
        body: JSON.stringify({ add: [{ ip: '198.51.100.1', until: 0 }], remove: ['203.0.113.99'] }) });
      assert.equal(post.status, 403);
      assert.match(((await post.json()) as { error: string }).error, /secret/);
    }
    // /status needs no secret (doctor) and reveals none.
    const st = (await (await fetch(`${ng.internalUrl}/status`)).json()) as Record<string, unknown>;
    assert.equal(st.secret, true);
    assert.doesNotMatch(JSON.stringify(st), new RegExp(ng.secret));
    // Nothing was drained or changed by the stranger.
    const totals = emptyTotals();
    await drainAll(ng, totals);
    assert.deepEqual(totals.ips, { '203.0.113.7': [20, 0, 0, 0, 0] });
    const bans = (await (await ng.internalFetch('/bans')).json()) as { bans: Array<{ ip: string }> };
    assert.deepEqual(bans.bans.map((b) => b.ip), ['203.0.113.99']);
    assert.equal((await fetch(ng.url('/'), { headers: { 'X-Forwarded-For': '203.0.113.99' } })).status, 403);
    assert.equal((await fetch(ng.url('/'), { headers: { 'X-Forwarded-For': '198.51.100.1' } })).status, 200);
    // One warning line a minute at most.
    assert.equal((ng.errorLog().match(/internal listener refused a request/g) ?? []).length, 1);
  });
});

test('without a secret file nginx refuses every poller and says how to fix it', { skip }, async () => {
  // An nginx whose include finds no secret.conf (the daemon never ran).
  await withNginx({ workers: 1, servers: [site], editWardenConf: (t) => t.replace(/^include \S*secret\.con\[f\];$/m, '') }, async (ng) => {
    const res = await ng.internalFetch('/counters?v=2');
    assert.equal(res.status, 403);
    assert.match(((await res.json()) as { error: string }).error, /nginx has no warden secret: start the warden daemon once .* reload nginx/);
    const st = (await (await fetch(`${ng.internalUrl}/status`)).json()) as { secret: boolean };
    assert.equal(st.secret, false);
  });
});

test('POST /bans takes IPv6 prefixes of $warden_ipv6_prefix bits; the check finds every address of a banned /64', { skip }, async () => {
  await withNginx({ workers: 2, httpExtra: trustLoopbackXff, servers: [site] }, async (ng) => {
    const get = async (ip: string) => (await fetch(ng.url('/'), { headers: { 'X-Forwarded-For': ip } })).status;
    const res = await ng.internalFetch('/bans', { method: 'POST', body: JSON.stringify({
      add: [{ ip: '2001:DB8:1:2::/64', until: 0 }, { ip: '2001:db8:9::1/64', until: 0 }, { ip: '2001:db8::/48', until: 0 },
        { ip: '10.0.0.0/8', until: 0 }, { ip: '198.51.100.5/32', until: 0 }, { ip: '2001:db8:7::5/128', until: 0 }],
    }) });
    const body = (await res.json()) as { added: number; failed: Array<{ ip: string; error: string }> };
    assert.equal(body.added, 3);
    assert.deepEqual(body.failed.map((f) => f.ip), ['2001:db8:9::1/64', '2001:db8::/48', '10.0.0.0/8']);
    assert.match(body.failed[0].error, /IPv6 prefix of \/64/);
    const list = (await (await ng.internalFetch('/bans')).json()) as { bans: Array<{ ip: string }> };
    assert.deepEqual(list.bans.map((b) => b.ip).sort(), ['198.51.100.5', '2001:db8:1:2::/64', '2001:db8:7::5']);
    assert.equal(await get('2001:db8:1:2::1'), 403);
    assert.equal(await get('2001:db8:1:2:ffff:1:2:3'), 403, 'another address of the banned /64');
    assert.equal(await get('2001:db8:1:3::1'), 200, 'an address of another /64');
    assert.equal(await get('2001:db8:7::5'), 403, 'an exact IPv6 ban');
    assert.equal(await get('2001:db8:7::6'), 200);
    assert.equal(await get('198.51.100.5'), 403);
    assert.equal(await get('198.51.100.6'), 200);
    await ng.internalFetch('/bans', { method: 'POST', body: JSON.stringify({ remove: ['2001:db8:1:2::/64'] }) });
    assert.equal(await get('2001:db8:1:2:ffff:1:2:3'), 200, 'unbanning the prefix restores it');
  });
});
