// Fleet mode in-process against a real redis-server on loopback: three daemons (dry-run backends, real SQLite files;
// no firewall command runs, so no network namespace is needed),
// simulated nodes' counts published into Valkey as the nodes publish theirs. Proves fleet-wide detection on the summed
// counts, one ban in the stream applied by every node and recorded with the deciding node, manual bans through the
// fleet, and refused forged decisions. (The same with real nginx, ipset and packets: test/e2e/fleet.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startDaemon, type Daemon } from '../../enforcer/daemon/daemon.js';
import { encodeCounts } from '../../enforcer/core/fleet/counts-codec.js';
import { fleetKeys } from '../../enforcer/adapters/fleet/keys.js';
import { freePort } from '../harness/nginx.js';
import { startRedis, redisSkipReason, type RunningRedis } from '../harness/redis.js';
import { tempDir, testConfig, waitFor } from '../e2e/helpers.js';
import { checkFleet } from '../../enforcer/cli/doctor/fleet-check.js';

const skip = redisSkipReason();
const ATTACKER = '203.0.113.50';
const keys = fleetKeys('{warden}:');
const TOKEN = 'fleet-inprocess-token-0123456789';

test('three nodes: an attacker under each node\'s limit but over the fleet\'s is banned on all three; manual bans go through the fleet; forged decisions are refused', { skip }, async (t) => {
  const redis: RunningRedis = await startRedis({ port: await freePort() });
  const tmp = tempDir();
  const daemons: Daemon[] = [];
  const client = new Redis(redis.port, '127.0.0.1', { lazyConnect: true });
  t.after(async () => {
    for (const d of daemons) await d.stop();
    client.disconnect();
    await redis.destroy();
    tmp.remove();
  });
  await client.connect();
  const nginxUrl = `http://127.0.0.1:${await freePort()}`; // nobody there: the nodes' own nginx is not part of this test
  for (const name of ['a', 'b', 'c']) {
    const dir = join(tmp.dir, name);
    const config = testConfig(dir, {
      nginx: { url: nginxUrl, timeout_ms: 100 },
      detection: { window: 5, zscore: 1000, multiplier: 1000, max_ip_rate: 40, min_requests: 10 },
      enforcement: { backends: ['dry-run'] },
      allowlist: ['198.51.100.0/24'],
      fleet: { url: redis.url, node: name },
      api: { tokens: [TOKEN] },
    });
    daemons.push(await startDaemon(config, { serveHttp: false, onGeneratedPassword: () => {}, hostAddresses: [] }));
  }
  const leader = async () => waitFor(async () => (await client.get(keys.lease)) !== null, 6000, 50);
  assert.ok(await leader(), 'a node took the lease');
  const deciding = (await client.get(keys.lease))!.split('|')[0];

  // 25 req/s from the attacker on each of three simulated nodes (the ceiling is 40 req/s): only the sum is over it.
  const started = Date.now();
  let stop = false;
  const publisher = (async () => {
    let sec = Math.floor(Date.now() / 1000);
    while (!stop && Date.now() - started < 15_000) {
      const now = Math.floor(Date.now() / 1000);
      for (; sec < now; sec++) {
        for (const n of ['sim1', 'sim2', 'sim3']) {
          await client.hset(keys.counts(sec), n, encodeCounts({ t: sec, global: [26, 0, 0], ips: { [ATTACKER]: [25, 0, 0], '192.0.2.7': [1, 0, 0] } }));
          await client.expire(keys.counts(sec), 30);
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const bannedAt = await waitFor(() => daemons.every((d) => d.engine.isBanned(ATTACKER)), 12_000, 20);
  stop = true;
  await publisher;
  assert.ok(bannedAt, 'the attacker was not banned on every node');
  t.diagnostic(`fleet flood start -> banned on all three nodes: ${bannedAt - started} ms`);
  assert.ok(daemons.every((d) => !d.engine.isBanned('192.0.2.7')), 'the quiet client was banned');

  // One decision in the stream, recorded by every node with the node that made it.
  const entries = (await client.xrange(keys.stream, '-', '+')) as Array<[string, string[]]>;
  const bans = entries.map(([, f]) => JSON.parse(f[1]) as { kind: string; ip: string; node: string; mode: string })
    .filter((d) => d.kind === 'ban' && d.ip === ATTACKER);
  assert.equal(bans.length, 1, 'exactly one ban decision in the stream');
  assert.equal(bans[0].node, deciding);
  assert.equal(bans[0].mode, 'fleet');
  for (const d of daemons) {
    const rows = d.store.history({ ip: ATTACKER }).rows;
    assert.equal(rows.length, 1, 'one row per node');
    assert.equal(rows[0].node, deciding);
    assert.equal(rows[0].ended_at, null);
  }

  // A manual ban on node b reaches a and c, recorded with b; a manual unban on c lifts it everywhere.
  const manual = await daemons[1].service.ban('192.0.2.99', 600, 'operator', { addr: '', via: 'cli' });
  assert.equal(manual.ok, true);
  assert.ok(await waitFor(() => daemons.every((d) => d.engine.isBanned('192.0.2.99')), 3000, 10), 'manual ban not on every node');
  for (const d of daemons) assert.equal(d.store.history({ ip: '192.0.2.99' }).rows[0]?.node, 'b');
  assert.equal((await daemons[2].service.unban('192.0.2.99', { addr: '', via: 'cli' })).ok, true);
  assert.ok(await waitFor(() => daemons.every((d) => !d.engine.isBanned('192.0.2.99')), 3000, 10), 'manual unban not on every node');
  for (const d of daemons) assert.equal(d.store.history({ ip: '192.0.2.99' }).rows[0]?.unban_reason, 'manual');
  assert.equal(await client.hexists(keys.bans, '192.0.2.99'), 0);

  // A network ban (an IPv6 client's /64) goes through the fleet like an address, recorded as the CIDR everywhere.
  const net = '2001:db8:77:1::/64';
  assert.equal((await daemons[0].service.ban('2001:DB8:77:1::5/64', 600, 'operator', { addr: '', via: 'cli' })).ok, true);
  assert.ok(await waitFor(() => daemons.every((d) => d.engine.isBanned(net)), 3000, 10), 'the /64 ban is not on every node');
  for (const d of daemons) assert.equal(d.store.history({ ip: net }).rows[0]?.ip, net);
  assert.equal((await daemons[1].service.unban(net, { addr: '', via: 'cli' })).ok, true);
  assert.ok(await waitFor(() => daemons.every((d) => !d.engine.isBanned(net)), 3000, 10), 'the /64 unban is not on every node');
  // A network wider than fleet decisions may be (an operator's /16) is enforced on its node only, never published.
  assert.equal((await daemons[2].service.ban('203.0.0.0/16', 600, 'operator', { addr: '', via: 'cli' })).ok, true);
  assert.equal(daemons[2].engine.isBanned('203.0.0.0/16'), true);
  assert.equal(await client.hexists(keys.bans, '203.0.0.0/16'), 0, 'the /16 was published');
  assert.ok(daemons.slice(0, 2).every((d) => !d.engine.isBanned('203.0.0.0/16')), 'the /16 reached another node');

  // Forged decisions written straight into Valkey: every address, an allow-listed address, garbage, a network over
  // the allow-list. Every node refuses and audits each one; nothing is enforced.
  const forged = (ip: string, id: string) => JSON.stringify({ v: 1, id, kind: 'ban', ip, at: Math.floor(Date.now() / 1000),
    until: null, step: 1, rule: 'manual', rate: 0, errorRate: 0, z: 0, src: 'manual', node: 'evil', mode: 'manual', ep: 0,
    bl: { mean: 1, stddev: 1, errorMean: 0, source: 'floor' } });
  await client.xadd(keys.stream, '*', 'd', forged('0.0.0.0/0', 'forged-1'));
  await client.xadd(keys.stream, '*', 'd', forged('::/0', 'forged-2'));
  await client.xadd(keys.stream, '*', 'd', forged('198.51.100.7', 'forged-3'));
  await client.xadd(keys.stream, '*', 'd', '{"v":1,"kind":"ban","ip":"nonsense"');
  await client.xadd(keys.stream, '*', 'd', forged('198.51.100.0/24', 'forged-5'));
  const audits = () => daemons.map((d) => readFileSync(d.config.storage.audit_log, 'utf8'));
  assert.ok(await waitFor(() => audits().every((a) => (a.match(/fleet decision refused/g) ?? []).length >= 5), 3000, 20),
    `not every node audited 5 refusals:\n${audits().join('\n---\n')}`);
  for (const a of audits()) {
    assert.match(a, /ip `0\.0\.0\.0\/0` is too wide a network \(refusing to ban 0\.0\.0\.0\/0: an IPv4 prefix must be \/16 or longer\): \{"v":1,"id":"forged-1"/);
    assert.match(a, /ip `::\/0` is too wide a network \(refusing to ban ::\/0: an IPv6 prefix must be \/32 or longer\): \{"v":1,"id":"forged-2"/);
    assert.match(a, /ip `198\.51\.100\.7` is on this node's allow-list .*"id":"forged-3"/);
    assert.match(a, /not JSON/);
    assert.match(a, /network `198\.51\.100\.0\/24` holds an address of this node's allow-list .*"id":"forged-5"/);
  }
  for (const d of daemons) {
    assert.equal(d.engine.isBanned('198.51.100.7'), false);
    assert.equal(d.engine.isBanned('198.51.100.0/24'), false);
    assert.equal(d.fleet!.view().refused, 5);
  }

  // Operators' views: GET /api/v1/fleet, /metrics per node and fleet totals, doctor's fleet check.
  const d0 = daemons[0];
  assert.ok(await waitFor(() => d0.service.status().fleet!.nodes.length === 3, 5000, 50), 'the node list has the three nodes');
  const auth = { headers: { authorization: `Bearer ${TOKEN}` } };
  const f = await (await d0.app.request('/api/v1/fleet', auth)).json() as { node: string; connected: boolean; nodes: Array<{ node: string; role: string; stale: boolean }> };
  assert.equal(f.node, 'a');
  assert.equal(f.connected, true);
  assert.deepEqual(f.nodes.map((n) => n.node), ['a', 'b', 'c']);
  assert.deepEqual(f.nodes.filter((n) => n.role === 'decider').map((n) => n.node), [deciding]);
  assert.ok(f.nodes.every((n) => !n.stale));
  const metrics = await (await d0.app.request('/metrics', auth)).text();
  assert.match(metrics, /^warden_fleet_connected\{node="a"\} 1$/m);
  assert.match(metrics, /^warden_fleet_nodes 3$/m);
  assert.match(metrics, /^warden_fleet_node_requests_per_second\{node="c"\} /m);
  assert.match(metrics, /^warden_fleet_decisions_total\{node="a",outcome="refused"\} 5$/m);
  const findings = await checkFleet(d0.config);
  assert.deepEqual(findings.map((x) => `${x.level} ${x.what}`), ['ok fleet', 'ok fleet clock', 'ok fleet decider', 'ok fleet node']);
  assert.match(findings[2].detail, new RegExp(`^${deciding} decides`));
  const off = await checkFleet(testConfig(join(tmp.dir, 'x'), { fleet: { url: `redis://warden:topsecret@127.0.0.1:${await freePort()}`, node: 'x' } }), 500);
  assert.equal(off[0].level, 'fail');
  assert.match(off[0].detail, /redis:\/\/warden:\*\*\*@127\.0\.0\.1:\d+ not reachable/);
});
