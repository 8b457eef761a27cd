// The soak (issue 6): SOAK_SECONDS (default 600) of bounded, sustained load on the real pieces, with attackers
// arriving and leaving, then invariants checked; exits non-zero when one fails.
// - Network namespaces (test/harness/netns.ts): nginx (real drop-in include and per-server snippet, built njs) and the
//   real daemon process (`warden start`, ipset + nginx backends, a real SQLite file) in a server namespace; background
//   clients in two client namespaces, each client its own source address (SOAK_CLIENTS, default 300, at
//   SOAK_CLIENT_RPS = 1.2 req/s each on keep-alive); attackers in a third namespace: every 20-30 s an address floods
//   at SOAK_FLOOD_RPS (200 req/s) for 10 s; every other attack is an earlier attacker whose ban ran out coming back, so
//   the short ladder [20s, 40s, 90s, permanent] is walked up to permanent and bans expire during the run.
// - Checked: daemon memory flat (RSS every 5 s, heap from /api/v1/status, and every 30 s the heap left after a full GC
//   run by gc-probe.ts: slope and last-third vs first-third median);
//   every flood banned exactly once, at the right ladder step; no background client ever banned or refused a request;
//   at the end SQLite == ipset == nginx ban dict == API; expired bans ended in the database on time; PRAGMA
//   integrity_check / foreign_key_check; audit BAN/UNBAN lines == database rows; nginx error log clean; nothing dropped.
// Needs root. Usage: npm run bench -- soak   (SOAK_SECONDS=60 for a quick run)
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createTestNetwork, netnsSkipReason, removeStaleNamespaces, type TestNetwork } from '../../test/harness/netns.js';
import { nginxSkipReason, repoRoot, startNginx, type RunningNginx } from '../../test/harness/nginx.js';
import { isFlat, median, trend, type Sample } from './trend.js';
import type { BackgroundReport, FloodReport } from './load-client.js';
import { prng } from '../prng.js';
import { maxOf, minOf } from '../../enforcer/core/arrays.js';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const CLIENTS = Number(process.env.SOAK_CLIENTS ?? 300);
const CLIENT_RPS = Number(process.env.SOAK_CLIENT_RPS ?? 1.2);
const FLOOD_RPS = Number(process.env.SOAK_FLOOD_RPS ?? 200);
const FLOOD_SECONDS = Number(process.env.SOAK_FLOOD_SECONDS ?? 15);
const GAP_MIN = Number(process.env.SOAK_GAP_MIN ?? 20);
const GAP_MAX = Number(process.env.SOAK_GAP_MAX ?? 30);
const SAMPLE_MS = 5000;
const LADDER: Array<number | null> = [20, 40, 90, null];
const NAME = 'wdsoak';
const TOKEN = 'soak-token-0123456789abcdef';
const API = 'http://127.0.0.1:18080';
const cli = join(repoRoot, 'dist/enforcer/cli/main.js');
const loadClient = join(repoRoot, 'dist/bench/soak/load-client.js');
const gcProbe = join(repoRoot, 'dist/bench/soak/gc-probe.js');
const GC_EVERY_MS = 30_000;

const skip = netnsSkipReason() || nginxSkipReason();
if (skip) {
  console.log(`bench/soak skipped: ${skip}`);
  process.exit(0);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MB = (b: number) => (b / 1048576).toFixed(1);


/** The daemon's config: default detection, a short ladder so that bans run out during the run. */
function configYaml(dir: string, internalPort: number): string {
  return [
    'log_level: info',
    `nginx: { url: "http://127.0.0.1:${internalPort}" }`,
    // Default detection (60 s window, zscore 3, multiplier 5, max_ip_rate 30): with ~360 req/s from 300 readers the
    // relative rules ban one address only above ~1,800 req/s, so the floods here are stopped by the ceiling (30 req/s
    // over the window: the 9th second of a 200 req/s flood). One global alert an hour at most.
    'detection: { global_cooldown: 1h }',
    `bans: { ladder: [${LADDER.map((s) => (s === null ? 'permanent' : `${s}s`)).join(', ')}] }`,
    `enforcement: { backends: [ipset, nginx], name: ${NAME} }`,
    `storage: { database: "${dir}/warden.db", audit_log: "${dir}/audit.log" }`,
    `api: { listen: "127.0.0.1:18080", tokens: ["${TOKEN}"] }`,
    '',
  ].join('\n');
}

interface Episode {
  n: number;
  ip: string;
  /** 1-based offence of this address this episode should be. */
  offence: number;
  startMs: number;
  endMs: number;
  report: FloodReport | null;
}

interface Check { name: string; ok: boolean; detail: string }

interface BanRowLite {
  id: number; ip: string; started_at: number; planned_end: number | null; ended_at: number | null; step: number;
  rule: string; unban_reason: string | null; source: string;
}

/** Runs a process in a namespace, collecting its stdout lines; resolves with them at exit. */
function runIn(net: TestNetwork, ns: string, args: string[]): { child: ChildProcess; done: Promise<string[]> } {
  const child = net.spawn(ns, process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr!.on('data', (b: Buffer) => { err += b.toString(); });
  const done = new Promise<string[]>((resolve) => child.on('exit', () => {
    if (err.trim()) console.error(`  [${ns}] ${err.trim().split('\n').slice(-5).join('\n  ')}`);
    resolve(out.split('\n').filter(Boolean));
  }));
  return { child, done };
}

function lastJson<T>(lines: string[], kind: string): T | null {
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const o = JSON.parse(lines[i]) as { kind?: string };
      if (o.kind === kind) return o as T;
    } catch {
      /* not JSON */
    }
  }
  return null;
}

/** The pid of the node process `ip netns exec` became (it execs in place; checked, with a fallback to its child). */
function daemonPid(pid: number): number {
  const cmd = (p: number) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8');
    } catch {
      return '';
    }
  };
  if (cmd(pid).includes('main.js')) return pid;
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
    const k = kids.find((c) => cmd(c).includes('main.js'));
    if (k) return k;
  } catch {
    /* fall through */
  }
  return pid;
}

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

async function main(): Promise<number> {
  removeStaleNamespaces();
  const tmp = mkdtempSync(join(tmpdir(), 'warden-soak-'));
  const net = createTestNetwork(3);
  let ng: RunningNginx | null = null;
  let daemon: ChildProcess | null = null;
  const procs: ChildProcess[] = [];
  try {
    return await soak(net, tmp, (n) => { ng = n; }, (d) => { daemon = d; }, procs);
  } finally {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    const d = daemon as ChildProcess | null;
    if (d && d.exitCode === null && d.signalCode === null) d.kill('SIGKILL');
    await (ng as RunningNginx | null)?.stop();
    net.destroy();
    if (!process.env.SOAK_KEEP) rmSync(tmp, { recursive: true, force: true });
    else console.log(`kept ${tmp}`);
  }
}

async function soak(net: TestNetwork, tmp: string, setNginx: (n: RunningNginx) => void, setDaemon: (d: ChildProcess) => void,
  procs: ChildProcess[]): Promise<number> {
  const [bgA, bgB, atk] = net.clients;
  // Source addresses: background clients 198.18.10.x-.., attackers 198.18.30.x, all in the test network's /16.
  const bgAddrs = Array.from({ length: CLIENTS }, (_, i) => `198.18.${10 + Math.floor(i / 250)}.${1 + (i % 250)}`);
  const atkAddrs = Array.from({ length: 60 }, (_, i) => `198.18.30.${1 + i}`);
  const addAddrs = (ns: string, dev: string, addrs: string[]) =>
    net.exec(ns, 'ip', ['-batch', '-'], addrs.map((a) => `addr add ${a}/16 dev ${dev}\n`).join(''));
  const half = Math.ceil(CLIENTS / 2);
  addAddrs(bgA.ns, 'c0', bgAddrs.slice(0, half));
  addAddrs(bgB.ns, 'c1', bgAddrs.slice(half));
  addAddrs(atk.ns, 'c2', atkAddrs);

  const ng = await startNginx({
    workers: 2, netns: net.serverNs,
    servers: [{
      listen: ['{port}'],
      body: [
        '    keepalive_timeout 120s;',
        '    keepalive_requests 1000000;',
        '    include {dir}/nginx-server.conf;',
        '    location / { return 200 "ok\\n"; }',
      ].join('\n'),
    }],
  });
  setNginx(ng);
  const url = `http://${net.serverV4}:${ng.port}/`;

  const cfg = join(tmp, 'warden.yaml');
  writeFileSync(cfg, configYaml(tmp, ng.internalPort));
  let daemonOut = '';
  // The real CLI, with a measuring hook loaded beside it: a full GC and a memory line on SIGUSR2 (gc-probe.ts).
  const gcFile = join(tmp, 'gc.jsonl');
  const daemon = net.spawn(net.serverNs, process.execPath, ['--expose-gc', '--import', gcProbe, cli, 'start', '--config', cfg],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SOAK_GC_FILE: gcFile } });
  setDaemon(daemon);
  daemon.stdout!.on('data', (b: Buffer) => { daemonOut += b.toString(); });
  daemon.stderr!.on('data', (b: Buffer) => { daemonOut += b.toString(); });
  const daemonExit = new Promise<number | null>((r) => daemon.on('exit', (code) => r(code)));
  const api = <T>(path: string): T | null => {
    const r = net.tryExec(net.serverNs, 'curl', ['-sf', '-m', '3', '-H', `Authorization: Bearer ${TOKEN}`, `${API}${path}`]);
    if (r.status !== 0) return null;
    try {
      return JSON.parse(r.stdout) as T;
    } catch {
      return null;
    }
  };
  for (let i = 0; api('/healthz') === null; i++) {
    if (i > 200 || daemon.exitCode !== null) throw new Error(`warden did not start:\n${daemonOut}`);
    await sleep(100);
  }
  const pid = daemonPid(daemon.pid!);
  console.log(`soak: ${SECONDS} s, ${CLIENTS} background clients at ${CLIENT_RPS} req/s each, a ${FLOOD_RPS} req/s flood of ${FLOOD_SECONDS} s ` +
    `every ${GAP_MIN}-${GAP_MAX} s, ladder [${LADDER.map((s) => s ?? 'permanent').join(', ')}]; daemon pid ${pid}, nginx ${ng.port}`);

  const t0 = Date.now();
  const since = () => (Date.now() - t0) / 1000;

  // Background load, one process per client namespace.
  const bg = [[bgA, bgAddrs.slice(0, half)], [bgB, bgAddrs.slice(half)]] as const;
  const bgRuns = bg.map(([h, addrs]) => runIn(net, h.ns, [loadClient, 'background',
    JSON.stringify({ url, addrs, rps: CLIENT_RPS, seconds: SECONDS, timeoutMs: 5000 })]));
  for (const r of bgRuns) procs.push(r.child);

  // Samples every 5 s: daemon RSS (from /proc) and heap (from the API), nginx workers' RSS, dropped counters.
  interface Status { process: { rss: number; heapUsed: number }; dropped: { total: number }; activeBanCount: number; banRate: number; baseline: { mean: number } }
  const rss: Sample[] = [];
  const heap: Sample[] = [];
  const ngRss: Sample[] = [];
  let lastStatus: Status | null = null;
  const banRates: number[] = [];
  let statusFailures = 0;
  const sampler = setInterval(() => {
    const t = since();
    rss.push({ t, v: rssOf(pid) });
    ngRss.push({ t, v: ng.workers().reduce((a, w) => a + rssOf(w), 0) });
    const s = api<Status>('/api/v1/status?bans=0');
    if (s) {
      lastStatus = s;
      heap.push({ t, v: s.process.heapUsed });
      banRates.push(s.banRate);
    } else statusFailures++;
  }, SAMPLE_MS);
  // Every 30 s: a full GC in the daemon and the heap left after it (the leak signal; see gc-probe.ts).
  const gcTimer = setInterval(() => {
    try {
      process.kill(pid, 'SIGUSR2');
    } catch {
      /* gone: the checks say so */
    }
  }, GC_EVERY_MS);
  const progress = setInterval(() => {
    const s = lastStatus as Status | null;
    console.log(`  t=${since().toFixed(0)}s rss ${MB(rss.at(-1)?.v ?? NaN)} MB heap ${MB(heap.at(-1)?.v ?? NaN)} MB, ` +
      `active bans ${s?.activeBanCount ?? '?'}, dropped ${s?.dropped.total ?? '?'}`);
  }, 60_000);

  // SQLite == ipset == nginx ban dict == API, with the same end times; a ban expiring in the middle of a snapshot
  // shows as a difference, so a snapshot that differs is taken again (up to `tries` times, 1.5 s apart).
  const dbPath = join(tmp, 'warden.db');
  const openDb = () => new Database(dbPath, { readonly: true, fileMustExist: true });
  const ipsetNow = (): Map<string, number | null> => {
    const m = new Map<string, number | null>();
    const now = Math.floor(Date.now() / 1000);
    for (const l of net.exec(net.serverNs, 'ipset', ['save']).split('\n')) {
      const f = l.split(' ');
      if (f[0] !== 'add' || !f[1].startsWith(NAME)) continue;
      const ti = f.indexOf('timeout');
      const secs = ti > 0 ? Number(f[ti + 1]) : 0;
      m.set(f[2], secs > 0 ? now + secs : null);
    }
    return m;
  };
  const dictNow = (): Map<string, number> | null => {
    const r = net.tryExec(net.serverNs, 'curl', ['-sf', '-m', '3', `${ng.internalUrl}/bans`]);
    if (r.status !== 0) return null;
    return new Map((JSON.parse(r.stdout) as { bans: Array<{ ip: string; until: number }> }).bans.map((b) => [b.ip, b.until]));
  };
  const consistent = async (tries: number): Promise<{ ok: boolean; detail: string; active: number }> => {
    let last = { ok: false, detail: '', active: 0 };
    for (let attempt = 0; attempt < tries && !last.ok; attempt++) {
      if (attempt) await sleep(1500);
      const db = openDb();
      const dbActive = new Map((db.prepare('SELECT ip, planned_end FROM bans WHERE ended_at IS NULL').all() as Array<{ ip: string; planned_end: number | null }>)
        .map((r) => [r.ip, r.planned_end]));
      db.close();
      const ips = ipsetNow();
      const dict = dictNow();
      const apiBans = api<{ bans: Array<{ ip: string }> }>('/api/v1/bans');
      const key = (xs: Iterable<string>) => [...xs].sort().join(',');
      const want = key(dbActive.keys());
      const untilOff = [...dbActive].filter(([ip, end]) => {
        const d = dict?.get(ip);
        const s = ips.get(ip);
        return d !== (end ?? 0) || (end === null ? s !== null : s == null || Math.abs(s - end) > 2);
      });
      const ok = dict !== null && apiBans !== null && key(ips.keys()) === want && key(dict.keys()) === want &&
        key(apiBans.bans.map((b) => b.ip)) === want && untilOff.length === 0;
      last = { ok, active: dbActive.size, detail: `${dbActive.size} active in SQLite [${want}]; ipset ${ips.size}` +
        `${key(ips.keys()) !== want ? ` [${key(ips.keys())}]` : ''}; nginx dict ${dict?.size ?? 'unreachable'}` +
        `${dict && key(dict.keys()) !== want ? ` [${key(dict.keys())}]` : ''}; API ${apiBans?.bans.length ?? 'unreachable'}` +
        `${untilOff.length ? `; end times differ for ${untilOff.map(([ip]) => ip).join(',')}` : '; end times agree'}${attempt ? ` (attempt ${attempt + 1})` : ''}` };
    }
    return last;
  };
  // Every 30 s during the load as well.
  let midRuns = 0;
  const midBad: string[] = [];
  let midBusy = false;
  const mid = setInterval(() => {
    if (midBusy) return;
    midBusy = true;
    consistent(3).then((r) => {
      midRuns++;
      if (!r.ok) midBad.push(`t=${since().toFixed(0)}s ${r.detail}`);
    }, (err: Error) => midBad.push(`t=${since().toFixed(0)}s ${err.message}`)).finally(() => { midBusy = false; });
  }, 30_000);

  // Attackers: new addresses, and earlier ones whose ban ran out coming back.
  const rand = prng(6);
  const episodes: Episode[] = [];
  const offences = new Map<string, number>();
  const floods: Array<Promise<void>> = [];
  let nextNew = 0;
  let at = 20;
  for (let k = 0; at + FLOOD_SECONDS + 15 <= SECONDS; k++) {
    while (since() < at) await sleep(100);
    const active = new Set((api<{ bans: Array<{ ip: string }> }>('/api/v1/bans')?.bans ?? []).map((b) => b.ip));
    const running = new Set(episodes.filter((e) => e.report === null).map((e) => e.ip));
    const back = [...offences.entries()].filter(([ip]) => !active.has(ip) && !running.has(ip)).sort((a, b) => b[1] - a[1]);
    const ip = k % 2 === 1 && back.length ? back[0][0] : atkAddrs[nextNew++];
    const ep: Episode = { n: k + 1, ip, offence: (offences.get(ip) ?? 0) + 1, startMs: Date.now(), endMs: 0, report: null };
    offences.set(ip, ep.offence);
    episodes.push(ep);
    const run = runIn(net, atk.ns, [loadClient, 'flood', JSON.stringify({ url, addr: ip, rps: FLOOD_RPS, conc: 4, seconds: FLOOD_SECONDS })]);
    procs.push(run.child);
    floods.push(run.done.then((lines) => {
      ep.endMs = Date.now();
      ep.report = lastJson<FloodReport>(lines, 'flood') ?? { kind: 'flood', addr: ip, firstSent: ep.startMs, firstFailSent: null, ok: 0, forbidden: 0, failed: 0 };
    }));
    at += GAP_MIN + rand() * (GAP_MAX - GAP_MIN);
  }
  await Promise.all(floods);
  const bgLines = await Promise.all(bgRuns.map((r) => r.done));
  clearInterval(sampler);
  clearInterval(progress);
  clearInterval(gcTimer);
  clearInterval(mid);
  while (midBusy) await sleep(100);
  const loadEnd = since();
  // Let the last polls and any expiry due now land.
  await sleep(3000);

  const checks: Check[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });

  // 1. Memory.
  const warm = Math.min(60, SECONDS / 5);
  const tr = trend(rss, warm);
  const th = trend(heap, warm);
  const tn = trend(ngRss, warm);
  check('daemon RSS flat', isFlat(tr, 0.1, 5 * 1048576),
    `first third ${MB(tr.firstMedian)} MB, last third ${MB(tr.lastMedian)} MB (x${tr.ratio.toFixed(3)}), slope ${MB(tr.slopePerMin)} MB/min, ${tr.n} samples after ${warm} s`);
  check('daemon heap (sampled) flat', isFlat(th, 0.1, 5 * 1048576),
    `first third ${MB(th.firstMedian)} MB, last third ${MB(th.lastMedian)} MB (x${th.ratio.toFixed(3)}), slope ${MB(th.slopePerMin)} MB/min`);
  let afterGc: Sample[] = [];
  try {
    afterGc = readFileSync(gcFile, 'utf8').split('\n').filter(Boolean)
      .map((l) => JSON.parse(l) as { at: number; heapUsed: number }).map((g) => ({ t: (g.at - t0) / 1000, v: g.heapUsed }));
  } catch {
    /* no file: the check fails */
  }
  const tg = trend(afterGc, warm);
  check('daemon heap after a full GC flat', isFlat(tg, 0.1, 2 * 1048576),
    `first third ${MB(tg.firstMedian)} MB, last third ${MB(tg.lastMedian)} MB (x${tg.ratio.toFixed(3)}), slope ${MB(tg.slopePerMin)} MB/min, ` +
    `${tg.n} full GCs after ${warm} s (every ${GC_EVERY_MS / 1000} s)`);
  console.log(`  nginx workers' RSS (info): first third ${MB(tn.firstMedian)} MB, last third ${MB(tn.lastMedian)} MB, slope ${MB(tn.slopePerMin)} MB/min`);

  // 2. End state: SQLite == ipset == nginx ban dict == API (a ban expiring in the middle of the snapshot: retry).
  const endSnap = await consistent(4);
  const endActive = endSnap.active;
  check('active bans: SQLite == ipset == nginx dict == API', endSnap.ok, endSnap.detail);
  check('mid-run snapshots: SQLite == ipset == nginx dict == API', midBad.length === 0,
    `${midRuns - midBad.length} of ${midRuns} consistent${midBad.length ? `; ${midBad.slice(0, 3).join(' / ')}` : ''}`);

  const finalStatus = api<Status>('/api/v1/status?bans=0') ?? lastStatus;
  const metrics = net.tryExec(net.serverNs, 'curl', ['-sf', '-m', '3', '-H', `Authorization: Bearer ${TOKEN}`, `${API}/metrics`]).stdout;
  const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);

  // 3. Stop the daemon (SIGTERM) and read its files.
  daemon.kill('SIGTERM');
  const code = await Promise.race([daemonExit, sleep(15_000).then(() => 'timeout' as const)]);
  check('daemon stops cleanly on SIGTERM', code === 0, `exit ${code}`);
  const db = openDb();
  const rows = db.prepare('SELECT id, ip, started_at, planned_end, ended_at, step, rule, unban_reason, source FROM bans ORDER BY id').all() as BanRowLite[];
  const integrity = (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join(';');
  const fk = db.pragma('foreign_key_check') as unknown[];
  const dupActive = db.prepare('SELECT ip, count(*) AS n FROM bans WHERE ended_at IS NULL GROUP BY ip HAVING n > 1').all() as unknown[];
  const offenceRows = db.prepare('SELECT ip, count FROM offences').all() as Array<{ ip: string; count: number }>;
  db.close();
  check('PRAGMA integrity_check', integrity === 'ok', integrity);
  check('PRAGMA foreign_key_check', fk.length === 0, `${fk.length} row(s)`);
  check('no IP with two active bans', dupActive.length === 0, `${dupActive.length} IP(s)`);
  const superseded = rows.filter((r) => r.unban_reason === 'superseded');
  check('no ban superseded by a second ban of the same IP', superseded.length === 0, `${superseded.length} row(s)`);

  // 4. Bans against the attack episodes.
  const bgSet = new Set(bgAddrs);
  const bgBanned = rows.filter((r) => bgSet.has(r.ip));
  check('background clients never banned', bgBanned.length === 0, `${bgBanned.length} ban(s) of ${CLIENTS} background addresses`);
  const epIps = new Set(episodes.map((e) => e.ip));
  const stray = rows.filter((r) => !epIps.has(r.ip));
  const claimed = new Set<number>();
  const missed: string[] = [];
  const doubled: string[] = [];
  const wrongStep: string[] = [];
  const banLag: number[] = [];
  const dropLag: number[] = [];
  const episodeLines: string[] = [];
  for (const e of episodes) {
    const s = Math.floor(e.startMs / 1000) - 1;
    const end = Math.ceil(e.endMs / 1000) + 3;
    const mine = rows.filter((r) => r.ip === e.ip && r.started_at >= s && r.started_at <= end);
    mine.forEach((r) => claimed.add(r.id));
    if (mine.length === 0) missed.push(`#${e.n} ${e.ip}`);
    const rep = e.report;
    const sentFor = rep ? ((rep.firstFailSent ?? e.endMs) - rep.firstSent) / 1000 : 0;
    episodeLines.push(`  #${String(e.n).padStart(2)} t=${((e.startMs - t0) / 1000).toFixed(0).padStart(3)}s ${e.ip.padEnd(13)} offence ${e.offence}: ` +
      `${rep?.ok ?? 0} answered (${sentFor > 0 ? ((rep?.ok ?? 0) / sentFor).toFixed(0) : '?'} req/s until the first drop), ${rep?.forbidden ?? 0} x 403, ` +
      `${rep?.failed ?? 0} dropped in ${((e.endMs - e.startMs) / 1000).toFixed(1)} s; ` +
      `${mine.length ? mine.map((r) => `ban at +${(r.started_at - e.startMs / 1000).toFixed(1)} s, step ${r.step}, ${r.planned_end === null ? 'permanent' : `${r.planned_end - r.started_at} s`}`).join(' + ') : 'NOT BANNED'}`);
    if (mine.length > 1) doubled.push(`#${e.n} ${e.ip} x${mine.length}`);
    const r = mine[0];
    if (r) {
      const dur = LADDER[Math.min(e.offence, LADDER.length) - 1];
      if (r.step !== e.offence || (dur === null ? r.planned_end !== null : r.planned_end !== r.started_at + dur)) {
        wrongStep.push(`#${e.n} ${e.ip}: step ${r.step} (want ${e.offence}), ${r.planned_end === null ? 'permanent' : `${r.planned_end - r.started_at}s`}`);
      }
      banLag.push(r.started_at - e.startMs / 1000);
    }
    if (e.report?.firstFailSent) dropLag.push((e.report.firstFailSent - e.report.firstSent) / 1000);
  }
  const unclaimed = rows.filter((r) => !claimed.has(r.id) && !bgSet.has(r.ip));
  check('every flood banned', missed.length === 0, `${episodes.length - missed.length} of ${episodes.length} episodes${missed.length ? `; missed ${missed.join(', ')}` : ''}`);
  check('each offence is one ban row', doubled.length === 0 && unclaimed.length === 0 && stray.length === 0,
    `${rows.length} ban rows for ${episodes.length} episodes${doubled.length ? `; doubled ${doubled.join(', ')}` : ''}` +
    `${unclaimed.length ? `; rows outside any episode: ${unclaimed.map((r) => `${r.ip}@${r.started_at}`).join(', ')}` : ''}`);
  check('ladder step and duration per offence', wrongStep.length === 0, wrongStep.length ? wrongStep.join('; ') : `steps ${[...new Set(episodes.map((e) => e.offence))].sort().join(',')} as expected`);
  const offOk = offenceRows.every((o) => o.count === offences.get(o.ip)) && offenceRows.length === offences.size;
  check('offence counts in SQLite == offences sent', offOk, `${offenceRows.length} addresses, ${offenceRows.reduce((a, o) => a + o.count, 0)} offences`);

  // 5. Expired bans were lifted, on time, in the database (and the backends, checked in 2).
  const nowS = Date.now() / 1000;
  const due = rows.filter((r) => r.planned_end !== null && r.planned_end <= nowS - 3);
  const notLifted = due.filter((r) => r.ended_at === null || r.unban_reason !== 'expired');
  const liftLag = due.filter((r) => r.ended_at !== null).map((r) => (r.ended_at as number) - (r.planned_end as number));
  check('expired bans lifted', notLifted.length === 0 && liftLag.every((l) => l >= 0 && l <= 3),
    `${due.length - notLifted.length} of ${due.length} ended as expired, ${liftLag.length ? `${minOf(liftLag)}-${maxOf(liftLag)} s` : '-'} after their planned end`);
  const permanent = rows.filter((r) => r.planned_end === null).length;

  // 6. Audit log lines == database rows.
  let audit = '';
  try {
    audit = readFileSync(join(tmp, 'audit.log'), 'utf8');
  } catch {
    /* checked below */
  }
  const count = (re: RegExp) => (audit.match(re) ?? []).length;
  const auditBan = count(/^\[[^\]]+\] BAN /gm);
  const auditUnban = count(/^\[[^\]]+\] UNBAN /gm);
  const auditFail = count(/^\[[^\]]+\] FAILURE /gm);
  const ended = rows.filter((r) => r.ended_at !== null).length;
  check('audit BAN/UNBAN lines == database rows', auditBan === rows.length && auditUnban === ended && auditFail === 0,
    `BAN ${auditBan} (rows ${rows.length}), UNBAN ${auditUnban} (ended rows ${ended}), FAILURE ${auditFail}`);

  // 7. nginx never failed a background request; its error log is clean; nothing dropped.
  const reports = bgLines.map((l) => lastJson<BackgroundReport>(l, 'background'));
  const sent = reports.reduce((a, r) => a + (r?.sent ?? 0), 0);
  const ok = reports.reduce((a, r) => a + (r?.ok ?? 0), 0);
  const errors = reports.reduce((a, r) => a + (r?.errors ?? 0), 0);
  const statuses: Record<string, number> = {};
  for (const r of reports) for (const [s, n] of Object.entries(r?.statuses ?? {})) statuses[s] = (statuses[s] ?? 0) + n;
  const failures = reports.flatMap((r) => r?.failures ?? []);
  const maxMs = maxOf(reports.map((r) => r?.maxMs ?? 0));
  const slow = reports.reduce((a, r) => a + (r?.slow ?? 0), 0);
  check('background clients: only 200s', reports.every((r) => r !== null) && sent > 0 && ok === sent,
    `${ok} of ${sent} answered 200 (${(sent / loadEnd).toFixed(0)} req/s); other statuses ${JSON.stringify(statuses)}; no answer ${errors}; ` +
    `slowest ${maxMs} ms, ${slow} over 1 s${failures.length ? `; first failures: ${failures.slice(0, 5).map((f) => `${f.addr} ${f.status || f.error}`).join('; ')}` : ''}`);
  const errLines = ng.errorLog().split('\n').filter((l) => /\[(error|crit|alert|emerg)\]|js exception|warden:/.test(l));
  check('nginx error log: no errors, no js exception, no warden: lines', errLines.length === 0,
    errLines.length ? `${errLines.length} line(s), first: ${errLines.slice(0, 3).join(' / ')}` : 'clean');
  const st = finalStatus as Status | null;
  check('counters dropped stayed 0', st !== null && st.dropped.total === 0, `dropped ${st?.dropped.total ?? '?'}; status endpoint failures ${statusFailures}`);
  // A global-surge alert is expected: a 200 req/s flood on top of ~360 req/s is many stddevs over the site's mean
  // (alert only, once per global_cooldown = 1 h). Any other warning or error fails.
  const warnLines = daemonOut.split('\n').filter((l) => / (ERROR|WARN) /.test(l));
  const surges = warnLines.filter((l) => / WARN global surge: /.test(l));
  const daemonErrors = warnLines.filter((l) => !surges.includes(l));
  check('daemon log: no warnings or errors', daemonErrors.length === 0 && surges.length <= Math.ceil(SECONDS / 3600),
    `${daemonErrors.length ? `${daemonErrors.length} line(s), first: ${daemonErrors.slice(0, 3).join(' / ')}` : 'clean'}; ` +
    `${surges.length} expected global-surge alert(s)`);
  writeFileSync(join(tmp, 'daemon.log'), daemonOut);

  // Report.
  const floodTotals = episodes.reduce((a, e) => a + (e.report?.ok ?? 0), 0);
  const flood403 = episodes.reduce((a, e) => a + (e.report?.forbidden ?? 0), 0);
  console.log(`\nsoak results (${loadEnd.toFixed(0)} s of load; ${episodes.length} flood episodes of ${offences.size} addresses, ` +
    `${episodes.filter((e) => e.offence > 1).length} of them returning; ${rows.length} bans, ${ended} ended, ${permanent} permanent, ${endActive} active at the end)`);
  console.log(`  flood start -> ban decision: median ${median(banLag).toFixed(1)} s, max ${maxOf(banLag).toFixed(1)} s; ` +
    `-> first dropped request: median ${median(dropLag).toFixed(2)} s, max ${maxOf(dropLag).toFixed(2)} s; ${floodTotals} flood requests answered 200, ${flood403} answered 403 (ipset drops them before nginx)`);
  console.log(`  daemon RSS: ${rss.length} samples, ${MB(minOf(rss.map((s) => s.v)))}-${MB(maxOf(rss.map((s) => s.v)))} MB; ` +
    `heap ${MB(minOf(heap.map((s) => s.v)))}-${MB(maxOf(heap.map((s) => s.v)))} MB`);
  const answered = ok + floodTotals + flood403;
  console.log(`  requests counted by warden (warden_requests_seen_total) ${metric('warden_requests_seen_total')}, answered to the clients ${answered} ` +
    `(x${(metric('warden_requests_seen_total') / answered).toFixed(4)}); poll errors ${metric('warden_poll_errors_total')}`);
  console.log(`  ban threshold (per-address req/s over the 60 s window) during the run: ${minOf(banRates).toFixed(1)}-${maxOf(banRates).toFixed(1)}`);
  console.log(episodeLines.join('\n'));
  const w = maxOf(checks.map((c) => c.name.length));
  for (const c of checks) console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(w)}  ${c.detail}`);
  const failed = checks.filter((c) => !c.ok);
  console.log(failed.length ? `soak: FAILED ${failed.length} of ${checks.length} checks` : `soak: all ${checks.length} checks passed`);
  if (failed.length) {
    console.log(`--- daemon log (last 40 lines) ---\n${daemonOut.split('\n').slice(-40).join('\n')}`);
  }
  return failed.length ? 1 : 0;
}

process.exit(await main());
