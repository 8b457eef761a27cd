// Benchmark of the decision core: the cost of one poll (ingest one second of counts + tick) with 1k, 10k and 100k
// active IPs, its heap, and how both grow; then the replay of the fixture log. Run: npm run bench -- engine
import v8 from 'node:v8';
import vm from 'node:vm';
import { join } from 'node:path';
import { parseConfig } from '../../enforcer/config/load.js';
import { createEngine, engineConfigFrom } from '../../enforcer/core/engine.js';
import type { Counts, SecondBucket } from '../../enforcer/core/types.js';
import { buildMatcher } from '../../enforcer/net/cidr.js';
import { runReplay } from '../../enforcer/replay/run-replay.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const root = process.env.WARDEN_ROOT ?? process.cwd();
const config = parseConfig({}, {});
const T0 = Date.UTC(2026, 0, 1, 12) / 1000;

/** N addresses spread over 10.0.0.0/8 and 2001:db8::/32 (one in ten IPv6). */
function addresses(n: number): string[] {
  return Array.from({ length: n }, (_, i) => (i % 10 === 9 ? `2001:db8::${i.toString(16)}` : `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`));
}

/** Buckets for one second: every IP (`every` = 1) or one IP in `every`, rotating. */
function buckets(ips: string[], every: number): SecondBucket[][] {
  return Array.from({ length: every }, (_, phase) => {
    const per: Record<string, Counts> = {};
    let total = 0;
    for (let i = phase; i < ips.length; i += every) {
      per[ips[i]] = [1 + (i % 3), i % 7 === 0 ? 1 : 0, 0];
      total += 1 + (i % 3);
    }
    return [{ t: 0, global: [total, 0, 0], ips: per }];
  });
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

interface Row { n: number; profile: string; entries: number; ingest: number; tick: number; tickP95: number; recompute: number; heapMb: number }

function measure(n: number, every: number): Row {
  const ips = addresses(n);
  const seconds = buckets(ips, every);
  const heap = () => {
    gc();
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.external;
  };
  const heap0 = heap();
  const engine = createEngine(engineConfigFrom(config), { isAllowed: buildMatcher(['127.0.0.0/8', '::1']) });
  const feed = (t: number) => {
    const b = seconds[t % every][0];
    b.t = t;
    engine.ingest([b]);
  };
  // Fill the window (60 s) and a bit more, so every tick both adds and expires a full second.
  let t = T0;
  for (; t < T0 + 62; t++) {
    feed(t);
    engine.tick(t + 1);
  }
  const ingestMs: number[] = [];
  const tickMs: number[] = [];
  let recompute = 0;
  for (let k = 0; k < 60; k++, t++) {
    const a = performance.now();
    feed(t);
    const b = performance.now();
    const ds = engine.tick(t + 1);
    const c = performance.now();
    ingestMs.push(b - a);
    if (ds.some((d) => d.kind === 'baseline')) recompute = c - b;
    else tickMs.push(c - b);
  }
  const active = engine.status(t, 0).activeIps;
  if (active !== n) throw new Error(`expected ${n} active IPs, got ${active}`);
  // The engine's own heap (JS heap + typed-array backing stores) after the run; the input buckets existed before.
  const heapMb = (heap() - heap0) / 1048576;
  return {
    n, profile: every === 1 ? 'every IP every second' : `each IP every ${every}s`, entries: Math.round((n / every) * 60),
    ingest: pct(ingestMs, 0.5), tick: pct(tickMs, 0.5), tickP95: pct(tickMs, 0.95), recompute, heapMb,
  };
}

const f = (x: number, d = 2) => x.toFixed(d).padStart(8);
console.log('engine: one poll = ingest one second of counts + tick; window 60 s, defaults; median of 60 polls after the window filled');
console.log('    IPs  profile                  entries  ingest ms  tick ms  tick p95  recompute tick ms  poll ms  heap MB  poll growth  heap growth');
const rows: Row[] = [];
for (const every of [1, 10]) {
  let prev: Row | null = null;
  for (const n of [1_000, 10_000, 100_000]) {
    const r = measure(n, every);
    rows.push(r);
    const poll = r.ingest + r.tick;
    const growth = prev ? `x${(poll / (prev.ingest + prev.tick)).toFixed(1)}` : '-';
    const heapGrowth = prev ? `x${(r.heapMb / prev.heapMb).toFixed(1)}` : '-';
    console.log(`${String(n).padStart(7)}  ${r.profile.padEnd(23)} ${String(r.entries).padStart(8)} ${f(r.ingest)}   ${f(r.tick)} ${f(r.tickP95)}   ${f(r.recompute)}           ${f(poll)} ${f(r.heapMb, 1)}  ${growth.padStart(11)}  ${heapGrowth.padStart(11)}`);
    prev = r;
  }
}
const worst = rows.find((r) => r.n === 100_000 && r.profile.startsWith('every'))!;
const worstTick = Math.max(worst.tickP95, worst.recompute);
console.log(`target: tick() with 100k active IPs under 50 ms: ${worstTick.toFixed(1)} ms (p95, or the recompute tick) -> ${worstTick < 50 ? 'met' : 'NOT met'}`);
console.log(`        the whole poll (ingest of a 100k-key bucket + tick): ${(worst.ingest + worst.tick).toFixed(1)} ms -> ${worst.ingest + worst.tick < 50 ? 'met' : 'NOT met'} (iterating the 100k keys of the bucket object alone is ~30 ms in V8)`);

console.log('\nreplay of test/fixtures/semicomplete-2015-access.log (10,000 lines, 83 h of log):');
for (const [speed, variant] of [[24, 'default'], [1, 'default'], [24, 'original'], [1, 'original']] as const) {
  const s = await runReplay({ file: join(root, 'test/fixtures/semicomplete-2015-access.log'), config, speed, variant, hostAddresses: [], out: () => {} });
  console.log(`  speed ${String(speed).padStart(2)} ${variant.padEnd(8)}: ${String(s.elapsedMs).padStart(5)} ms, simulated ${s.simulatedSeconds} s, ${s.bans} ban(s) of ${s.bannedIps.length} address(es)${s.bannedIps.length ? ` (${s.bannedIps.join(', ')})` : ''}, ${s.globalAlerts} global alert(s)`);
}
