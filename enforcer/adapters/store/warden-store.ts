// The SQLite adapter: bans, offences, baselines, alerts, allow-list and meta in one WAL database (better-sqlite3,
// synchronous, statements prepared once). Schema and example queries: docs/schema.md.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { BanDecision, OffenceRecord, RuleAlertDecision } from '../../core/types.js';
import { banKeyParts, normaliseBanKey, parseCidr } from '../../net/index.js';
import { HistoryFilterError, SchemaVersionError } from './errors.js';
import { BAN_COLUMNS, buildHistoryQuery } from './history-query.js';
import { SCHEMA_VERSION, migrate } from './migrations.js';
import type { AlertRow, BanRow, BaselineRow, HistoryFilter, RuleAlertFilter, RuleAlertRow } from './types.js';

/** An entry of the allow-list added through the API. */
export interface AllowEntry {
  cidr: string;
  note: string;
  created_at: number;
  created_by: string;
}

/** What prune removed. */
export interface PruneResult {
  bans: number;
  baselines: number;
  alerts: number;
  offences: number;
  ruleAlerts: number;
}

/** Options of openStore. */
export interface OpenStoreOptions {
  /** Open an existing, migrated database read-only (the CLI while the daemon runs). */
  readonly?: boolean;
  /** Milliseconds to wait for another connection's write lock; default 5000. */
  busyTimeoutMs?: number;
}

/** Options of prune beyond the three required arguments. */
export interface PruneOptions {
  /** Baseline snapshots are kept this long; default 30 days. */
  baselineSec?: number;
  /** Alert attempts and rule alerts are kept this long; default the ban retention. */
  alertSec?: number;
}

/** The warden database. Every method is synchronous; times are epoch seconds. */
export interface WardenStore {
  /** The file path (or ':memory:'). */
  readonly path: string;
  /** Records a new active ban; an active ban of the same IP is ended first (unban_reason 'superseded'). Returns its id. */
  insertBan(b: BanDecision, opts?: { dryRun?: boolean }): number;
  /** Ends the IP's active ban at `at` with `reason`; false when it had none. */
  endBan(ip: string, at: number, reason: string): boolean;
  /** Bans not ended yet (including those past planned_end, for the daemon to end), oldest first. */
  activeBans(): BanRow[];
  /**
   * Records that `ip` is at its `count`-th remembered offence at `at`. The count is the core's (its offence book,
   * enforcer/core/ladder.ts, owns the memory); the store only keeps it for the next start.
   */
  recordOffence(ip: string, count: number, at: number): void;
  /** Offences whose last one is at or after `since`. */
  offences(since: number): OffenceRecord[];
  /** Appends a baseline snapshot. */
  insertBaseline(row: BaselineRow): void;
  /** Baseline snapshots at or after `since`, oldest first. */
  baselineHistory(since: number): BaselineRow[];
  /** Records an alert attempt; returns its id. */
  insertAlert(row: Omit<AlertRow, 'id'>): number;
  /** The newest `limit` alert attempts, newest first. */
  recentAlerts(limit: number): AlertRow[];
  /** Records what a rule that did not ban (mode alert, learning period) would have banned; returns its id. */
  insertRuleAlert(d: RuleAlertDecision): number;
  /** One page of rule alerts, newest first, and the number matching. Throws for an `ip` that is not an address or CIDR. */
  ruleAlerts(filter: RuleAlertFilter): { rows: RuleAlertRow[]; total: number };
  /** One page of ban history and the number of rows matching. Throws HistoryFilterError for a bad filter. */
  history(filter: HistoryFilter): { rows: BanRow[]; total: number };
  /** Every row matching (limit/offset only when given), streamed from its own read connection. */
  iterateHistory(filter: HistoryFilter): IterableIterator<BanRow>;
  /** Number of active bans. */
  countActive(): number;
  /** Bans ever recorded per rule (not lowered by pruning). */
  bansTotalByRule(): Record<string, number>;
  /** The allow-list entries added through the API. */
  allowlist(): AllowEntry[];
  /** Adds (or updates the note of) an address or CIDR, stored in canonical form. Throws for an invalid one. */
  addAllow(cidr: string, note: string, by: string, at: number): void;
  /** Removes an entry; false when it was not there. */
  removeAllow(cidr: string): boolean;
  getMeta(key: string): string | undefined;
  setMeta(key: string, value: string): void;
  /** Deletes history past retention (see docs/schema.md for what is never deleted). */
  prune(now: number, retentionSec: number, offenceMemorySec: number, opts?: PruneOptions): PruneResult;
  /** Runs `fn` in one transaction (nested calls become savepoints). */
  transaction<T>(fn: () => T): T;
  close(): void;
}

const DAY = 86400;
const PRUNE_CHUNK = 10_000;

/** A number SQLite can hold in a NOT NULL REAL column: NaN becomes 0, infinities the largest double. */
function finite(n: number): number {
  if (Number.isNaN(n)) return 0;
  if (n === Infinity) return Number.MAX_VALUE;
  if (n === -Infinity) return -Number.MAX_VALUE;
  return n;
}

/** Opens a better-sqlite3 connection with the house pragmas; readonly connections need a migrated file. */
function connect(path: string, readonly: boolean, busyTimeoutMs: number): Database.Database {
  const memory = path === ':memory:' || path === '';
  if (!memory && !readonly) {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (err) {
      throw new Error(`cannot create the directory of the database ${path}: ${(err as Error).message}`, { cause: err });
    }
  }
  // The database holds the password hash: 0600 whatever the umask. SQLite gives -wal and -shm the mode of the
  // database file, so creating (or tightening) the database first covers them; existing ones are tightened too.
  if (!memory && !readonly) {
    try {
      closeSync(openSync(path, 'a', 0o600));
      for (const f of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(f) && (statSync(f).mode & 0o077) !== 0) chmodSync(f, 0o600);
    } catch (err) {
      throw new Error(`cannot create the database ${path}: ${(err as Error).message}`, { cause: err });
    }
  }
  let db: Database.Database;
  try {
    db = new Database(path, { readonly, fileMustExist: readonly, timeout: busyTimeoutMs });
  } catch (err) {
    throw new Error(`cannot open the database ${path}${readonly ? ' read-only' : ''}: ${(err as Error).message}`, { cause: err });
  }
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    db.pragma('foreign_keys = ON');
    if (!readonly) {
      if (!memory) db.pragma('journal_mode = WAL');
      // Safe with WAL: a crash of the process never loses a committed ban; only a power cut may lose the last ones.
      db.pragma('synchronous = NORMAL');
    }
  } catch (err) {
    db.close();
    throw new Error(`cannot use the database ${path}: ${(err as Error).message}`, { cause: err });
  }
  return db;
}

/**
 * Opens (creating and migrating when needed) the warden database. `:memory:` works for tests.
 * A read-only open needs an existing file at the current schema version.
 * @example
 * const store = openStore('var/warden.db');
 * const id = store.insertBan(decision);
 * const { rows, total } = store.history({ ip: '203.0.113.0/24', since: now - 86400, sort: 'rate' });
 * store.close();
 */
export function openStore(path: string, opts: OpenStoreOptions = {}): WardenStore {
  const readonly = opts.readonly === true;
  const busy = opts.busyTimeoutMs ?? 5000;
  const db = connect(path, readonly, busy);
  try {
    if (readonly) {
      const v = db.pragma('user_version', { simple: true }) as number;
      if (v > SCHEMA_VERSION) throw new SchemaVersionError(path, v, SCHEMA_VERSION);
      if (v < SCHEMA_VERSION) {
        throw new SchemaVersionError(path, v, SCHEMA_VERSION,
          v === 0
            ? `${path} is not a warden database (schema version 0): start the daemon once to create it`
            : `${path} has schema version ${v}, older than this warden's ${SCHEMA_VERSION}: start the daemon once to migrate it`);
      }
    } else {
      migrate(db, path);
      // Statistics for the query planner (cheap; only re-analyses tables that changed a lot). Best effort: on a full
      // disk it cannot write, and the daemon must still start and enforce the bans it has.
      try {
        db.pragma('optimize = 0x10002');
      } catch {
        /* the first write will report the disk */
      }
    }
  } catch (err) {
    db.close();
    throw err;
  }
  return createStore(db, path, readonly, busy);
}

function createStore(db: Database.Database, path: string, readonly: boolean, busyTimeoutMs: number): WardenStore {
  // Prepared once. On a read-only connection the write statements prepare fine and fail only if run.
  const s = {
    activeId: db.prepare('SELECT id FROM bans WHERE ip_key = ? AND prefix_len = ? AND ended_at IS NULL').pluck(),
    supersede: db.prepare("UPDATE bans SET ended_at = ?, unban_reason = 'superseded' WHERE id = ?"),
    insertBan: db.prepare(`INSERT INTO bans (ip, ip_key, prefix_len, started_at, planned_end, ended_at, step, rule, rate, error_rate,
        baseline_mean, baseline_stddev, baseline_source, z, tightened, source, reason, unban_reason, dry_run, node, fleet_id)
      VALUES (@ip, @ip_key, @prefix_len, @started_at, @planned_end, NULL, @step, @rule, @rate, @error_rate, @baseline_mean,
        @baseline_stddev, @baseline_source, @z, @tightened, @source, @reason, NULL, @dry_run, @node, @fleet_id)`),
    endBan: db.prepare('UPDATE bans SET ended_at = ?, unban_reason = ? WHERE ip_key = ? AND prefix_len = ? AND ended_at IS NULL'),
    activeBans: db.prepare(`SELECT ${BAN_COLUMNS} FROM bans WHERE ended_at IS NULL ORDER BY started_at, id`),
    countActive: db.prepare('SELECT count(*) FROM bans WHERE ended_at IS NULL').pluck(),
    totals: db.prepare('SELECT rule, total FROM ban_totals ORDER BY rule'),
    upsertOffence: db.prepare(`INSERT INTO offences (ip, ip_key, count, first_at, last_at) VALUES (@ip, @ip_key, @count, @at, @at)
      ON CONFLICT (ip) DO UPDATE SET count = excluded.count, last_at = excluded.last_at,
        first_at = CASE WHEN excluded.count = 1 THEN excluded.first_at ELSE first_at END`),
    offences: db.prepare('SELECT ip, count, last_at AS lastAt FROM offences WHERE last_at >= ? ORDER BY last_at'),
    insertBaseline: db.prepare(`INSERT INTO baselines (at, mean, stddev, error_mean, source, hour, samples, global_rate)
      VALUES (@at, @mean, @stddev, @error_mean, @source, @hour, @samples, @global_rate)`),
    baselineHistory: db.prepare(`SELECT at, mean, stddev, error_mean, source, hour, samples, global_rate
      FROM baselines WHERE at >= ? ORDER BY at, id`),
    insertAlert: db.prepare(`INSERT INTO alerts (at, kind, channel, ok, error, payload)
      VALUES (@at, @kind, @channel, @ok, @error, @payload)`),
    recentAlerts: db.prepare('SELECT id, at, kind, channel, ok, error, payload FROM alerts ORDER BY id DESC LIMIT ?'),
    insertRuleAlert: db.prepare(`INSERT INTO rule_alerts (at, ip, ip_key, prefix_len, rule, cause, value, threshold, rate, error_rate,
        z, baseline_mean, tightened)
      VALUES (@at, @ip, @ip_key, @prefix_len, @rule, @cause, @value, @threshold, @rate, @error_rate, @z, @baseline_mean, @tightened)`),
    allowlist: db.prepare('SELECT cidr, note, created_at, created_by FROM allowlist ORDER BY created_at, cidr'),
    addAllow: db.prepare(`INSERT INTO allowlist (cidr, note, created_at, created_by) VALUES (?, ?, ?, ?)
      ON CONFLICT (cidr) DO UPDATE SET note = excluded.note`),
    removeAllow: db.prepare('DELETE FROM allowlist WHERE cidr = ?'),
    getMeta: db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
    setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    pruneBans: db.prepare(`DELETE FROM bans WHERE id IN (SELECT id FROM bans
      WHERE started_at < @cutoff AND ended_at IS NOT NULL AND ended_at < @cutoff AND planned_end IS NOT NULL LIMIT ${PRUNE_CHUNK})`),
    pruneBaselines: db.prepare('DELETE FROM baselines WHERE at < ?'),
    pruneAlerts: db.prepare('DELETE FROM alerts WHERE at < ?'),
    pruneRuleAlerts: db.prepare('DELETE FROM rule_alerts WHERE at < ?'),
    pruneOffences: db.prepare('DELETE FROM offences WHERE last_at < ?'),
  };

  // History statements depend on which filters are present: a few hundred shapes at most, each prepared once.
  const cache = new Map<string, Database.Statement>();
  const prepared = (sql: string): Database.Statement => {
    let st = cache.get(sql);
    if (!st) cache.set(sql, (st = db.prepare(sql)));
    return st;
  };

  const insertBanTx = db.transaction((b: BanDecision, dryRun: boolean): number => {
    const ip = normaliseBanKey(b.ip);
    if (ip === null) throw new Error(`cannot record a ban of ${JSON.stringify(b.ip)}: not an IP address or CIDR`);
    const key = banKeyParts(ip);
    const prev = s.activeId.get(key.ipKey, key.prefixLen) as number | undefined;
    if (prev !== undefined) s.supersede.run(b.at, prev);
    const r = s.insertBan.run({
      ip, ip_key: key.ipKey, prefix_len: key.prefixLen, started_at: b.at, planned_end: b.until, step: b.step, rule: b.rule,
      rate: finite(b.rate), error_rate: finite(b.errorRate), baseline_mean: finite(b.baseline.mean),
      baseline_stddev: finite(b.baseline.stddev), baseline_source: b.baseline.source, z: finite(b.z),
      tightened: b.tightened ? 1 : 0, source: b.source, reason: b.reason ?? null, dry_run: dryRun ? 1 : 0,
      node: b.node ?? null, fleet_id: b.fleetId ?? null,
    });
    return Number(r.lastInsertRowid);
  });


  const store: WardenStore = {
    path,

    insertBan(b, opts = {}) {
      try {
        return insertBanTx.immediate(b, opts.dryRun === true);
      } catch (err) {
        throw new Error(`cannot record the ban of ${b.ip}: ${(err as Error).message}`, { cause: err });
      }
    },

    endBan(ip, at, reason) {
      const n = normaliseBanKey(ip);
      if (n === null) return false;
      const key = banKeyParts(n);
      return s.endBan.run(at, reason, key.ipKey, key.prefixLen).changes > 0;
    },

    activeBans: () => s.activeBans.all() as BanRow[],

    recordOffence(ip, count, at) {
      const n = normaliseBanKey(ip);
      if (n === null) throw new Error(`cannot record an offence of ${JSON.stringify(ip)}: not an IP address or CIDR`);
      if (!(Number.isInteger(count) && count >= 1)) throw new Error(`cannot record an offence of ${n}: count must be a whole number >= 1, got ${count}`);
      s.upsertOffence.run({ ip: n, ip_key: banKeyParts(n).ipKey, count, at });
    },

    offences: (since) => s.offences.all(since) as OffenceRecord[],

    insertBaseline(row) {
      s.insertBaseline.run({
        at: row.at, mean: finite(row.mean), stddev: finite(row.stddev), error_mean: finite(row.error_mean),
        source: row.source, hour: row.hour, samples: row.samples, global_rate: finite(row.global_rate),
      });
    },

    baselineHistory: (since) => s.baselineHistory.all(since) as BaselineRow[],

    insertAlert(row) {
      const r = s.insertAlert.run({
        at: row.at, kind: row.kind, channel: row.channel, ok: row.ok ? 1 : 0, error: row.error ?? null, payload: row.payload,
      });
      return Number(r.lastInsertRowid);
    },

    recentAlerts(limit) {
      const n = Number.isInteger(limit) && limit > 0 ? Math.min(limit, 10_000) : 50;
      return s.recentAlerts.all(n) as AlertRow[];
    },

    insertRuleAlert(d) {
      const ip = normaliseBanKey(d.ip);
      if (ip === null) throw new Error(`cannot record a rule alert of ${JSON.stringify(d.ip)}: not an IP address or CIDR`);
      const key = banKeyParts(ip);
      const r = s.insertRuleAlert.run({
        at: d.at, ip, ip_key: key.ipKey, prefix_len: key.prefixLen, rule: d.rule, cause: d.cause ?? 'mode',
        value: finite(d.value), threshold: finite(d.threshold), rate: finite(d.rate), error_rate: finite(d.errorRate),
        z: finite(d.z), baseline_mean: finite(d.baseline.mean), tightened: d.tightened ? 1 : 0,
      });
      return Number(r.lastInsertRowid);
    },

    ruleAlerts(filter) {
      const where: string[] = [];
      const params: Record<string, string | number> = {};
      if (filter.rule !== undefined) { where.push('rule = @rule'); params.rule = filter.rule; }
      if (filter.ip !== undefined) {
        const ip = normaliseBanKey(filter.ip.trim());
        if (ip === null) throw new HistoryFilterError('ip', `\`ip\` must be an IP address or CIDR, got \`${filter.ip.slice(0, 64)}\``);
        const key = banKeyParts(ip);
        where.push('ip_key = @ip_key AND prefix_len = @prefix_len');
        params.ip_key = key.ipKey;
        params.prefix_len = key.prefixLen;
      }
      if (filter.since !== undefined) { where.push('at >= @since'); params.since = filter.since; }
      if (filter.until !== undefined) { where.push('at <= @until'); params.until = filter.until; }
      const limit = Number.isInteger(filter.limit) && filter.limit! > 0 ? Math.min(filter.limit!, 1000) : 100;
      const offset = Number.isInteger(filter.offset) && filter.offset! > 0 ? filter.offset! : 0;
      const w = where.length ? ` WHERE ${where.join(' AND ')}` : '';
      const rows = prepared(`SELECT id, at, ip, rule, cause, value, threshold, rate, error_rate, z, baseline_mean, tightened
        FROM rule_alerts${w} ORDER BY at DESC, id DESC LIMIT @limit OFFSET @offset`).all({ ...params, limit, offset }) as RuleAlertRow[];
      const total = rows.length < limit && (rows.length > 0 || offset === 0)
        ? offset + rows.length
        : (prepared(`SELECT count(*) FROM rule_alerts${w}`).pluck().get(params) as number);
      return { rows, total };
    },

    history(filter) {
      const q = buildHistoryQuery(filter);
      const where = q.where ? ` WHERE ${q.where}` : '';
      const rows = prepared(`SELECT ${BAN_COLUMNS} FROM bans${where} ORDER BY ${q.orderBy} LIMIT @limit OFFSET @offset`)
        .all({ ...q.params, limit: q.limit, offset: q.offset }) as BanRow[];
      // A page that is not full ends the matches: no need to count them all.
      const total = rows.length < q.limit && (rows.length > 0 || q.offset === 0)
        ? q.offset + rows.length
        : (prepared(`SELECT count(*) FROM bans${where}`).pluck().get(q.params) as number);
      return { rows, total };
    },

    iterateHistory(filter) {
      const q = buildHistoryQuery({ ...filter, limit: filter.limit ?? 1, offset: filter.offset ?? 0 });
      const where = q.where ? ` WHERE ${q.where}` : '';
      const paged = filter.limit !== undefined || filter.offset !== undefined;
      const sql = `SELECT ${BAN_COLUMNS} FROM bans${where} ORDER BY ${q.orderBy}` +
        (paged ? ` LIMIT ${filter.limit === undefined ? -1 : q.limit} OFFSET ${q.offset}` : '');
      return streamRows(path, path === ':memory:' || path === '' ? db : null, busyTimeoutMs, sql, q.params);
    },

    countActive: () => s.countActive.get() as number,

    bansTotalByRule() {
      const out: Record<string, number> = {};
      for (const r of s.totals.all() as Array<{ rule: string; total: number }>) out[r.rule] = r.total;
      return out;
    },

    allowlist: () => s.allowlist.all() as AllowEntry[],

    addAllow(cidr, note, by, at) {
      const c = typeof cidr === 'string' ? parseCidr(cidr.trim()) : null;
      if (!c) throw new Error(`cannot add ${JSON.stringify(cidr)} to the allow-list: not an IP address or CIDR`);
      s.addAllow.run(c.text, note ?? '', at, by ?? '');
    },

    removeAllow(cidr) {
      const c = typeof cidr === 'string' ? parseCidr(cidr.trim()) : null;
      if (!c) return false;
      return s.removeAllow.run(c.text).changes > 0;
    },

    getMeta: (key) => s.getMeta.get(key) as string | undefined,

    setMeta(key, value) {
      s.setMeta.run(key, value);
    },

    prune(now, retentionSec, offenceMemorySec, opts = {}) {
      const cutoff = now - Math.max(retentionSec, offenceMemorySec);
      let bans = 0;
      // In chunks, each its own short transaction, so a first prune of a big history never blocks other writers long.
      for (;;) {
        const n = s.pruneBans.run({ cutoff }).changes;
        bans += n;
        if (n < PRUNE_CHUNK) break;
      }
      return db.transaction(() => ({
        bans,
        baselines: s.pruneBaselines.run(now - (opts.baselineSec ?? 30 * DAY)).changes,
        alerts: s.pruneAlerts.run(now - (opts.alertSec ?? retentionSec)).changes,
        offences: s.pruneOffences.run(now - offenceMemorySec).changes,
        ruleAlerts: s.pruneRuleAlerts.run(now - (opts.alertSec ?? retentionSec)).changes,
      }))();
    },

    transaction: <T>(fn: () => T): T => db.transaction(fn)(),

    close() {
      if (!db.open) return;
      if (!readonly) {
        try {
          db.pragma('optimize');
        } catch {
          // best effort: statistics only
        }
      }
      db.close();
    },
  };
  return store;
}

/**
 * Streams rows from a connection of its own (a file database), so the main connection stays free for the daemon's
 * writes while a long export runs; WAL gives the export one consistent snapshot. A `:memory:` store uses its one
 * connection. The connection closes when the iteration ends, breaks or throws.
 */
function* streamRows(
  path: string,
  shared: Database.Database | null,
  busyTimeoutMs: number,
  sql: string,
  params: Record<string, string | number>,
): IterableIterator<BanRow> {
  const own = shared === null;
  const conn = shared ?? connect(path, true, busyTimeoutMs);
  try {
    yield* conn.prepare(sql).iterate(params) as IterableIterator<BanRow>;
  } finally {
    if (own) conn.close();
  }
}
