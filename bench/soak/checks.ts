// The soak's invariants, one named check each: memory, the ban stores agreeing, the database file, bans against the
// attack episodes, expiry, audit lines, and what the clients, nginx and the daemon saw. Each takes what the run
// collected and adds one line (or a few) to the report; none of them touches the running system.
import Database from 'better-sqlite3';
import { isFlat, trend, type Sample } from './trend.js';
import type { BackgroundReport, FloodReport } from './load-client.js';
import { maxOf, minOf } from '../../enforcer/core/arrays.js';

/** One invariant's outcome. */
export interface Check { name: string; ok: boolean; detail: string }

/** Adds one outcome to the report. */
export type AddCheck = (name: string, ok: boolean, detail: string) => void;

/** One flood: its address, which offence of that address it should be, when it ran and what the flooder saw. */
export interface Episode {
  n: number;
  ip: string;
  /** 1-based offence of this address this episode should be. */
  offence: number;
  startMs: number;
  endMs: number;
  report: FloodReport | null;
}

/** A ban row, as the checks read it from the database file. */
export interface BanRowLite {
  id: number; ip: string; started_at: number; planned_end: number | null; ended_at: number | null; step: number;
  rule: string; unban_reason: string | null; source: string;
}

const MB = (b: number) => (b / 1048576).toFixed(1);

/** Daemon RSS, sampled heap and the heap left after each full GC stay flat after the warm-up. */
export function checkMemory(add: AddCheck, m: { rss: Sample[]; heap: Sample[]; afterGc: Sample[]; warm: number; gcEveryMs: number }): void {
  const tr = trend(m.rss, m.warm);
  const th = trend(m.heap, m.warm);
  const tg = trend(m.afterGc, m.warm);
  add('daemon RSS flat', isFlat(tr, 0.1, 5 * 1048576),
    `first third ${MB(tr.firstMedian)} MB, last third ${MB(tr.lastMedian)} MB (x${tr.ratio.toFixed(3)}), slope ${MB(tr.slopePerMin)} MB/min, ${tr.n} samples after ${m.warm} s`);
  add('daemon heap (sampled) flat', isFlat(th, 0.1, 5 * 1048576),
    `first third ${MB(th.firstMedian)} MB, last third ${MB(th.lastMedian)} MB (x${th.ratio.toFixed(3)}), slope ${MB(th.slopePerMin)} MB/min`);
  add('daemon heap after a full GC flat', isFlat(tg, 0.1, 2 * 1048576),
    `first third ${MB(tg.firstMedian)} MB, last third ${MB(tg.lastMedian)} MB (x${tg.ratio.toFixed(3)}), slope ${MB(tg.slopePerMin)} MB/min, ` +
    `${tg.n} full GCs after ${m.warm} s (every ${m.gcEveryMs / 1000} s)`);
}

/**
 * SQLite, ipset, the nginx ban dict and the API held the same bans at the end and at every mid-run snapshot. Only
 * judges results: the ipset listing was read inside the soak's own server network namespace (consistency.ts,
 * `net.exec(net.serverNs, 'ipset', ['save'])`); nothing here runs a firewall command.
 */
export function checkBanStores(add: AddCheck, end: { ok: boolean; detail: string }, midRuns: number, midBad: string[]): void {
  add('active bans: SQLite == ipset == nginx dict == API', end.ok, end.detail);
  add('mid-run snapshots: SQLite == ipset == nginx dict == API', midBad.length === 0,
    `${midRuns - midBad.length} of ${midRuns} consistent${midBad.length ? `; ${midBad.slice(0, 3).join(' / ')}` : ''}`);
}

/** What the checks read from the database file after the daemon stopped. */
export interface DatabaseFacts {
  rows: BanRowLite[];
  integrity: string;
  foreignKeyProblems: number;
  ipsWithTwoActive: number;
  offences: Array<{ ip: string; count: number }>;
}

/** Reads the facts the checks need from the (stopped) daemon's database file. */
export function readDatabase(path: string): DatabaseFacts {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return {
      rows: db.prepare('SELECT id, ip, started_at, planned_end, ended_at, step, rule, unban_reason, source FROM bans ORDER BY id').all() as BanRowLite[],
      integrity: (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join(';'),
      foreignKeyProblems: (db.pragma('foreign_key_check') as unknown[]).length,
      ipsWithTwoActive: db.prepare('SELECT ip, count(*) AS n FROM bans WHERE ended_at IS NULL GROUP BY ip HAVING n > 1').all().length,
      offences: db.prepare('SELECT ip, count FROM offences').all() as Array<{ ip: string; count: number }>,
    };
  } finally {
    db.close();
  }
}

/** The database file is sound: integrity, foreign keys, one active ban per address, nothing superseded. */
export function checkDatabaseFile(add: AddCheck, f: DatabaseFacts): void {
  add('PRAGMA integrity_check', f.integrity === 'ok', f.integrity);
  add('PRAGMA foreign_key_check', f.foreignKeyProblems === 0, `${f.foreignKeyProblems} row(s)`);
  add('no IP with two active bans', f.ipsWithTwoActive === 0, `${f.ipsWithTwoActive} IP(s)`);
  const superseded = f.rows.filter((r) => r.unban_reason === 'superseded');
  add('no ban superseded by a second ban of the same IP', superseded.length === 0, `${superseded.length} row(s)`);
}

/** What the episode check measured, for the report. */
export interface EpisodeFacts {
  banLag: number[];
  dropLag: number[];
  lines: string[];
}

/**
 * Bans against the attack episodes: no background client banned, every flood banned exactly once at its ladder step
 * and duration, and the offence counts in SQLite equal to the offences sent.
 */
export function checkEpisodes(add: AddCheck, e: {
  rows: BanRowLite[]; episodes: Episode[]; background: string[]; offencesSent: Map<string, number>;
  offenceRows: Array<{ ip: string; count: number }>; ladder: Array<number | null>; t0: number;
}): EpisodeFacts {
  const bgSet = new Set(e.background);
  const bgBanned = e.rows.filter((r) => bgSet.has(r.ip));
  add('background clients never banned', bgBanned.length === 0, `${bgBanned.length} ban(s) of ${e.background.length} background addresses`);
  const epIps = new Set(e.episodes.map((x) => x.ip));
  const stray = e.rows.filter((r) => !epIps.has(r.ip));
  const claimed = new Set<number>();
  const missed: string[] = [];
  const doubled: string[] = [];
  const wrongStep: string[] = [];
  const out: EpisodeFacts = { banLag: [], dropLag: [], lines: [] };
  for (const ep of e.episodes) {
    const s = Math.floor(ep.startMs / 1000) - 1;
    const end = Math.ceil(ep.endMs / 1000) + 3;
    const mine = e.rows.filter((r) => r.ip === ep.ip && r.started_at >= s && r.started_at <= end);
    mine.forEach((r) => claimed.add(r.id));
    if (mine.length === 0) missed.push(`#${ep.n} ${ep.ip}`);
    const rep = ep.report;
    const sentFor = rep ? ((rep.firstFailSent ?? ep.endMs) - rep.firstSent) / 1000 : 0;
    out.lines.push(`  #${String(ep.n).padStart(2)} t=${((ep.startMs - e.t0) / 1000).toFixed(0).padStart(3)}s ${ep.ip.padEnd(13)} offence ${ep.offence}: ` +
      `${rep?.ok ?? 0} answered (${sentFor > 0 ? ((rep?.ok ?? 0) / sentFor).toFixed(0) : '?'} req/s until the first drop), ${rep?.forbidden ?? 0} x 403, ` +
      `${rep?.failed ?? 0} dropped in ${((ep.endMs - ep.startMs) / 1000).toFixed(1)} s; ` +
      `${mine.length ? mine.map((r) => `ban at +${(r.started_at - ep.startMs / 1000).toFixed(1)} s, step ${r.step}, ${r.planned_end === null ? 'permanent' : `${r.planned_end - r.started_at} s`}`).join(' + ') : 'NOT BANNED'}`);
    if (mine.length > 1) doubled.push(`#${ep.n} ${ep.ip} x${mine.length}`);
    const r = mine[0];
    if (r) {
      const dur = e.ladder[Math.min(ep.offence, e.ladder.length) - 1];
      if (r.step !== ep.offence || (dur === null ? r.planned_end !== null : r.planned_end !== r.started_at + dur)) {
        wrongStep.push(`#${ep.n} ${ep.ip}: step ${r.step} (want ${ep.offence}), ${r.planned_end === null ? 'permanent' : `${r.planned_end - r.started_at}s`}`);
      }
      out.banLag.push(r.started_at - ep.startMs / 1000);
    }
    if (ep.report?.firstFailSent) out.dropLag.push((ep.report.firstFailSent - ep.report.firstSent) / 1000);
  }
  const unclaimed = e.rows.filter((r) => !claimed.has(r.id) && !bgSet.has(r.ip));
  add('every flood banned', missed.length === 0, `${e.episodes.length - missed.length} of ${e.episodes.length} episodes${missed.length ? `; missed ${missed.join(', ')}` : ''}`);
  add('each offence is one ban row', doubled.length === 0 && unclaimed.length === 0 && stray.length === 0,
    `${e.rows.length} ban rows for ${e.episodes.length} episodes${doubled.length ? `; doubled ${doubled.join(', ')}` : ''}` +
    `${unclaimed.length ? `; rows outside any episode: ${unclaimed.map((r) => `${r.ip}@${r.started_at}`).join(', ')}` : ''}`);
  add('ladder step and duration per offence', wrongStep.length === 0,
    wrongStep.length ? wrongStep.join('; ') : `steps ${[...new Set(e.episodes.map((x) => x.offence))].sort().join(',')} as expected`);
  const offOk = e.offenceRows.every((o) => o.count === e.offencesSent.get(o.ip)) && e.offenceRows.length === e.offencesSent.size;
  add('offence counts in SQLite == offences sent', offOk, `${e.offenceRows.length} addresses, ${e.offenceRows.reduce((a, o) => a + o.count, 0)} offences`);
  return out;
}

/** Bans whose planned end passed were ended as expired in the database, on time (the backends: checkBanStores). */
export function checkExpiry(add: AddCheck, rows: BanRowLite[], nowSec: number): void {
  const due = rows.filter((r) => r.planned_end !== null && r.planned_end <= nowSec - 3);
  const notLifted = due.filter((r) => r.ended_at === null || r.unban_reason !== 'expired');
  const liftLag = due.filter((r) => r.ended_at !== null).map((r) => (r.ended_at as number) - (r.planned_end as number));
  add('expired bans lifted', notLifted.length === 0 && liftLag.every((l) => l >= 0 && l <= 3),
    `${due.length - notLifted.length} of ${due.length} ended as expired, ${liftLag.length ? `${minOf(liftLag)}-${maxOf(liftLag)} s` : '-'} after their planned end`);
}

/** The audit log has a BAN line per ban row, an UNBAN line per ended row, and no FAILURE line. */
export function checkAudit(add: AddCheck, audit: string, rows: BanRowLite[]): void {
  const count = (re: RegExp) => (audit.match(re) ?? []).length;
  const ban = count(/^\[[^\]]+\] BAN /gm);
  const unban = count(/^\[[^\]]+\] UNBAN /gm);
  const fail = count(/^\[[^\]]+\] FAILURE /gm);
  const ended = rows.filter((r) => r.ended_at !== null).length;
  add('audit BAN/UNBAN lines == database rows', ban === rows.length && unban === ended && fail === 0,
    `BAN ${ban} (rows ${rows.length}), UNBAN ${unban} (ended rows ${ended}), FAILURE ${fail}`);
}

/** Every background request was answered 200; returns how many were sent and answered. */
export function checkBackground(add: AddCheck, reports: Array<BackgroundReport | null>, loadSeconds: number): { sent: number; ok: number } {
  const sent = reports.reduce((a, r) => a + (r?.sent ?? 0), 0);
  const ok = reports.reduce((a, r) => a + (r?.ok ?? 0), 0);
  const errors = reports.reduce((a, r) => a + (r?.errors ?? 0), 0);
  const statuses: Record<string, number> = {};
  for (const r of reports) for (const [s, n] of Object.entries(r?.statuses ?? {})) statuses[s] = (statuses[s] ?? 0) + n;
  const failures = reports.flatMap((r) => r?.failures ?? []);
  const maxMs = maxOf(reports.map((r) => r?.maxMs ?? 0));
  const slow = reports.reduce((a, r) => a + (r?.slow ?? 0), 0);
  add('background clients: only 200s', reports.every((r) => r !== null) && sent > 0 && ok === sent,
    `${ok} of ${sent} answered 200 (${(sent / loadSeconds).toFixed(0)} req/s); other statuses ${JSON.stringify(statuses)}; no answer ${errors}; ` +
    `slowest ${maxMs} ms, ${slow} over 1 s${failures.length ? `; first failures: ${failures.slice(0, 5).map((f) => `${f.addr} ${f.status || f.error}`).join('; ')}` : ''}`);
  return { sent, ok };
}

/** nginx's error log holds no error, no js exception and no warden: line. */
export function checkNginxErrorLog(add: AddCheck, errorLog: string): void {
  const lines = errorLog.split('\n').filter((l) => /\[(error|crit|alert|emerg)\]|js exception|warden:/.test(l));
  add('nginx error log: no errors, no js exception, no warden: lines', lines.length === 0,
    lines.length ? `${lines.length} line(s), first: ${lines.slice(0, 3).join(' / ')}` : 'clean');
}

/** nginx never had to drop a count. */
export function checkDropped(add: AddCheck, dropped: number | null, statusFailures: number): void {
  add('counters dropped stayed 0', dropped === 0, `dropped ${dropped ?? '?'}; status endpoint failures ${statusFailures}`);
}

/**
 * The daemon logged no warning or error, except the expected global-surge alerts: a 200 req/s flood on top of ~360
 * req/s is many stddevs over the site's mean (alert only, once per global_cooldown = 1 h).
 */
export function checkDaemonLog(add: AddCheck, daemonOut: string, seconds: number): void {
  const warnLines = daemonOut.split('\n').filter((l) => / (ERROR|WARN) /.test(l));
  const surges = warnLines.filter((l) => / WARN global surge: /.test(l));
  const errors = warnLines.filter((l) => !surges.includes(l));
  add('daemon log: no warnings or errors', errors.length === 0 && surges.length <= Math.ceil(seconds / 3600),
    `${errors.length ? `${errors.length} line(s), first: ${errors.slice(0, 3).join(' / ')}` : 'clean'}; ${surges.length} expected global-surge alert(s)`);
}
