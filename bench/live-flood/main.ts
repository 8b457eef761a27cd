// The original tool's own scenario, live (issue 11, target 1): real nginx with the warden include and the real daemon
// (defaults, ipset) in a server namespace; in a client namespace 50 addresses send 20 req/s in all, and after a warm-up
// one more address floods at 200 req/s. Per run, from the flood's first request: the daemon's ban (its `banned` log
// line, written once the ipset batch is committed) and the first dropped packet (the first request of the flooder's
// final run of unanswered ones). p50 over the runs. Each run starts from a fresh network, nginx and daemon, and tears
// them down even on failure. Needs root and an nginx with njs >= 0.8.
// Run: npm run bench -- live-flood   (LIVE_FLOOD_RUNS=5, LIVE_FLOOD_WARMUP=130 seconds of background before the flood,
// LIVE_FLOOD_SECONDS=20 at most of flood; the flood stops once the flooder is cut off). The default warm-up lets the
// daemon recompute its baseline twice (every 60 s, over seconds older than the 60-s window): the flood then meets the
// learned baseline of the busy site (~20 req/s), as in the original tool's scenario, not the floors of a fresh start.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { netnsSkipReason, removeStaleNamespaces } from '../../test/harness/netns.js';
import { nginxSkipReason, startNginx, type RunningNginx } from '../../test/harness/nginx.js';
import { createBenchNetwork, type BenchNetwork } from '../compare/network.js';
import { runDriver, waitReachable } from '../compare/run-driver.js';
import { replayAddress, type Attack, type DriverPlan } from '../compare/schedule.js';
import { startWarden, type RunningWarden } from '../compare/warden.js';
import { percentile } from '../detection/score.js';

const skip = netnsSkipReason() || nginxSkipReason();
if (skip) {
  console.log(`bench/live-flood skipped: ${skip}`);
  process.exit(0);
}

/** A positive integer from the environment, or the default; anything else stops the bench naming the variable. */
function envInt(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`bench/live-flood: ${name} must be a whole number >= 1, got ${JSON.stringify(v)}`);
    process.exit(2);
  }
  return n;
}

const RUNS = envInt('LIVE_FLOOD_RUNS', 5);
const WARMUP_SEC = envInt('LIVE_FLOOD_WARMUP', 130);
const FLOOD_SEC = envInt('LIVE_FLOOD_SECONDS', 20);
const FLOODER = '198.18.100.1';
const BACKGROUND = Array.from({ length: 50 }, (_, i) => replayAddress(i));

/** The traffic of one run: the background from the start to past the flood, the flood after the warm-up. */
function plan(): DriverPlan {
  const background: Attack = {
    name: 'background', description: '50 addresses, 0.4 req/s each (20 req/s in all)', addresses: BACKGROUND,
    startMs: 0, durationMs: (WARMUP_SEC + FLOOD_SEC + 5) * 1000, ratePerAddress: 0.4, concurrency: 2,
    method: 'GET', path: '/page/{n}', timeoutMs: 2000,
  };
  const flood: Attack = {
    name: 'flood', description: 'one address, 200 req/s', addresses: [FLOODER], startMs: WARMUP_SEC * 1000,
    durationMs: FLOOD_SEC * 1000, ratePerAddress: 200, concurrency: 64, method: 'GET', path: '/?n={n}', timeoutMs: 1000,
  };
  return { replay: [], replayAddresses: [], attacks: [background, flood] };
}

/** What one run measured (ms from the flood's first request; null when it did not happen). */
interface RunResult {
  banMs: number | null;
  firstDropMs: number | null;
  floodSent: number;
  floodAnswered: number;
  backgroundSent: number;
  backgroundFailed: number;
  wronglyBanned: string[];
  /** The daemon's log line and audit line of the flooder's ban (the audit line shows the rule and the baseline). */
  banLine: string | null;
  auditLine: string | null;
}

/** What the run in progress holds, for the signal handler: stops the daemon and nginx, deletes the namespaces. */
let cleanup: (() => Promise<void>) | null = null;
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    stopping = true;
    console.error(`bench/live-flood: ${sig}: cleaning up`);
    void (cleanup ?? (async () => {}))().finally(() => process.exit(130));
  });
}

async function oneRun(): Promise<RunResult> {
  removeStaleNamespaces();
  const net: BenchNetwork = createBenchNetwork([...BACKGROUND, FLOODER]);
  const tmp = mkdtempSync(join(tmpdir(), 'warden-live-flood-'));
  let ng: RunningNginx | null = null;
  let w: RunningWarden | null = null;
  const drivers = new AbortController();
  cleanup = async () => {
    drivers.abort();
    await w?.stop();
    await ng?.stop();
    net.destroy();
    rmSync(tmp, { recursive: true, force: true });
  };
  try {
    ng = await startNginx({ workers: 2, netns: net.serverNs, servers: [{ listen: ['{port}'], body: '    location / { return 200 "ok\\n"; }' }] });
    w = await startWarden(net, tmp, ng);
    const planFile = join(tmp, 'plan.json');
    writeFileSync(planFile, JSON.stringify(plan()));
    const url = `http://${net.serverV4}:${ng.port}/`;
    await waitReachable(net, url, '198.18.0.2');
    const start = Date.now() + 2000;
    const [bg, fl] = await Promise.all([runDriver(net, planFile, start, url, ['attack', '0'], drivers.signal),
      runDriver(net, planFile, start, url, ['attack', '1'], drivers.signal)]);
    const f = fl[FLOODER];
    const ban = w.banTimes().find((b) => b.ip === FLOODER) ?? null;
    const banned = w.banned();
    let backgroundSent = 0;
    let backgroundFailed = 0;
    for (const r of Object.values(bg)) {
      backgroundSent += r.sent;
      backgroundFailed += r.failed;
    }
    return {
      banMs: ban && f?.firstSentMs ? ban.atMs - f.firstSentMs : null,
      firstDropMs: f?.cutAtMs != null && banned.has(FLOODER) ? f.cutAtMs - f.firstSentMs : null,
      floodSent: f?.sent ?? 0,
      floodAnswered: f?.ok ?? 0,
      backgroundSent,
      backgroundFailed,
      wronglyBanned: BACKGROUND.filter((a) => banned.has(a)),
      banLine: ban?.line ?? null,
      auditLine: w.banLog().find((b) => b.ip === FLOODER)?.line ?? null,
    };
  } finally {
    await cleanup();
    cleanup = null;
  }
}

const fmt = (ms: number | null) => (ms === null ? 'none' : `${(ms / 1000).toFixed(2)} s`);

console.log(`live flood: 50 addresses at 20 req/s in all; after ${WARMUP_SEC} s one address floods at 200 req/s (at most ${FLOOD_SEC} s); ` +
  `warden defaults, ipset; ${RUNS} run(s)`);
const results: RunResult[] = [];
for (let i = 0; i < RUNS; i++) {
  let r: RunResult;
  try {
    r = await oneRun();
  } catch (err) {
    if (stopping) await new Promise(() => {}); // the signal handler is cleaning up and exits
    throw err;
  }
  results.push(r);
  console.log(`run ${i + 1}: banned ${fmt(r.banMs)}, first dropped packet ${fmt(r.firstDropMs)} after the flood's first request; ` +
    `flood ${r.floodAnswered}/${r.floodSent} answered${r.firstDropMs ? ` (${(r.floodAnswered / (r.firstDropMs / 1000)).toFixed(0)} req/s until the first drop)` : ''}; background ${r.backgroundFailed} of ${r.backgroundSent} unanswered; ` +
    `background addresses banned: ${r.wronglyBanned.length}${r.banLine ? `\n  ${r.banLine}` : ''}${r.auditLine ? `\n  ${r.auditLine}` : ''}`);
}
const sorted = (xs: Array<number | null>) => xs.filter((x): x is number => x !== null).sort((a, b) => a - b);
const bans = sorted(results.map((r) => r.banMs));
const drops = sorted(results.map((r) => r.firstDropMs));
const range = (xs: number[]) => (xs.length ? ` (min ${fmt(xs[0])}, max ${fmt(xs[xs.length - 1])})` : '');
console.log(`p50 over ${RUNS} run(s): banned ${fmt(percentile(bans, 50))}${range(bans)}, first dropped packet ${fmt(percentile(drops, 50))}${range(drops)}; ` +
  `runs where the flooder was banned: ${bans.length}/${RUNS}; background addresses banned in all: ${results.reduce((n, r) => n + r.wronglyBanned.length, 0)}`);
