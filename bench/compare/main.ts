// Side by side with fail2ban (issue 6, part 3): the same traffic through the same nginx, once guarded by fail2ban
// (Debian package, two jails on the access log, iptables-multiport) and once by warden (the real daemon, defaults,
// ipset). The real log test/fixtures/semicomplete-2015-access.log is replayed time-compressed from ~1,750 source
// addresses in a client namespace, with four attacks injected at the same times (schedule.ts). Per system: time from
// attack start to the first dropped packet, attackers caught, real clients wrongly banned, CPU seconds per 100k
// requests (nginx + detector), memory. Needs root, fail2ban and an nginx with njs >= 0.8.
// Run: npm run bench -- compare   (COMPARE_SPEED=1000 log seconds per second; COMPARE_ONLY=fail2ban|warden;
// COMPARE_WARMUP=130 seconds before the first attack; COMPARE_PRINT_CONFIG=1 prints the fail2ban files)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { netnsSkipReason, removeStaleNamespaces } from '../../test/harness/netns.js';
import { nginxSkipReason, repoRoot, startNginx, type RunningNginx } from '../../test/harness/nginx.js';
import { createBenchNetwork } from './network.js';
import { makePlan, maxInWindow, type Plan } from './schedule.js';
import { attackOutcome, type AttackOutcome, type BanLine } from './outcome.js';
import { fail2banBackend, fail2banFiles, fail2banMissing, startFail2ban, type JailTuning } from './fail2ban.js';
import { startWarden, wardenConfig } from './warden.js';
import { statusMiB, treeCpuSeconds, treePssMiB } from './measure.js';
import { runDriver, waitReachable } from './run-driver.js';

type SystemName = 'fail2ban' | 'warden';

const skip = netnsSkipReason() || nginxSkipReason() || fail2banMissing();
if (skip) {
  console.log(`bench/compare skipped: ${skip}`);
  process.exit(0);
}

const speed = Number(process.env.COMPARE_SPEED ?? 1000);
const only = process.env.COMPARE_ONLY;
const systems: SystemName[] = (['fail2ban', 'warden'] as const).filter((s) => !only || only === s);
const logFile = join(repoRoot, 'test/fixtures/semicomplete-2015-access.log');
const warmupSec = process.env.COMPARE_WARMUP ? Number(process.env.COMPARE_WARMUP) : undefined;
const plan = makePlan(readFileSync(logFile, 'utf8'), { speed, warmupSec });
const FINDTIME = 60;

/** fail2ban's rate jail: 1.25 x the most requests one real address sends within any findtime of the replay. */
function rateMaxretry(p: Plan): number {
  const times: number[][] = p.logAddresses.map(() => []);
  for (const q of p.replay) times[q.client].push(q.atMs / 1000);
  const peak = Math.max(...times.map((ts) => maxInWindow(ts, FINDTIME)));
  return Math.ceil(peak * 1.25);
}

/** The one server block both runs use: the access log, the log's error statuses, a /login that answers 401. */
function serverBody(withWarden: boolean): string {
  return [
    '    access_log {dir}/access.log combined;',
    // A server with its own access_log must repeat warden's counting line (nginx.conf).
    withWarden ? '    access_log /dev/null combined if=$warden_log;' : '',
    '    keepalive_requests 10000;',
    ...[403, 404, 416, 500].map((s) => `    if ($http_x_replay_status = ${s}) { return ${s}; }`),
    '    location = /login { return 401 "denied\\n"; }',
    '    location / { return 200 "ok\\n"; }',
  ].filter(Boolean).join('\n');
}

/** What one system's run measured. */
interface SystemResult {
  name: SystemName;
  attacks: AttackOutcome[];
  /** Per attack: ms from its first request to the detector's first ban of one of its addresses (its own log). */
  firstBanMs: Array<number | null>;
  wronglyBanned: string[];
  replaySent: number;
  replayFailed: number;
  requests: number;
  nginxCpu: number;
  detectorCpu: number;
  detectorPeakMiB: number;
  nginxPssMiB: number;
  wallSec: number;
  notes: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Lines in a file (requests in an access log). */
function lineCount(file: string): number {
  const b = readFileSync(file);
  let n = 0;
  for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) n++;
  return n;
}

async function runSystem(name: SystemName, tuning: Omit<JailTuning, 'port' | 'accessLog'>): Promise<SystemResult> {
  removeStaleNamespaces();
  const attackAddrs = plan.attacks.flatMap((a) => a.addresses);
  const net = createBenchNetwork([...plan.replayAddresses, ...attackAddrs]);
  const tmp = mkdtempSync(join(tmpdir(), `warden-compare-${name}-`));
  let ng: RunningNginx | null = null;
  let stopDetector: () => Promise<void> = async () => {};
  try {
    ng = await startNginx({ workers: 2, netns: net.serverNs, warden: name === 'warden', mainExtra: 'worker_rlimit_nofile 16384;',
      servers: [{ listen: ['{port}'], body: serverBody(name === 'warden') }] });
    const accessLog = join(ng.dir, 'access.log');
    let detectorPid: number;
    let banned: () => Set<string>;
    let banLog: () => BanLine[];
    if (name === 'fail2ban') {
      const f = await startFail2ban(net, tmp, { ...tuning, port: ng.port, accessLog });
      detectorPid = f.pid;
      banned = f.banned;
      banLog = f.banLog;
      stopDetector = f.stop;
    } else {
      const w = await startWarden(net, tmp, ng);
      detectorPid = w.pid;
      banned = w.banned;
      banLog = w.banLog;
      stopDetector = w.stop;
    }
    const planFile = join(tmp, 'plan.json');
    writeFileSync(planFile, JSON.stringify(plan));
    const url = `http://${net.serverV4}:${ng.port}/`;
    await waitReachable(net, url, '198.18.0.2');
    const start = Date.now() + 3000;
    const runs = [runDriver(net, planFile, start, url, ['replay']),
      ...plan.attacks.map((_, i) => runDriver(net, planFile, start, url, ['attack', String(i)]))];
    await sleep(start - Date.now() - 100);
    const nginxPid = ng.pid;
    const cpu0 = { nginx: treeCpuSeconds(nginxPid), det: treeCpuSeconds(detectorPid) };
    const linesBefore = lineCount(accessLog);
    const t0 = Date.now();
    const [replay, ...attacks] = await Promise.all(runs);
    await sleep(3000); // let the detector finish what is in flight
    const cpu1 = { nginx: treeCpuSeconds(nginxPid), det: treeCpuSeconds(detectorPid) };
    const wallSec = (Date.now() - t0) / 1000;
    const bans = banned();
    const requests = lineCount(accessLog) - linesBefore;
    const replayAddr = new Set(plan.replayAddresses);
    const wrongly = [...bans].filter((a) => replayAddr.has(a)).map((a) => plan.logAddresses[plan.replayAddresses.indexOf(a)]);
    let replaySent = 0;
    let replayFailed = 0;
    for (const r of Object.values(replay)) {
      replaySent += r.sent;
      replayFailed += r.failed;
    }
    const notes: string[] = [];
    // The detector's own line for the first ban of each attack and for every real client it banned.
    const lines = banLog();
    const outcomes = plan.attacks.map((a, i) => attackOutcome(a, attacks[i], bans));
    const firstBanMs = plan.attacks.map((a, i) => {
      const b = lines.find((x) => a.addresses.includes(x.ip));
      const s0 = outcomes[i].startMs;
      return b && s0 !== null ? b.atMs - s0 : null;
    });
    const rel = (b: BanLine) => `+${((b.atMs - start) / 1000).toFixed(1)} s: ${b.line}`;
    for (const a of plan.attacks) {
      const first = lines.find((b) => a.addresses.includes(b.ip));
      if (first) notes.push(`first ban of the ${a.name} ${rel(first)}`);
    }
    for (const b of lines) if (replayAddr.has(b.ip)) notes.push(`real client ${plan.logAddresses[plan.replayAddresses.indexOf(b.ip)]} ${rel(b)}`);
    const unknown = [...bans].filter((a) => !replayAddr.has(a) && !attackAddrs.includes(a));
    if (unknown.length) notes.push(`also banned: ${unknown.join(', ')}`);
    return {
      name,
      attacks: outcomes,
      firstBanMs,
      wronglyBanned: wrongly,
      replaySent,
      replayFailed,
      requests,
      nginxCpu: cpu1.nginx - cpu0.nginx,
      detectorCpu: cpu1.det - cpu0.det,
      detectorPeakMiB: statusMiB(detectorPid, 'VmHWM'),
      nginxPssMiB: treePssMiB(nginxPid),
      wallSec,
      notes,
    };
  } finally {
    await stopDetector();
    await ng?.stop();
    net.destroy();
    rmSync(tmp, { recursive: true, force: true });
  }
}

function fmtMs(ms: number | null, none = 'not caught'): string {
  return ms === null ? none : `${(ms / 1000).toFixed(2)} s`;
}

async function main(): Promise<void> {
  const s = plan.stats;
  const tuning = { rateMaxretry: rateMaxretry(plan), rateFindtime: FINDTIME, backend: fail2banBackend() };
  console.log(`traffic: ${s.requests} real requests from ${s.clients} addresses, ${(s.logSeconds / 3600).toFixed(1)} h of log ` +
    `replayed in ${s.replaySeconds.toFixed(0)} s (speed ${speed}): ${s.globalRate.toFixed(1)} req/s on average`);
  console.log(`per-IP baseline (mean over (address, 60-s window) pairs with traffic of requests/60): ${s.perIpBaselineRate.toFixed(3)} req/s; ` +
    `busiest real address: ${s.busiest60s.count} requests in 60 s (${s.busiest60s.ip})`);
  for (const a of plan.attacks) console.log(`attack at ${(a.startMs / 1000).toFixed(0)} s: ${a.name}: ${a.description}`);
  console.log(`fail2ban: backend ${tuning.backend}, rate jail maxretry ${tuning.rateMaxretry} in findtime ${FINDTIME} s, 401 jail 5 in 10m`);
  const results: SystemResult[] = [];
  for (const name of systems) {
    console.error(`  running ${name} (${(plan.endMs / 1000 + 10).toFixed(0)} s)...`);
    results.push(await runSystem(name, tuning));
  }
  // A Markdown table, pasted as it is into docs/benchmarks.md.
  const row = (label: string, f: (r: SystemResult) => string) => console.log(`| ${label} | ${results.map(f).join(' | ')} |`);
  console.log('');
  row('', (r) => r.name);
  console.log(`|---|${results.map(() => '---|').join('')}`);
  plan.attacks.forEach((a, i) => {
    row(`${a.name}: attack start -> first ban in the detector's log`, (r) => fmtMs(r.firstBanMs[i]));
    // A ban logged after the attack ended drops nothing: the attack got through in full.
    row(`${a.name}: attack start -> first dropped packet`, (r) => fmtMs(r.attacks[i].firstDropMs,
      r.attacks[i].caught ? 'none (banned after it ended)' : 'none'));
    row(`${a.name}: attackers caught`, (r) => `${r.attacks[i].caught}/${r.attacks[i].addresses}`);
    row(`${a.name}: requests answered / sent`, (r) => `${r.attacks[i].answered}/${r.attacks[i].sent}`);
  });
  row('real clients wrongly banned', (r) => `${r.wronglyBanned.length} of ${s.clients}`);
  row('real requests unanswered', (r) => `${r.replayFailed} of ${r.replaySent}`);
  row('requests nginx logged', (r) => String(r.requests));
  const per100k = (x: number, r: SystemResult) => (r.requests ? (x / r.requests) * 100_000 : 0).toFixed(2);
  row('CPU s per 100k requests: nginx', (r) => per100k(r.nginxCpu, r));
  row('CPU s per 100k requests: detector', (r) => per100k(r.detectorCpu, r));
  row('CPU s per 100k requests: nginx + detector', (r) => per100k(r.nginxCpu + r.detectorCpu, r));
  row('CPU s in total (nginx + detector)', (r) => (r.nginxCpu + r.detectorCpu).toFixed(1));
  row('detector CPU, mean share of one core over the run', (r) => `${((r.detectorCpu / r.wallSec) * 100).toFixed(1)}%`);
  row('detector peak RSS (MiB)', (r) => r.detectorPeakMiB.toFixed(1));
  row('nginx PSS at the end (MiB, master+workers)', (r) => r.nginxPssMiB.toFixed(1));
  row('measured wall time (s)', (r) => r.wallSec.toFixed(0));
  for (const r of results) {
    if (r.wronglyBanned.length) console.log(`${r.name} wrongly banned: ${r.wronglyBanned.join(', ')}`);
    for (const n of r.notes) console.log(`${r.name}: ${n}`);
  }
  if (process.env.COMPARE_PRINT_CONFIG) {
    for (const [f, text] of Object.entries(fail2banFiles({ ...tuning, port: 0, accessLog: '<nginx access log>' }))) console.log(`--- fail2ban ${f}\n${text}`);
    console.log(`--- warden.yaml\n${wardenConfig('<tmp>', '<internal port>', '<api port>', '<nginx secret file>')}`);
    console.log(`--- nginx server block (warden run; the fail2ban run lacks the /dev/null line)\n${serverBody(true)}`);
  }
}

await main();
