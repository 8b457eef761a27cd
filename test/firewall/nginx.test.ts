// The nginx backend against real nginx + the real njs ban endpoints: bans answer 403 (also behind a trusted
// X-Forwarded-For proxy), list() round trip, idempotency, invalid addresses, nginx unreachable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startNginx, nginxSkipReason, freePort, type RunningNginx } from '../harness/nginx.js';
import { createNginxBackend } from '../../enforcer/adapters/firewall/nginx.js';

const skip = nginxSkipReason();
const realip = 'set_real_ip_from 127.0.0.1; real_ip_header X-Forwarded-For;';
const site = 'include {dir}/nginx-server.conf; location / { return 200 "ok\\n"; }';

function quietLog() {
  const lines: string[] = [];
  return { lines, warn: (m: string) => { lines.push(m); } };
}

const status = async (url: string, xff?: string) =>
  (await fetch(url, { headers: xff ? { 'X-Forwarded-For': xff } : {} })).status;

test('nginx backend: a banned client gets 403 behind a trusted X-Forwarded-For proxy, others 200; unban restores', { skip }, async (t) => {
  let ng: RunningNginx | null = null;
  t.after(async () => { await ng?.stop(); });
  ng = await startNginx({ workers: 2, httpExtra: realip, servers: [site] });
  const log = quietLog();
  const fw = createNginxBackend({ url: ng.internalUrl, retries: 1, secret: () => ng.secret }, { log });
  await fw.init();
  assert.deepEqual(log.lines, [], 'init warned although nginx is up');

  const url = ng.url('/');
  assert.equal(await status(url, '203.0.113.7'), 200);
  const until = Math.floor(Date.now() / 1000) + 600;
  fw.add([{ ip: '203.0.113.7', until }, { ip: '2001:db8::7', until: null }]);
  const r = await fw.commit();
  assert.deepEqual(r, { added: 2, removed: 0, failed: [] });

  assert.equal(await status(url, '203.0.113.7'), 403, 'banned IPv4 client (via XFF) not refused');
  assert.equal(await status(url, '2001:db8::7'), 403, 'banned IPv6 client (via XFF) not refused');
  assert.equal(await status(url, '203.0.113.8'), 200, 'an unbanned client was refused');
  assert.equal(await status(url), 200, 'the proxy itself (127.0.0.1, no XFF) was refused');

  const listed = (await fw.list()).sort((a, b) => a.ip.localeCompare(b.ip));
  assert.deepEqual(listed, [{ ip: '2001:db8::7', until: null }, { ip: '203.0.113.7', until }]);

  fw.remove(['203.0.113.7']);
  assert.equal((await fw.commit()).removed, 1);
  assert.equal(await status(url, '203.0.113.7'), 200, 'unbanned client still refused');
  assert.equal(await status(url, '2001:db8::7'), 403);

  await fw.destroy();
  assert.deepEqual(await fw.list(), []);
  assert.equal(await status(url, '2001:db8::7'), 200);
});

test('nginx backend: idempotent adds/removes, invalid addresses reported, a past until never bans', { skip }, async (t) => {
  let ng: RunningNginx | null = null;
  t.after(async () => { await ng?.stop(); });
  ng = await startNginx({ workers: 1, httpExtra: realip, servers: [site] });
  const fw = createNginxBackend({ url: ng.internalUrl, retries: 0, secret: () => ng.secret }, { log: quietLog() });
  await fw.init();
  const until = Math.floor(Date.now() / 1000) + 600;
  fw.add([{ ip: '198.51.100.1', until }]);
  await fw.commit();
  fw.add([{ ip: '198.51.100.1', until: until + 60 }]);
  fw.remove(['198.51.100.99']);
  const r = await fw.commit();
  assert.deepEqual(r.failed, [], `re-adding a present ban or removing an absent one failed: ${JSON.stringify(r.failed)}`);
  const listed = await fw.list();
  assert.equal(listed.length, 1);
  assert.equal(listed[0].until, until + 60, 'a re-added ban did not get its new end');

  fw.add([{ ip: 'not-an-ip', until: null }]);
  const bad = await fw.commit();
  assert.equal(bad.failed.length, 1);
  assert.equal(bad.failed[0].ip, 'not-an-ip');
  assert.equal(bad.failed[0].op, 'add');

  fw.add([{ ip: '198.51.100.2', until: Math.floor(Date.now() / 1000) - 5 }]);
  await fw.commit();
  assert.equal(await status(ng.url('/'), '198.51.100.2'), 200, 'a ban that already ended refused the client');
  await fw.destroy();
});

test('nginx backend: unreachable nginx -> init warns (no throw), commit reports every entry failed, never throws', async () => {
  const port = await freePort();
  const log = quietLog();
  const fw = createNginxBackend({ url: `http://127.0.0.1:${port}`, retries: 1, timeoutMs: 500 }, { log });
  await fw.init();
  assert.equal(log.lines.length, 1);
  assert.match(log.lines[0], /backend `nginx`: cannot reach the njs ban endpoint/);
  fw.add([{ ip: '203.0.113.1', until: null }]);
  fw.remove(['203.0.113.2']);
  const r = await fw.commit();
  assert.equal(r.added, 0);
  assert.deepEqual(r.failed.map((f) => [f.ip, f.op]), [['203.0.113.1', 'add'], ['203.0.113.2', 'remove']]);
  await assert.rejects(fw.list(), /\/bans/);
});
