// End to end on real nginx (2 workers) and the real daemon: counts flow from njs through the poller into the core,
// a flood is banned inside nginx within 2 s of its first request, steady background clients are never banned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSecret } from '../../enforcer/nginx/secret-file.js';
import { startNginx, nginxSkipReason, freePort, type RunningNginx } from '../harness/nginx.js';
import { needCommands } from '../harness/tools.js';
import { startDaemon, type Daemon } from '../../enforcer/daemon/daemon.js';
import { tempDir, testConfig, ab, steadyClient, waitFor } from './helpers.js';

const skip = nginxSkipReason() || needCommands('ab');
const realip = 'set_real_ip_from 127.0.0.1; real_ip_header X-Forwarded-For;';
const site = 'include {dir}/nginx-server.conf; location / { return 200 "ok\\n"; }';

test('a flood from one address is banned in nginx within seconds of its start; steady background clients are not', { skip }, async (t) => {
  const tmp = tempDir();
  let ng: RunningNginx | null = null;
  let daemon: Daemon | null = null;
  t.after(async () => {
    await daemon?.stop();
    await ng?.stop();
    tmp.remove();
  });
  ng = await startNginx({ workers: 2, httpExtra: realip, servers: [site] });
  daemon = await startDaemon(testConfig(tmp.dir, {
    nginx: { url: ng.internalUrl, secret_file: ng.secretFile }, enforcement: { backends: ['nginx'] },
  }), { onGeneratedPassword: () => {} });
  const d = daemon;
  const background = ['198.51.100.11', '198.51.100.12', '198.51.100.13', '198.51.100.14'].map((ip) => steadyClient(ng!.url('/'), ip, 500));
  try {
    await new Promise((r) => setTimeout(r, 3000));
    const flooder = '203.0.113.66';
    const t0 = Date.now();
    const flood = ab(ng.url('/'), 4000, 8, [`X-Forwarded-For: ${flooder}`]);
    const banned = await waitFor(() => d.engine.isBanned(flooder), 10_000);
    await flood;
    assert.ok(banned !== null, 'the flooder was not banned within 10 s');
    const latency = banned - t0;
    t.diagnostic(`flood start -> ban decision: ${latency} ms`);
    // Counts arrive per completed second and are polled every second: a flood that starts late in a second is decided
    // on the next one, ~2-3 s after it started on an idle machine. The 2 s target is measured by bench/compare (first
    // dropped request); here a margin for a shared, loaded machine.
    assert.ok(latency < 5000, `ban decided ${latency} ms after the flood started (want < 5000)`);

    // Enforced inside nginx: the flooder is refused, a background client is served.
    const refused = await waitFor(async () => (await fetch(ng!.url('/'), { headers: { 'X-Forwarded-For': flooder } })).status === 403, 10_000);
    assert.ok(refused !== null, 'nginx did not refuse the banned flooder');
    assert.equal((await fetch(ng.url('/'), { headers: { 'X-Forwarded-For': '198.51.100.11' } })).status, 200);
    await new Promise((r) => setTimeout(r, 1500));
  } finally {
    const seen = await Promise.all(background.map((b) => b.stop()));
    for (const s of seen) assert.equal(s[403] ?? 0, 0, `a background client was refused: ${JSON.stringify(s)}`);
  }
  const status = d.service.status();
  assert.deepEqual(status.activeBans.map((b) => b.ip), ['203.0.113.66']);
  assert.ok(status.nginx.reachable);
  const { rows } = d.service.history({ ip: '203.0.113.66' });
  assert.equal(rows.length, 1);
  assert.ok(['zscore', 'multiplier', 'burst', 'ceiling'].includes(rows[0].rule), rows[0].rule);
  assert.equal(rows[0].planned_end! - rows[0].started_at, 600, 'first offence: 10 minutes');
  const audit = readFileSync(d.config.storage.audit_log, 'utf8');
  assert.match(audit, /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\] BAN 203\.0\.113\.66 \| (zscore|multiplier|burst|ceiling)=[\d.]+>[\d.]+.* \| rate=[\d.]+ \| baseline=[\d.]+ \| duration=10m$/m);
  for (const ip of ['198.51.100.11', '198.51.100.12', '198.51.100.13', '198.51.100.14']) assert.doesNotMatch(audit, new RegExp(`BAN ${ip.replace(/\./g, '\\.')}`));
});

test('the daemon survives nginx being down, coming up, and restarting: it keeps polling, reports it, loses no state', { skip }, async (t) => {
  const tmp = tempDir();
  const port = await freePort();
  let ng: RunningNginx | null = null;
  let daemon: Daemon | null = null;
  t.after(async () => {
    await daemon?.stop();
    await ng?.stop();
    tmp.remove();
  });
  daemon = await startDaemon(testConfig(tmp.dir, {
    nginx: { url: `http://127.0.0.1:${port}` }, enforcement: { backends: ['dry-run'] },
  }), { onGeneratedPassword: () => {} });
  const d = daemon;
  assert.ok(await waitFor(() => d.service.metrics().pollErrors >= 2, 10_000), 'polls should fail while nginx is down');
  assert.equal(d.service.status().nginx.reachable, false);
  assert.match(d.service.status().nginx.lastError ?? '', /unreachable/);
  const manual = await d.service.ban('192.0.2.77', 3600, 'kept across nginx restarts', { addr: '127.0.0.1', via: 'test' });
  assert.equal(manual.ok, true);

  // The daemon wrote its secret at start; this nginx includes it.
  const secret = readSecret(join(tmp.dir, 'secret.conf')) ?? undefined;
  assert.ok(secret, 'the daemon wrote a secret file');
  ng = await startNginx({ workers: 2, httpExtra: realip, servers: [site], internalListen: `127.0.0.1:${port}`, secret });
  assert.ok(await waitFor(() => d.service.status().nginx.reachable, 10_000), 'nginx came up but the daemon did not notice');
  for (let i = 0; i < 25; i++) await (await fetch(ng.url('/'), { headers: { 'X-Forwarded-For': '198.51.100.50' } })).arrayBuffer();
  assert.ok(await waitFor(() => d.service.metrics().requestsSeen >= 25, 10_000), `requests not seen: ${d.service.metrics().requestsSeen}`);

  await ng.stop();
  ng = null;
  assert.ok(await waitFor(() => !d.service.status().nginx.reachable, 10_000), 'nginx stopped but the daemon did not notice');
  ng = await startNginx({ workers: 2, httpExtra: realip, servers: [site], internalListen: `127.0.0.1:${port}`, secret });
  assert.ok(await waitFor(() => d.service.status().nginx.reachable, 10_000));
  assert.ok(d.engine.isBanned('192.0.2.77'), 'a ban was lost while nginx was away');
  const audit = readFileSync(d.config.storage.audit_log, 'utf8');
  assert.match(audit, /FAILURE \| nginx poll \| .*unreachable/);
});
