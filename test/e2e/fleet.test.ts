// Fleet mode end to end, as root: a real redis-server in a hub namespace; three nodes, each in its own namespace with
// a real nginx, the real daemon process (`warden start`, ipset backend) and its own SQLite; attackers in client
// namespaces sending real packets. One test walks through the list in order, sharing the set-up:
//   1. 25 req/s to each node (under one host's ceiling, over the fleet's): banned fleet-wide, dropped on all three
//      within 2 s of the decision;
//   2. forged decisions published into Valkey: refused and audited by every node;
//   3. kill -9 of the deciding node: another within 5 s, no ban lost or doubled; it rejoins with a fresh database and
//      has every active ban before it answers healthy;
//   4. redis-server stopped for 30 s while a flood hits one node: that node bans alone; after the restart every node
//      holds every ban exactly once and every database agrees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { createFleetNetwork, type FleetNetwork } from '../harness/fleet-network.js';
import { netnsSkipReason } from '../harness/netns.js';
import { startNginx, nginxSkipReason, repoRoot, type RunningNginx } from '../harness/nginx.js';
import { startRedis, redisSkipReason, type RunningRedis } from '../harness/redis.js';
import { openStore } from '../../enforcer/adapters/store/warden-store.js';
import { maxOf } from '../../enforcer/core/arrays.js';
import { tempDir, waitFor } from './helpers.js';

const skip = netnsSkipReason() || nginxSkipReason() || redisSkipReason();
const cli = join(repoRoot, 'dist/enforcer/cli/main.js');
const floodClient = join(repoRoot, 'dist/test/e2e/fleet-flood-client.js');
const TOKEN = 'fleet-e2e-token-0123456789';
const REDIS_PORT = 16379;

interface Node {
  name: string;
  ns: string;
  v4: string;
  ng: RunningNginx;
  dir: string;
  cfg: string;
  child: ChildProcess | null;
  log: string;
}

function configYaml(n: Node, redisUrl: string): string {
  return [
    'log_level: info',
    `nginx: { url: "http://127.0.0.1:${n.ng.internalPort}", secret_file: "${n.ng.secretFile}" }`,
    // A short window so the test is quick: the ceiling is 40 req/s over 5 s, for one host and for the fleet.
    'detection: { window: 5, zscore: 1000, multiplier: 1000, max_ip_rate: 40, min_requests: 10 }',
    'enforcement: { backends: [ipset], name: wdfleet }',
    // The fleet's own nodes are allow-listed everywhere (as they should be in production).
    'allowlist: ["198.51.100.0/24", "198.18.0.0/24"]',
    `storage: { database: "${n.dir}/warden.db", audit_log: "${n.dir}/audit.log" }`,
    `api: { listen: "127.0.0.1:18080", tokens: ["${TOKEN}"] }`,
    `fleet: { url: "${redisUrl}", node: ${n.name}, lease: 3s }`,
    '',
  ].join('\n');
}

function stopChild(child: ChildProcess | null, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

function healthy(net: FleetNetwork, n: Node): boolean {
  return net.tryExec(n.ns, 'curl', ['-sf', '-m', '1', 'http://127.0.0.1:18080/healthz']).status === 0;
}

/** Starts the daemon in the node's namespace; `onFirstHealthy` runs the moment /healthz first answers. */
async function startWarden(net: FleetNetwork, n: Node, onFirstHealthy?: () => void): Promise<void> {
  let out = '';
  const child = spawn('ip', ['netns', 'exec', n.ns, process.execPath, cli, 'start', '--config', n.cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (b) => { out += b; });
  child.stderr!.on('data', (b) => { out += b; });
  child.on('exit', () => {
    try {
      writeFileSync(n.log, out, { flag: 'a' });
    } catch {
      /* temp folder gone */
    }
  });
  n.child = child;
  const up = await waitFor(() => {
    if (!healthy(net, n)) return false;
    onFirstHealthy?.();
    return true;
  }, 20_000, 20);
  if (up === null) {
    child.kill('SIGKILL');
    throw new Error(`warden ${n.name} did not start:\n${out}`);
  }
}

function ipset(net: FleetNetwork, n: Node): string[] {
  return net.tryExec(n.ns, 'ipset', ['save']).stdout.split('\n').filter((l) => l.startsWith('add ')).map((l) => l.split(' ')[2]);
}

interface FloodResult { url: string; firstSent: number; firstFailSent: number | null; ok: number }

function flood(net: FleetNetwork, ns: string, rate: number, seconds: number, urls: string[]): Promise<FloodResult[]> {
  return new Promise((resolve, reject) => {
    let out = '';
    const p = spawn('ip', ['netns', 'exec', ns, process.execPath, floodClient, String(rate), String(seconds), ...urls], { stdio: ['ignore', 'pipe', 'inherit'] });
    p.stdout.on('data', (b) => { out += b; });
    p.on('exit', () => {
      try {
        resolve(JSON.parse(out) as FloodResult[]);
      } catch (err) {
        reject(new Error(`flood client: ${out}`, { cause: err }));
      }
    });
  });
}

test('fleet of three on real nginx, ipset and redis-server: detection on the sums, kill -9 of the decider, late join, 30 s outage, forged decisions', { skip, timeout: 180_000 }, async (t) => {
  const net = createFleetNetwork(3, 3);
  const tmp = tempDir('warden-fleet-');
  const nodes: Node[] = [];
  let redis: RunningRedis | null = null;
  t.after(async () => {
    for (const n of nodes) await stopChild(n.child, 'SIGTERM');
    for (const n of nodes) await n.ng.stop();
    await redis?.destroy();
    if (process.env.WARDEN_KEEP_FLEET_LOGS) console.log(tmp.dir);
    else tmp.remove();
    net.destroy();
  });
  redis = await startRedis({ port: REDIS_PORT, bind: net.hub.v4, netns: net.hub.ns });
  for (let i = 0; i < 3; i++) {
    const h = net.nodes[i];
    const ng = await startNginx({ workers: 1, netns: h.ns, servers: [{ body: 'location / { return 200 "ok\\n"; }', listen: ['{port}'] }] });
    const dir = join(tmp.dir, `n${i + 1}`);
    mkdirSync(dir, { recursive: true });
    const n: Node = { name: `n${i + 1}`, ns: h.ns, v4: h.v4, ng, dir, cfg: join(dir, 'warden.yaml'), child: null, log: join(dir, 'daemon.log') };
    writeFileSync(n.cfg, configYaml(n, redis.url));
    nodes.push(n);
  }
  await Promise.all(nodes.map((n) => startWarden(net, n)));
  const [attacker, bystander, attacker2] = net.clients;
  const url = (n: Node) => `http://${n.v4}:${n.ng.port}/`;
  const canConnect = (ns: string, n: Node) => net.tryExec(ns, 'curl', ['-s', '-o', '/dev/null', '-m', '1', url(n)]).status === 0;
  const leaseHolder = () => redis!.cli('GET', '{warden}:lease').trim();
  assert.ok(await waitFor(() => leaseHolder() !== '', 6000, 50), 'no node took the lease');
  for (const n of nodes) assert.ok(canConnect(attacker.ns, n) && canConnect(bystander.ns, n), `clients reach ${n.name}`);

  // 1. 25 req/s to each node: each host alone sees 25 (under its 40 req/s ceiling); the fleet sees 75.
  const res = await flood(net, attacker.ns, 25, 20, nodes.map(url));
  const stream = () => redis!.cli('--raw', 'XRANGE', '{warden}:decisions', '-', '+').split('\n')
    .filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { id: string; kind: string; ip: string; node: string; mode: string; at: number });
  const banEntries = (ip: string) => stream().filter((d) => d.kind === 'ban' && d.ip === ip);
  assert.equal(banEntries(attacker.v4).length, 1, 'exactly one fleet ban of the attacker');
  const decisionMs = Number(redis.cli('--raw', 'XRANGE', '{warden}:decisions', '-', '+', 'COUNT', '1').split('\n')[0].split('-')[0]);
  for (const r of res) assert.ok(r.firstFailSent, `${r.url} never dropped the attacker: ${JSON.stringify(res)}`);
  const lastDrop = maxOf(res.map((r) => r.firstFailSent!));
  t.diagnostic(`flood start -> decision ${decisionMs - res[0].firstSent} ms; decision -> dropped on all three ${lastDrop - decisionMs} ms ` +
    `(per node ${res.map((r) => r.firstFailSent! - decisionMs).join(', ')} ms)`);
  assert.ok(lastDrop - decisionMs < 2000, `dropped on all three ${lastDrop - decisionMs} ms after the decision`);
  for (const n of nodes) {
    assert.ok(ipset(net, n).includes(attacker.v4), `${n.name} holds the ban`);
    assert.equal(canConnect(bystander.ns, n), true, `the bystander is served by ${n.name}`);
  }

  // 2. Forged decisions straight into Valkey: refused and audited by every node, nothing enforced.
  const forged = (ip: string, id: string) => JSON.stringify({ v: 1, id, kind: 'ban', ip, at: Math.floor(Date.now() / 1000), until: null,
    step: 1, rule: 'manual', rate: 0, errorRate: 0, z: 0, src: 'manual', node: 'evil', mode: 'manual', ep: 0, bl: { mean: 1, stddev: 1, errorMean: 0, source: 'floor' } });
  redis.cli('XADD', '{warden}:decisions', '*', 'd', forged('0.0.0.0/0', 'forged-net'));
  redis.cli('XADD', '{warden}:decisions', '*', 'd', forged('198.51.100.7', 'forged-allowed'));
  redis.cli('XADD', '{warden}:decisions', '*', 'd', forged(nodes[1].v4, 'forged-own'));
  const audit = (n: Node) => readFileSync(join(n.dir, 'audit.log'), 'utf8');
  assert.ok(await waitFor(() => nodes.every((n) => (audit(n).match(/fleet decision refused/g) ?? []).length >= 3), 3000, 20), 'refusals audited');
  for (const n of nodes) {
    assert.match(audit(n), /ip `0\.0\.0\.0\/0` is too wide a network.*forged-net/);
    assert.match(audit(n), /ip `198\.51\.100\.7` is on this node's allow-list.*forged-allowed/);
    const entries = ipset(net, n);
    assert.ok(!entries.includes('198.51.100.7') && !entries.includes('0.0.0.0'), `${n.name} enforced a forged decision`);
  }
  for (const n of nodes) assert.match(audit(n), /ip `198\.18\.0\.2` is on this node's allow-list \(or is this node's own address\).*forged-own/);

  // 3. kill -9 of the deciding node: another takes over within 5 s, with nothing lost or doubled.
  const before = leaseHolder().split('|')[0];
  const dead = nodes.find((n) => n.name === before)!;
  const killedAt = Date.now();
  await stopChild(dead.child, 'SIGKILL');
  const takeover = await waitFor(() => { const h = leaseHolder(); return h !== '' && !h.startsWith(`${before}|`); }, 8000, 20);
  assert.ok(takeover, 'no node took over');
  t.diagnostic(`kill -9 of ${before} -> ${leaseHolder().split('|')[0]} decides after ${takeover - killedAt} ms`);
  assert.ok(takeover - killedAt < 5000, `takeover after ${takeover - killedAt} ms`);
  // Give the new decider a few decisions' time: it must not ban the attacker again (its window was rebuilt from Valkey).
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(banEntries(attacker.v4).length, 1, 'the attacker was banned twice');
  for (const n of nodes.filter((x) => x !== dead)) assert.deepEqual(ipset(net, n).filter((ip) => ip === attacker.v4), [attacker.v4]);

  // ... and it rejoins as a new node (fresh database, its stale set entry removed at start): every active ban is in
  // its firewall the first time it answers healthy.
  dead.dir = join(tmp.dir, `${dead.name}-fresh`);
  mkdirSync(dead.dir, { recursive: true });
  writeFileSync(dead.cfg, configYaml(dead, redis.url));
  let atHealthy: string[] | null = null;
  await startWarden(net, dead, () => { atHealthy ??= ipset(net, dead); });
  assert.deepEqual(atHealthy, [attacker.v4], 'the late node answered healthy before it held every active ban');

  // 4. redis-server stopped for 30 s while attacker2 floods node 1 alone: node 1 bans by itself.
  await redis.stop();
  const outageStart = Date.now();
  const local = await flood(net, attacker2.ns, 100, 15, [url(nodes[0])]);
  assert.ok(local[0].firstFailSent, `node 1 did not ban alone: ${JSON.stringify(local)}`);
  t.diagnostic(`Valkey down: flood -> dropped by node 1 alone after ${local[0].firstFailSent! - local[0].firstSent} ms`);
  assert.ok(ipset(net, nodes[0]).includes(attacker2.v4));
  assert.ok(!ipset(net, nodes[1]).includes(attacker2.v4) && !ipset(net, nodes[2]).includes(attacker2.v4), 'others cannot know yet');
  for (const n of nodes) assert.ok(ipset(net, n).includes(attacker.v4), `${n.name} dropped a ban while Valkey was down`);
  await waitFor(() => Date.now() - outageStart >= 30_000, 31_000, 100);
  await redis.start();
  const restartedAt = Date.now();
  const healed = await waitFor(() => nodes.every((n) => ipset(net, n).includes(attacker2.v4)), 10_000, 50);
  assert.ok(healed, 'the ban made alone did not reach every node after Valkey came back');
  t.diagnostic(`Valkey back -> node 1's queued ban on every node after ${healed - restartedAt} ms`);
  await new Promise((r) => setTimeout(r, 1500));
  const sets = nodes.map((n) => ipset(net, n).sort());
  for (const s of sets) {
    assert.equal(new Set(s).size, s.length, 'an entry twice');
    assert.deepEqual(s, [attacker.v4, attacker2.v4].sort());
  }
  const actives = nodes.map((n) => {
    const st = openStore(join(n.dir, 'warden.db'), { readonly: true });
    try {
      return st.activeBans().map((b) => `${b.ip} ${b.planned_end} ${b.node}`).sort();
    } finally {
      st.close();
    }
  });
  for (const a of actives) {
    assert.equal(a.length, 2, `active bans: ${a.join('; ')}`);
    assert.deepEqual(a, actives[0], 'the databases disagree');
  }
  assert.ok(actives[0].some((l) => l.startsWith(`${attacker2.v4} `) && l.endsWith(' n1')), 'the outage ban is recorded with node n1');
  assert.equal(banEntries(attacker2.v4).length, 1, 'the queued ban was published once');
});
