// Versioned schema of the warden database: one migration per PRAGMA user_version step, each in its own transaction.
// Documented table by table in docs/schema.md; append new migrations, never edit a shipped one.
import type Database from 'better-sqlite3';
import { SchemaVersionError } from './errors.js';

/** One schema step: the SQL that takes `user_version` from `version - 1` to `version`. */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

/** The rules version 1 allowed. */
const V1_RULES = "'zscore', 'multiplier', 'manual'";

/**
 * The bans table, as `name`, allowing `rules` (SQL string literals; versions 1 and 2 listed the rule names), or any
 * rule name of 1 to 32 characters when `rules` is null (version 3 on: a new rule needs no migration).
 */
const bansTable = (name: string, rules: string | null): string => `
CREATE TABLE ${name} (
  id              INTEGER PRIMARY KEY,
  ip              TEXT    NOT NULL,
  ip_key          TEXT    NOT NULL CHECK (length(ip_key) = 32),
  started_at      INTEGER NOT NULL,
  planned_end     INTEGER,
  ended_at        INTEGER,
  step            INTEGER NOT NULL DEFAULT 1,
  rule            TEXT    NOT NULL CHECK (${rules === null ? 'length(rule) BETWEEN 1 AND 32' : `rule IN (${rules})`}),
  rate            REAL    NOT NULL DEFAULT 0,
  error_rate      REAL    NOT NULL DEFAULT 0,
  baseline_mean   REAL    NOT NULL DEFAULT 0,
  baseline_stddev REAL    NOT NULL DEFAULT 0,
  baseline_source TEXT    NOT NULL DEFAULT '',
  z               REAL    NOT NULL DEFAULT 0,
  tightened       INTEGER NOT NULL DEFAULT 0 CHECK (tightened IN (0, 1)),
  source          TEXT    NOT NULL CHECK (source IN ('auto', 'manual')),
  reason          TEXT,
  unban_reason    TEXT,
  dry_run         INTEGER NOT NULL DEFAULT 0 CHECK (dry_run IN (0, 1))
);
`;

/**
 * The bans table's indexes (dropped with the table, so re-created after a rebuild). Version 4 adds `prefix_len` to
 * `bans` and the indexes bans_ip_prefix and a wider bans_one_active_per_ip outside this text: a later rebuild must
 * carry the column and those indexes over.
 */
const BANS_INDEXES = `
CREATE INDEX bans_started ON bans (started_at);
CREATE INDEX bans_ip_started ON bans (ip_key, started_at);
CREATE INDEX bans_rule_started ON bans (rule, started_at);
CREATE INDEX bans_source_started ON bans (source, started_at);
CREATE INDEX bans_rate ON bans (rate);
CREATE INDEX bans_z ON bans (z);
CREATE INDEX bans_active ON bans (started_at) WHERE ended_at IS NULL;
CREATE UNIQUE INDEX bans_one_active_per_ip ON bans (ip_key) WHERE ended_at IS NULL;

`;

/** Counts bans per rule into ban_totals. */
const BANS_TOTAL_TRIGGER = `
CREATE TRIGGER bans_count_total AFTER INSERT ON bans BEGIN
  INSERT INTO ban_totals (rule, total) VALUES (NEW.rule, 1)
    ON CONFLICT (rule) DO UPDATE SET total = total + 1;
END;
`;

/** The view for humans (it names bans, so it is dropped and re-made around a rebuild). */
const BANS_VIEW = `
-- For humans with the sqlite3 shell: times as UTC text, seconds left on active bans.
CREATE VIEW bans_view AS
SELECT id, ip,
       datetime(started_at, 'unixepoch') AS started,
       CASE WHEN planned_end IS NULL THEN 'permanent' ELSE datetime(planned_end, 'unixepoch') END AS planned_end,
       datetime(ended_at, 'unixepoch') AS ended,
       CASE WHEN ended_at IS NOT NULL THEN NULL
            WHEN planned_end IS NULL THEN 'permanent'
            ELSE max(0, planned_end - CAST(strftime('%s', 'now') AS INTEGER)) END AS seconds_left,
       step, rule, round(rate, 2) AS rate, round(z, 2) AS z, source, reason, unban_reason, dry_run
FROM bans;
`;

/** Every migration, in order. Times are epoch seconds (INTEGER or REAL); IP keys are 32 hex digits (see net/ip.ts). */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'bans, offences, baselines, alerts, allowlist, meta',
    sql: `
${bansTable('bans', V1_RULES).slice(1)}${BANS_INDEXES.slice(1)}-- Bans ever recorded per rule (a Prometheus counter: pruning history does not lower it).
CREATE TABLE ban_totals (
  rule  TEXT PRIMARY KEY,
  total INTEGER NOT NULL
) WITHOUT ROWID;
${BANS_TOTAL_TRIGGER.slice(1)}
CREATE TABLE offences (
  ip       TEXT    PRIMARY KEY,
  ip_key   TEXT    NOT NULL,
  count    INTEGER NOT NULL,
  first_at INTEGER NOT NULL,
  last_at  INTEGER NOT NULL
);
CREATE INDEX offences_last ON offences (last_at);

CREATE TABLE baselines (
  id          INTEGER PRIMARY KEY,
  at          INTEGER NOT NULL,
  mean        REAL    NOT NULL,
  stddev      REAL    NOT NULL,
  error_mean  REAL    NOT NULL,
  source      TEXT    NOT NULL,
  hour        INTEGER,
  samples     INTEGER NOT NULL,
  global_rate REAL    NOT NULL
);
CREATE INDEX baselines_at ON baselines (at);

CREATE TABLE alerts (
  id      INTEGER PRIMARY KEY,
  at      INTEGER NOT NULL,
  kind    TEXT    NOT NULL,
  channel TEXT    NOT NULL,
  ok      INTEGER NOT NULL CHECK (ok IN (0, 1)),
  error   TEXT,
  payload TEXT    NOT NULL
);
CREATE INDEX alerts_at ON alerts (at);

CREATE TABLE allowlist (
  cidr       TEXT    PRIMARY KEY,
  note       TEXT    NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  created_by TEXT    NOT NULL DEFAULT ''
);

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

${BANS_VIEW.slice(1)}`,
  },
  {
    version: 2,
    description: "rule 'ceiling' (detection.max_ip_rate): bans rebuilt with the wider CHECK",
    sql: `
DROP VIEW bans_view;
${bansTable('bans_v2', "'zscore', 'multiplier', 'ceiling', 'manual'").slice(1)}INSERT INTO bans_v2 SELECT * FROM bans;
DROP TABLE bans;
ALTER TABLE bans_v2 RENAME TO bans;
${BANS_INDEXES.slice(1)}${BANS_TOTAL_TRIGGER.slice(1)}${BANS_VIEW.slice(1)}`,
  },
  {
    version: 3,
    description: 'rules come from the registry: bans rebuilt without a CHECK listing rule names',
    sql: `
DROP VIEW bans_view;
${bansTable('bans_v3', null).slice(1)}INSERT INTO bans_v3 SELECT * FROM bans;
DROP TABLE bans;
ALTER TABLE bans_v3 RENAME TO bans;
${BANS_INDEXES.slice(1)}${BANS_TOTAL_TRIGGER.slice(1)}${BANS_VIEW.slice(1)}`,
  },
  {
    version: 4,
    description: 'prefix bans: bans.prefix_len keeps a network (2001:db8:1:2::/64) apart from its base address',
    // No rebuild: a new column with a constant default (every earlier row is one address: 128) and the one-active-ban
    // index widened to (ip_key, prefix_len). Rows, the other indexes, the trigger and the view stay as they are.
    // A search by address or CIDR reads (ip_key, prefix_len) from the new index bans_ip_prefix: a range for the bans
    // inside, equalities for the prefixes covering; a count never touches the rows.
    sql: `
ALTER TABLE bans ADD COLUMN prefix_len INTEGER NOT NULL DEFAULT 128 CHECK (prefix_len BETWEEN 0 AND 128);
DROP INDEX bans_one_active_per_ip;
CREATE UNIQUE INDEX bans_one_active_per_ip ON bans (ip_key, prefix_len) WHERE ended_at IS NULL;
CREATE INDEX bans_ip_prefix ON bans (ip_key, prefix_len);
`,
  },
  {
    version: 5,
    description: 'fleet mode: the node that made each ban and its fleet decision id (docs/fleet.md)',
    sql: `
ALTER TABLE bans ADD COLUMN node TEXT;
ALTER TABLE bans ADD COLUMN fleet_id TEXT;
CREATE INDEX bans_fleet_id ON bans (fleet_id) WHERE fleet_id IS NOT NULL;
DROP VIEW bans_view;
${BANS_VIEW.slice(1).replace('source, reason, unban_reason, dry_run', 'source, reason, unban_reason, dry_run, node')}`,
  },
  {
    version: 6,
    description: 'rule_alerts: what a rule in mode alert (or during the learning period) would have banned',
    // A new table only: every earlier table, row, index, trigger and view stays as it is.
    sql: `
CREATE TABLE rule_alerts (
  id            INTEGER PRIMARY KEY,
  at            INTEGER NOT NULL,
  ip            TEXT    NOT NULL,
  ip_key        TEXT    NOT NULL CHECK (length(ip_key) = 32),
  prefix_len    INTEGER NOT NULL DEFAULT 128 CHECK (prefix_len BETWEEN 0 AND 128),
  rule          TEXT    NOT NULL CHECK (length(rule) BETWEEN 1 AND 32),
  cause         TEXT    NOT NULL CHECK (cause IN ('mode', 'learning')),
  value         REAL    NOT NULL,
  threshold     REAL    NOT NULL,
  rate          REAL    NOT NULL DEFAULT 0,
  error_rate    REAL    NOT NULL DEFAULT 0,
  z             REAL    NOT NULL DEFAULT 0,
  baseline_mean REAL    NOT NULL DEFAULT 0,
  tightened     INTEGER NOT NULL DEFAULT 0 CHECK (tightened IN (0, 1))
);
CREATE INDEX rule_alerts_at ON rule_alerts (at);
CREATE INDEX rule_alerts_rule_at ON rule_alerts (rule, at);
CREATE INDEX rule_alerts_ip_at ON rule_alerts (ip_key, at);
`,
  },
];

/** The newest schema version this code knows. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/**
 * Brings the database up to SCHEMA_VERSION. Each step runs in a BEGIN IMMEDIATE transaction that re-reads
 * `user_version` first, so two processes opening the same new file do not both migrate. Returns the versions applied.
 * Throws SchemaVersionError when the file is newer than this code.
 * @example migrate(db, 'var/warden.db') // [1] on an empty file, [] afterwards
 */
export function migrate(db: Database.Database, path: string): number[] {
  const applied: number[] = [];
  const current = () => db.pragma('user_version', { simple: true }) as number;
  if (current() > SCHEMA_VERSION) throw new SchemaVersionError(path, current(), SCHEMA_VERSION);
  for (const m of MIGRATIONS) {
    const step = db.transaction(() => {
      const v = current();
      if (v > SCHEMA_VERSION) throw new SchemaVersionError(path, v, SCHEMA_VERSION);
      if (v >= m.version) return false;
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
      return true;
    });
    try {
      if (step.immediate()) applied.push(m.version);
    } catch (err) {
      if (err instanceof SchemaVersionError) throw err;
      throw new Error(`${path}: migration ${m.version} (${m.description}) failed: ${(err as Error).message}`, { cause: err });
    }
  }
  return applied;
}
