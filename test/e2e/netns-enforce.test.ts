// End to end inside network namespaces, as root: nginx and the real daemon process (`warden start`, ipset backend) run in
// a server namespace; clients in their own namespaces send real packets. Measures flood -> first dropped packet, and
// checks that kill -9 with 1,000 active bans loses nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { createTestNetwork, netnsSkipReason, type TestNetwork } from '../harness/netns.js';
import { startNginx, nginxSkipReason, repoRoot, type RunningNginx } from '../harness/nginx.js';
import { needCommands } from '../harness/tools.js';
import { openStore } from '../../enforcer/adapters/store/warden-store.js';
import type { BanDecision } from '../../enforcer/core/types.js';
import { tempDir, waitFor } from './helpers.js';

const skip = netnsSkipReason() || nginxSkipReason() || needCommands('ipset', 'iptables', 'ip6tables', 'curl');
const cli = join(repoRoot, 'dist/enforcer/cli/main.js');
const TOKEN = 'e2e-token-0123456789abcdef';

/** The daemon's config against the harness nginx `ng` (its internal listener and the secret file it includes). */
function configYaml(dir: string, ng: Pick<RunningNginx, 'internalPort' | 'secretFile'>): string {
  return [
    'log_level: info',
    `nginx: { url: "http://127.0.0.1:${ng.internalPort}", secret_file: "${ng.secretFile}" }`,
    'enforcement: { backends: [ipset], name: wdtest }',
    `storage: { database: "${dir}/warden.db", audit_log: "${dir}/audit.log" }`,
    `api: { listen: "127.0.0.1:18080", tokens: ["${TOKEN}"] }`,
    '',
  ].join('\n');
}

/** Sends `signal` and resolves when the process has exited (so its files can be removed after). */
function stopChild(child: ChildProcess | null, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** Starts `warden start` inside the namespace; resolves once its API answers. */
async function startWarden(net: TestNetwork, cfg: string, logFile: string): Promise<ChildProcess> {
  const out = { data: '' };
  const child = spawn('ip', ['netns', 'exec', net.serverNs, process.execPath, cli, 'start', '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (b) => { out.data += b; });
  child.stderr!.on('data', (b) => { out.data += b; });
  child.on('exit', () => {
    try {
      writeFileSync(logFile, out.data);
    } catch {
      // the test's temp folder is already gone
    }
  });
  const up = await waitFor(() => net.tryExec(net.serverNs, 'curl', ['-sf', '-m', '1', 'http://127.0.0.1:18080/healthz']).status === 0, 20_000, 100);
  if (up === null) {
    child.kill('SIGKILL');
    throw new Error(`warden did not start:\n${out.data}`);
  }
  return child;
}

function ipsetEntries(net: TestNetwork): string[] {
  return net.exec(net.serverNs, 'ipset', ['save']).split('\n').filter((l) => l.startsWith('add ')).map((l) => l.split(' ')[2]);
}

function canConnect(net: TestNetwork, ns: string, url: string): boolean {
  return net.tryExec(ns, 'curl', ['-s', '-o', '/dev/null', '-m', '1', url]).status === 0;
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('flood from a client namespace -> ipset ban -> its packets are dropped within seconds; another client is served', { skip }, async (t) => {
  const net = createTestNetwork(2);
  const tmp = tempDir();
  let ng: RunningNginx | null = null;
  let warden: ChildProcess | null = null;
  t.after(async () => {
    await stopChild(warden, 'SIGTERM');
    await ng?.stop();
    net.destroy();
    tmp.remove();
  });
  ng = await startNginx({ workers: 2, netns: net.serverNs, servers: [{ body: 'location / { return 200 "ok\\n"; }', listen: ['{port}', '[::]:{port}'] }] });
  const cfg = join(tmp.dir, 'warden.yaml');
  writeFileSync(cfg, configYaml(tmp.dir, ng));
  warden = await startWarden(net, cfg, join(tmp.dir, 'daemon.log'));
  const url = `http://${net.serverV4}:${ng.port}/`;
  const [attacker, bystander] = net.clients;
  assert.ok(canConnect(net, attacker.ns, url) && canConnect(net, bystander.ns, url), 'both clients reach nginx before the flood');
  await wait(1200);

  const res = JSON.parse(net.exec(attacker.ns, process.execPath, [join(repoRoot, 'dist/test/e2e/flood-client.js'), url, '8', '4']));
  assert.ok(res.firstFailSent, `the flood was never cut off: ${JSON.stringify(res)}`);
  const latency = res.firstFailSent - res.firstSent;
  t.diagnostic(`flood start -> first dropped packet: ${latency} ms (${res.ok} requests answered before the drop)`);
  // Per-second buckets polled every second: ~1-3 s on an idle machine; the 2 s target is measured by bench/compare, the
  // margin here is for a shared, loaded machine.
  assert.ok(latency < 5000, `first dropped packet ${latency} ms after the flood started`);

  // (A request can also time out on a loaded machine before the ban: wait for the set rather than trust the first drop.)
  assert.ok(await waitFor(() => ipsetEntries(net).includes(attacker.v4), 5000, 100), 'the attacker is in the ipset set');
  assert.equal(canConnect(net, attacker.ns, url), false, 'the banned client can still connect');
  assert.equal(canConnect(net, bystander.ns, url), true, 'the other client was cut off too');

  // Manual unban through the CLI (it finds the daemon's token file) restores service.
  const un = net.tryExec(net.serverNs, process.execPath, [cli, 'unban', attacker.v4, '--config', cfg]);
  assert.equal(un.status, 0, un.stderr);
  assert.ok(await waitFor(() => canConnect(net, attacker.ns, url), 10_000, 100), 'unbanned client still cannot connect');
});

test('kill -9 with 1,000 active bans: after restart all are enforced once, expired ones removed, offence counts kept', { skip }, async (t) => {
  const net = createTestNetwork(2);
  const tmp = tempDir();
  let ng: RunningNginx | null = null;
  let warden: ChildProcess | null = null;
  t.after(async () => {
    await stopChild(warden, 'SIGKILL');
    await ng?.stop();
    net.destroy();
    tmp.remove();
  });
  ng = await startNginx({ workers: 1, netns: net.serverNs, servers: [{ body: 'location / { return 200 "ok\\n"; }', listen: ['{port}'] }] });
  const cfg = join(tmp.dir, 'warden.yaml');
  writeFileSync(cfg, configYaml(tmp.dir, ng));
  const url = `http://${net.serverV4}:${ng.port}/`;
  const [banned, free] = net.clients;

  // 1,000 bans in the database: 990 for an hour (one of them a real client namespace), 10 that end in 8 s.
  const now = Math.floor(Date.now() / 1000);
  const store = openStore(join(tmp.dir, 'warden.db'));
  const baseline = { mean: 1, stddev: 0.5, errorMean: 0.1, rawMean: 0, rawStddev: 0, samples: 0, source: 'floor' as const, computedAt: now };
  const ips = [banned.v4, ...Array.from({ length: 999 }, (_, i) => `203.0.${113 + Math.floor(i / 250)}.${1 + (i % 250)}`)];
  store.transaction(() => {
    ips.forEach((ip, i) => {
      const short = i >= 990;
      const ban: BanDecision = { kind: 'ban', ip, at: now, until: now + (short ? 8 : 3600), durationSec: short ? 8 : 3600, step: 1,
        rule: 'zscore', rate: 50, errorRate: 0, z: 9, baseline, tightened: false, source: 'auto' };
      store.insertBan(ban);
      store.recordOffence(ip, 1, now);
    });
  });
  store.close();

  warden = await startWarden(net, cfg, join(tmp.dir, 'daemon-1.log'));
  assert.equal(ipsetEntries(net).length, 1000, 'all 1,000 bans applied at start');
  assert.equal(canConnect(net, banned.ns, url), false);
  assert.equal(canConnect(net, free.ns, url), true);

  warden.kill('SIGKILL');
  await new Promise((r) => warden!.once('exit', r));
  // the 10 short bans run out while the daemon is dead
  await waitFor(() => Date.now() / 1000 > now + 9, 15_000, 100);

  warden = await startWarden(net, cfg, join(tmp.dir, 'daemon-2.log'));
  const entries = ipsetEntries(net);
  assert.equal(entries.length, 990, 'exactly the bans still running are enforced');
  assert.equal(new Set(entries).size, entries.length, 'no entry twice');
  assert.equal(canConnect(net, banned.ns, url), false, 'a ban was lost across kill -9');
  assert.equal(canConnect(net, free.ns, url), true);

  const check = openStore(join(tmp.dir, 'warden.db'), { readonly: true });
  try {
    const active = check.activeBans();
    assert.equal(active.length, 990);
    assert.equal(new Set(active.map((b) => b.ip)).size, 990, 'no duplicate active rows');
    const ended = check.history({ activeOnly: false, limit: 1000 }).rows.filter((r) => r.ended_at !== null);
    assert.equal(ended.length, 10);
    assert.ok(ended.every((r) => r.unban_reason === 'expired'));
    const offences = check.offences(0);
    assert.equal(offences.length, 1000, 'offence counts kept');
    assert.ok(offences.every((o) => o.count === 1));
  } finally {
    check.close();
  }
  const audit = readFileSync(join(tmp.dir, 'audit.log'), 'utf8');
  assert.equal((audit.match(/ UNBAN /g) ?? []).length, 10);
});
