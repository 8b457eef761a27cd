// `warden history`: ban history from the running daemon, or straight from the SQLite file when the daemon is down.
import { existsSync } from 'node:fs';
import type { CommandContext } from '../context.js';
import { resolveConfig } from '../../config/find.js';
import { callApi, DaemonDownError } from '../api-client.js';
import { parseDuration, formatDuration } from '../../config/duration.js';
import { openStore } from '../../adapters/store/warden-store.js';
import { banRowsToCsv } from '../../adapters/store/csv.js';
import type { BanRow, HistoryFilter } from '../../adapters/store/types.js';
import type { RuleAlertsResponse } from '../../api/types.js';
import type { Config } from '../../config/schema.js';
import type { Rule } from '../../core/types.js';
import { banRuleNames, isBanRule } from '../../core/rules/registry.js';

function iso(sec: number | null): string {
  return sec === null ? '-' : new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
}

/** A rule's figure: whole numbers as they are, others with 2 decimals. */
const fig = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));

/**
 * Asks the running daemon (`GET path`); when it is down, reads the SQLite file instead with `fromFile`. Null (after
 * saying why) when neither can answer. `from` says which answered.
 */
async function daemonOrFile<T>(ctx: CommandContext, config: Config, path: string, fromFile: (store: ReturnType<typeof openStore>) => T):
  Promise<{ result: T; from: string } | null> {
  try {
    return { result: await callApi<T>(config, 'GET', path), from: 'daemon' };
  } catch (err) {
    if (!(err instanceof DaemonDownError)) throw err;
    if (!existsSync(config.storage.database)) {
      ctx.err(`warden history: the daemon is not running and there is no database at ${config.storage.database}`);
      return null;
    }
    const store = openStore(config.storage.database, { readonly: true });
    try {
      return { result: fromFile(store), from: `${config.storage.database} (daemon not running)` };
    } finally {
      store.close();
    }
  }
}

/** `warden history --alerts`: rule alerts (what rules in mode alert or learning would have banned), newest first. */
async function runAlerts(ctx: CommandContext, config: Config, filter: HistoryFilter): Promise<number> {
  if (filter.activeOnly || ctx.flags.csv) {
    ctx.err(`warden history: --alerts lists alerts, which are never active bans: --${filter.activeOnly ? 'active' : 'csv'} does not go with it`);
    return 2;
  }
  if (filter.rule === 'manual') {
    ctx.err(`warden history: --alerts --rule expects one of ${banRuleNames().filter((r) => r !== 'manual').join(', ')}, got \`manual\``);
    return 2;
  }
  const f = { rule: filter.rule, ip: filter.ip, since: filter.since, limit: filter.limit };
  const q = new URLSearchParams();
  if (f.ip) q.set('ip', f.ip);
  if (f.since !== undefined) q.set('since', String(f.since));
  if (f.rule) q.set('rule', f.rule);
  q.set('limit', String(f.limit));
  const got = await daemonOrFile<Pick<RuleAlertsResponse, 'rows' | 'total'>>(ctx, config, `/api/v1/alerts?${q}`, (store) => store.ruleAlerts(f));
  if (!got) return 1;
  const { result: { rows, total }, from } = got;
  if (ctx.flags.json) {
    for (const r of rows) ctx.out(JSON.stringify(r));
    return 0;
  }
  ctx.out(`${total} rule alert(s) match; showing ${rows.length}, newest first; from ${from}`);
  ctx.out(`${'TIME'.padEnd(21)} ${'CLIENT'.padEnd(32)} ${'RULE'.padEnd(12)} ${'VALUE > THRESHOLD'.padEnd(20)} ${'RATE'.padStart(8)} WHY NOT BANNED`);
  for (const r of rows) {
    ctx.out(`${iso(r.at).padEnd(21)} ${r.ip.padEnd(32)} ${r.rule.padEnd(12)} ${`${fig(r.value)} > ${fig(r.threshold)}`.padEnd(20)} ` +
      `${r.rate.toFixed(2).padStart(8)} ${r.cause === 'learning' ? 'learning period' : 'mode alert'}`);
  }
  return 0;
}

/** Runs `warden history [--alerts] [--ip X] [--since 24h] [--rule R] [--active] [--limit N] [--json|--csv]`. */
export async function runHistory(ctx: CommandContext): Promise<number> {
  const { config } = resolveConfig(ctx.flags.config as string | undefined);
  const filter: HistoryFilter = { sort: 'started_at', order: 'desc', limit: 50 };
  if (ctx.flags.ip) filter.ip = String(ctx.flags.ip).trim();
  if (ctx.flags.since) {
    const s = parseDuration(ctx.flags.since);
    if (s === null) {
      ctx.err(`warden history: --since expects a duration such as 24h or 7d, got \`${ctx.flags.since}\``);
      return 2;
    }
    filter.since = Math.floor(Date.now() / 1000 - s);
  }
  if (ctx.flags.rule) {
    if (!isBanRule(String(ctx.flags.rule))) {
      ctx.err(`warden history: --rule expects one of ${banRuleNames().join(', ')}, got \`${ctx.flags.rule}\``);
      return 2;
    }
    filter.rule = ctx.flags.rule as Rule;
  }
  if (ctx.flags.active) filter.activeOnly = true;
  if (ctx.flags.limit) {
    const n = Number(ctx.flags.limit);
    if (!Number.isInteger(n) || n < 1 || n > 1000) {
      ctx.err(`warden history: --limit expects a whole number from 1 to 1000, got \`${ctx.flags.limit}\``);
      return 2;
    }
    filter.limit = n;
  }
  if (ctx.flags.alerts) return runAlerts(ctx, config, filter);
  const q = new URLSearchParams();
  if (filter.ip) q.set('ip', filter.ip);
  if (filter.since !== undefined) q.set('since', String(filter.since));
  if (filter.rule) q.set('rule', filter.rule);
  if (filter.activeOnly) q.set('active', 'true');
  q.set('limit', String(filter.limit));
  const got = await daemonOrFile<{ rows: BanRow[]; total: number }>(ctx, config, `/api/v1/history?${q}`, (store) => store.history(filter));
  if (!got) return 1;
  const { result: { rows, total }, from } = got;
  if (ctx.flags.json) {
    for (const r of rows) ctx.out(JSON.stringify(r));
    return 0;
  }
  if (ctx.flags.csv) {
    for (const line of banRowsToCsv(rows)) ctx.out(line.replace(/\r?\n$/, ''));
    return 0;
  }
  ctx.out(`${total} ban(s) match; showing ${rows.length}, newest first; from ${from}`);
  ctx.out(`${'STARTED'.padEnd(21)} ${'IP'.padEnd(32)} ${'RULE'.padEnd(10)} ${'RATE'.padStart(8)} ${'DURATION'.padEnd(9)} ${'STATE'.padEnd(8)} SOURCE`);
  for (const r of rows) {
    const dur = r.planned_end === null ? 'permanent' : formatDuration(r.planned_end - r.started_at);
    const state = r.ended_at === null ? 'active' : (r.unban_reason ?? 'ended');
    ctx.out(`${iso(r.started_at).padEnd(21)} ${r.ip.padEnd(32)} ${r.rule.padEnd(10)} ${r.rate.toFixed(2).padStart(8)} ${dur.padEnd(9)} ${state.padEnd(8)} ${r.source}${r.dry_run ? ' (dry-run)' : ''}`);
  }
  return 0;
}
