// Benchmark of ban history over 1,000,000 rows: filtered page queries (target < 50 ms each, page + total), and CSV
// export of every row streamed vs loaded into an array first (peak RSS growth, side by side, each in its own process).
// Run: npm run bench -- history     (or: node build.mjs --only node && node dist/bench/history/main.js [rows])
import { mkdtempSync, rmSync, openSync, writeSync, closeSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openStore } from '../../enforcer/adapters/store/warden-store.js';
import { banRowsToCsv } from '../../enforcer/adapters/store/csv.js';
import type { HistoryFilter } from '../../enforcer/adapters/store/types.js';
import { ipKey } from '../../enforcer/net/index.js';
import { prng } from '../prng.js';

const NOW = 1_767_225_600 + 90 * 86400;
const SPAN = 90 * 86400;


/** Address number `n` of the pool: 9 in 10 IPv4 spread over public-looking /8s, 1 in 10 IPv6 in 2001:db8::/32. */
function address(n: number): string {
  if (n % 10 === 9) return `2001:db8:${(n >> 12) & 0xffff}:${n & 0xfff}::${(n % 97) + 1}`;
  const x = Math.imul(n, 2654435761) >>> 0;
  return `${11 + (x >>> 24) % 200}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}`;
}

/** Fills a fresh store file with `n` ban rows in one transaction; 5,000 of them active. Returns seconds taken. */
function seed(path: string, n: number): number {
  openStore(path).close();
  const db = new Database(path);
  const ins = db.prepare(`INSERT INTO bans (ip, ip_key, started_at, planned_end, ended_at, step, rule, rate, error_rate,
      baseline_mean, baseline_stddev, baseline_source, z, tightened, source, reason, unban_reason, dry_run)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 5, 2, 'rolling', ?, ?, ?, ?, ?, 0)`);
  const r = prng(42);
  const pool = 200_000;
  const active = 5_000;
  const t0 = performance.now();
  db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const isActive = i >= n - active;
      // A few heavy repeat offenders: squaring skews picks towards low pool numbers.
      const ipNum = isActive ? pool + (i - (n - active)) : Math.floor(r() * r() * pool);
      const ip = address(ipNum);
      const started = isActive ? NOW - Math.floor(r() * 3600) : NOW - SPAN + Math.floor((i / n) * SPAN);
      const p = r();
      const rule = p < 0.6 ? 'zscore' : p < 0.95 ? 'multiplier' : 'manual';
      const step = 1 + Math.floor(r() * r() * 4);
      const dur = step === 4 ? null : [600, 1800, 7200][step - 1];
      const planned = dur === null ? null : started + dur;
      const ended = isActive ? null : planned ?? started + 86400;
      const rate = Math.round((20 + r() * r() * 2000) * 100) / 100;
      ins.run(ip, ipKey(ip), started, planned, ended, step, rule, rate, rate * 0.1, (rate - 5) / 2, r() < 0.1 ? 1 : 0,
        rule === 'manual' ? 'manual' : 'auto', rule === 'manual' ? 'seen in logs' : null, isActive ? null : (dur === null ? 'manual' : 'expired'));
    }
  })();
  const sec = (performance.now() - t0) / 1000;
  db.close();
  return sec;
}

function stats(xs: number[]): { median: number; p95: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], p95: s[Math.min(s.length - 1, Math.floor(0.95 * s.length))], max: s[s.length - 1] };
}

/** Child mode: export every row as CSV to /dev/null, streamed or through an array; prints JSON. */
function csvChild(path: string, mode: 'stream' | 'array'): void {
  const store = openStore(path, { readonly: true });
  const fd = openSync('/dev/null', 'w');
  const before = process.memoryUsage().rss;
  const t0 = performance.now();
  let rows = 0;
  let bytes = 0;
  let buf = '';
  const source = mode === 'stream' ? store.iterateHistory({ sort: 'started_at', order: 'asc' }) : [...store.iterateHistory({ sort: 'started_at', order: 'asc' })];
  for (const line of banRowsToCsv(source)) {
    rows++;
    buf += line;
    if (buf.length > 1 << 16) {
      bytes += writeSync(fd, buf);
      buf = '';
    }
  }
  bytes += writeSync(fd, buf);
  const ms = performance.now() - t0;
  closeSync(fd);
  store.close();
  const peakKb = process.resourceUsage().maxRSS;
  console.log(JSON.stringify({ mode, rows: rows - 1, bytes, ms, rssBeforeMb: before / 2 ** 20, peakMb: peakKb / 1024, growthMb: peakKb / 1024 - before / 2 ** 20 }));
}

/** Exports every row as CSV, streamed then through an array, each in a child process; prints both side by side. */
function runCsv(path: string): void {
  console.log('\nCSV export of every row (each mode in its own process)');
  const self = fileURLToPath(import.meta.url);
  for (const mode of ['stream', 'array']) {
    const r = spawnSync(process.execPath, [self, '--csv-child', mode, path], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`csv ${mode} child failed: ${r.stderr}`);
    const o = JSON.parse(r.stdout.trim().split('\n').pop()!) as { rows: number; bytes: number; ms: number; peakMb: number; growthMb: number };
    console.log(`${mode.padEnd(7)} ${o.rows.toLocaleString('en')} rows, ${(o.bytes / 2 ** 20).toFixed(0)} MB CSV in ${(o.ms / 1000).toFixed(1)} s; peak RSS ${o.peakMb.toFixed(0)} MB, growth ${o.growthMb.toFixed(0)} MB`);
  }
}

function main(): void {
  const n = Number(process.argv[2] ?? 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-history-'));
  const path = join(dir, 'warden.db');
  try {
    console.log(`seeding ${n.toLocaleString('en')} ban rows in one transaction...`);
    const seedSec = seed(path, n);
    const t0 = performance.now();
    const store = openStore(path);
    const openMs = performance.now() - t0;
    console.log(`seeded in ${seedSec.toFixed(1)} s (${Math.round(n / seedSec).toLocaleString('en')} rows/s); file ${(statSync(path).size / 2 ** 20).toFixed(0)} MB; open + optimize ${openMs.toFixed(0)} ms`);

    const someIp = store.history({ sort: 'started_at', limit: 1, ip: '0.0.0.0/0' }).rows[0].ip;
    const heavy = address(1);
    const queries: Array<[string, HistoryFilter]> = [
      ['no filter, newest first', {}],
      [`exact IP (${someIp})`, { ip: someIp }],
      [`exact IP, repeat offender (${heavy})`, { ip: heavy }],
      ['CIDR v4 /16', { ip: `${someIp.includes(':') ? '11.0' : someIp.split('.').slice(0, 2).join('.')}.0.0/16` }],
      ['CIDR v4 /8', { ip: '100.0.0.0/8' }],
      ['CIDR v6 /48', { ip: '2001:db8:1::/48' }],
      ['CIDR v6 /32 (every IPv6 row)', { ip: '2001:db8::/32' }],
      ['time range, one day', { since: NOW - 30 * 86400, until: NOW - 29 * 86400 }],
      ['time range, 30 days, page 10', { since: NOW - 30 * 86400, offset: 450 }],
      ['rule = manual', { rule: 'manual' }],
      ['rule = multiplier, last 7 days', { rule: 'multiplier', since: NOW - 7 * 86400 }],
      ['source = manual', { source: 'manual' }],
      ['active only', { activeOnly: true }],
      ['active only, sorted by planned_end', { activeOnly: true, sort: 'planned_end', order: 'asc' }],
      ['sorted by rate (all rows)', { sort: 'rate', order: 'desc' }],
      ['sorted by z, 1000 rows', { sort: 'z', order: 'desc', limit: 1000 }],
      ['rule = zscore, sorted by rate', { rule: 'zscore', sort: 'rate' }],
      ['CIDR v4 /8, sorted by rate', { ip: '100.0.0.0/8', sort: 'rate' }],
    ];
    console.log('\nquery (page of 50 + total)                     median   p95      max      total rows');
    let worst = 0;
    for (const [name, f] of queries) {
      const times: number[] = [];
      let total = 0;
      for (let i = 0; i < 15; i++) {
        const t = performance.now();
        total = store.history(f).total;
        times.push(performance.now() - t);
      }
      const st = stats(times);
      worst = Math.max(worst, st.median);
      console.log(`${name.padEnd(46)} ${st.median.toFixed(2).padStart(6)} ms ${st.p95.toFixed(2).padStart(6)} ms ${st.max.toFixed(2).padStart(6)} ms ${String(total).padStart(9)}`);
    }
    console.log(`worst median: ${worst.toFixed(1)} ms (target < 50 ms)`);
    const t1 = performance.now();
    store.countActive();
    store.bansTotalByRule();
    console.log(`countActive + bansTotalByRule: ${(performance.now() - t1).toFixed(2)} ms`);
    store.close();

    // CSV export of the full table, then pruning last (it deletes rows).
    runCsv(path);
    const pr = openStore(path);
    const t2 = performance.now();
    const pruned = pr.prune(NOW, 60 * 86400, 30 * 86400);
    const pruneMs = performance.now() - t2;
    console.log(`\nprune (retention 60 days): ${pruned.bans.toLocaleString('en')} bans in ${(pruneMs / 1000).toFixed(2)} s ` +
      `(${Math.round(pruned.bans / (pruneMs / 1000)).toLocaleString('en')} rows/s, chunks of 10,000); ${pr.history({}).total.toLocaleString('en')} left`);
    pr.close();

  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--csv-child') csvChild(process.argv[4], process.argv[3] as 'stream' | 'array');
else main();
