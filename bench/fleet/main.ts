// Fleet mode (docs/fleet.md) against a real redis-server on loopback:
//   1. ban propagation: 5 fleet daemons in this process (dry-run backends); 200 decisions published 10 a second; per
//      decision, the time from its stream entry (server clock) to enforced on each node: p50/p99 per node and to every node;
//   2. Valkey operations and bytes per node per second when a node publishes 10,000 clients a second (INFO deltas);
//   3. the deciding node's CPU with 10 simulated nodes x 10,000 clients a second (recorded traffic, published by
//      another process), over 30 s after a 15 s warm-up.
// Usage: npm run bench -- fleet   (needs redis-server or valkey-server)
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import { startDaemon, type Daemon } from '../../enforcer/daemon/daemon.js';
import { parseConfig } from '../../enforcer/config/load.js';
import { createValkeyLink } from '../../enforcer/adapters/fleet/valkey-link.js';
import { startRedis, redisSkipReason } from '../../test/harness/redis.js';
import { freePort } from '../../test/harness/nginx.js';
import { tempDir, testConfig } from '../../test/e2e/helpers.js';
import { maxOf } from '../../enforcer/core/arrays.js';
import { recordNode } from './recording.js';

const here = dirname(fileURLToPath(import.meta.url));
const skip = redisSkipReason();
if (skip) {
  console.log(`fleet bench skipped: ${skip}`);
  process.exit(0);
}
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const info = (redis: Awaited<ReturnType<typeof startRedis>>) => {
  const text = redis.cli('INFO', 'stats');
  const v = (k: string) => Number(new RegExp(`^${k}:(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { cmds: v('total_commands_processed'), inBytes: v('total_net_input_bytes'), outBytes: v('total_net_output_bytes') };
};

async function daemons(n: number, url: string, dir: string): Promise<Daemon[]> {
  const out: Daemon[] = [];
  for (let i = 1; i <= n; i++) {
    const config = testConfig(join(dir, `n${i}`), { nginx: { url: `http://127.0.0.1:${await freePort()}`, timeout_ms: 100 },
      enforcement: { backends: ['dry-run'] }, fleet: { url, node: `node${i}` } });
    out.push(await startDaemon(config, { serveHttp: false, onGeneratedPassword: () => {}, hostAddresses: [] }));
  }
  return out;
}

// 1. Propagation.
{
  const redis = await startRedis({ port: await freePort() });
  const tmp = tempDir('warden-bench-fleet-');
  const ds = await daemons(5, redis.url, tmp.dir);
  const link = createValkeyLink(parseConfig({ fleet: { url: redis.url } }).fleet!, { info: () => {}, warn: () => {} });
  await link.connect(3000);
  const N = 200;
  const now = Math.floor(Date.now() / 1000);
  for (let i = 0; i < N; i++) {
    const ip = `203.0.${113 + Math.floor(i / 250)}.${1 + (i % 250)}`;
    await link.publish([JSON.stringify({ v: 1, id: `bench:${i}`, kind: 'ban', ip, at: now, until: now + 3600, step: 1, rule: 'manual',
      rate: 0, errorRate: 0, z: 0, src: 'manual', node: 'bench', mode: 'manual', ep: 0, bl: { mean: 1, stddev: 1, errorMean: 0, source: 'floor' } })], null, 100_000);
    await sleep(100);
  }
  const end = Date.now() + 5000;
  while (Date.now() < end && !ds.every((d) => d.fleet!.lagSamples().length >= N)) await sleep(50);
  const per = ds.map((d) => d.fleet!.lagSamples().slice(-N));
  const every = Array.from({ length: N }, (_, i) => maxOf(per.map((l) => l[i] ?? Infinity)));
  console.log(`ban propagation, ${N} decisions at 10/s, 5 nodes in one process (dry-run backends): stream entry -> enforced`);
  const f = (n: number) => n.toFixed(1);
  per.forEach((l, i) => console.log(`  node${i + 1}: p50 ${f(pct(l, 0.5))} ms, p99 ${f(pct(l, 0.99))} ms, max ${f(maxOf(l))} ms`));
  console.log(`  to every node: p50 ${f(pct(every, 0.5))} ms, p99 ${f(pct(every, 0.99))} ms (target: p99 under 1,000 ms: ${pct(every, 0.99) < 1000 ? 'met' : 'NOT met'})`);
  await link.close();
  for (const d of ds) await d.stop();
  await redis.destroy();
  tmp.remove();
}

// 2. One node's cost at 10,000 clients a second.
{
  const redis = await startRedis({ port: await freePort() });
  const link = createValkeyLink(parseConfig({ fleet: { url: redis.url } }).fleet!, { info: () => {}, warn: () => {} });
  await link.connect(3000);
  const texts = recordNode(0, 10_000, 5);
  const S = 10;
  let t = Math.floor(Date.now() / 1000);
  const a = info(redis);
  for (let i = 0; i < S; i++, t++) {
    await link.publishCounts('node1', [{ t, text: texts[i % texts.length] }], 75, JSON.stringify({ v: 1, role: 'follower', seen: Date.now(), lag: 1, rate: 20000, bans: 0, queued: 0 }));
  }
  const b = info(redis);
  const key = redis.cli('MEMORY', 'USAGE', `{warden}:c:${t - 1}`).trim();
  console.log('one node publishing 10,000 clients a second (pipelined HSET + EXPIRE + heartbeat):');
  console.log(`  ${((b.cmds - a.cmds - 1) / S).toFixed(1)} operations/s, ${((b.inBytes - a.inBytes) / S / 1024).toFixed(0)} KB/s in, ` +
    `${((b.outBytes - a.outBytes) / S / 1024).toFixed(1)} KB/s out; payload ${(texts[0].length / 1024).toFixed(0)} KB a second; ` +
    `${(Number(key) / 1024).toFixed(0)} KB of server memory a second kept (x 75 s = ${(Number(key) * 75 / 1048576).toFixed(1)} MB per node)`);
  await link.close();
  await redis.destroy();
}

// 3. The decider's CPU with 10 nodes x 10,000 clients a second.
{
  const redis = await startRedis({ port: await freePort() });
  const tmp = tempDir('warden-bench-fleet-');
  const WARM = 15;
  const MEASURE = 30;
  const pub = spawn(process.execPath, [join(here, 'publishers.js'), String(redis.port), '10', '10000', String(WARM + MEASURE + 3)], { stdio: 'inherit' });
  const [decider] = await daemons(1, redis.url, tmp.dir);
  const loopDelay = monitorEventLoopDelay({ resolution: 20 });
  loopDelay.enable();
  await sleep(WARM * 1000);
  const c0 = process.cpuUsage();
  const i0 = info(redis);
  const t0 = performance.now();
  await sleep(MEASURE * 1000);
  const c1 = process.cpuUsage(c0);
  const i1 = info(redis);
  const wall = performance.now() - t0;
  const s = decider.fleet!.view();
  console.log(`the deciding node with 10 nodes x 10,000 clients a second (100,000 per second, ${s.role}; fleet rate ${s.fleetRate?.toFixed(0)} req/s):`);
  console.log(`  CPU ${(((c1.user + c1.system) / 1000) / wall * 100).toFixed(1)}% of one core over ${MEASURE} s ` +
    `(user ${(c1.user / 1e6).toFixed(1)} s, system ${(c1.system / 1e6).toFixed(1)} s); it reads ${((i1.outBytes - i0.outBytes) / (wall / 1000) / 1048576).toFixed(1)} MB/s from the server ` +
    `(all 10 nodes' counts), the server processed ${((i1.cmds - i0.cmds) / (wall / 1000)).toFixed(0)} operations/s in all`);
  loopDelay.disable();
  console.log(`  event-loop delay: p99 ${(loopDelay.percentile(99) / 1e6).toFixed(0)} ms, max ${(loopDelay.max / 1e6).toFixed(0)} ms; ` +
    `the decider took over ${s.token} time(s) (1 = it kept the lease throughout)`);
  await new Promise((r) => pub.once('exit', r));
  await decider.stop();
  await redis.destroy();
  tmp.remove();
}
process.exit(0);
