// The SQLite store against real temp files: migrations, restart, WAL, one active ban per IP, history filters,
// pagination, injection strings, pruning, streaming, and a read-only second connection while the writer writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { openStore } from '../../enforcer/adapters/store/warden-store.js';
import { HistoryFilterError, SchemaVersionError } from '../../enforcer/adapters/store/errors.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../enforcer/adapters/store/migrations.js';
import type { HistoryFilter } from '../../enforcer/adapters/store/types.js';
import { ban, tempDb } from './helpers.js';
import { ipKey } from '../../enforcer/net/index.js';

const T = 1_767_225_600; // 2026-01-01T00:00:00Z
const DAY = 86400;

test('migrates an empty file: parent dir created, user_version, WAL, foreign keys, every table', (t) => {
  const path = tempDb(t);
  const store = openStore(path);
  try {
    assert.ok(existsSync(path));
    const raw = new Database(path, { readonly: true });
    try {
      assert.equal(raw.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
      const names = (raw.prepare("SELECT name FROM sqlite_schema WHERE type IN ('table','view') ORDER BY name").pluck().all() as string[]);
      for (const n of ['alerts', 'allowlist', 'ban_totals', 'bans', 'bans_view', 'baselines', 'meta', 'offences', 'rule_alerts']) assert.ok(names.includes(n), n);
      const idx = raw.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'bans'").pluck().all() as string[];
      for (const n of ['bans_started', 'bans_ip_started', 'bans_rule_started', 'bans_active', 'bans_one_active_per_ip']) assert.ok(idx.includes(n), n);
    } finally {
      raw.close();
    }
  } finally {
    store.close();
  }
  // Reopening does not migrate again and keeps the version.
  const again = openStore(path);
  again.close();
});

test('reopening keeps bans, offences, baselines, alerts, allow-list and meta (restart)', (t) => {
  const path = tempDb(t);
  let s = openStore(path);
  const id = s.insertBan(ban('203.0.113.7', T));
  s.insertBan(ban('2001:DB8::0:1', T + 1, null, { rule: 'manual', source: 'manual', reason: 'by hand' }));
  s.recordOffence('203.0.113.7', 1, T);
  s.recordOffence('203.0.113.7', 2, T + 5);
  s.insertBaseline({ at: T, mean: 5, stddev: 2, error_mean: 0.1, source: 'rolling', hour: null, samples: 60, global_rate: 4 });
  s.insertAlert({ at: T, kind: 'ban', channel: 'slack', ok: 0, error: 'timeout', payload: '{}' });
  s.addAllow('10.1.2.3/8', 'office', 'admin', T);
  s.setMeta('session_secret', 'abc');
  s.close();

  s = openStore(path);
  try {
    const active = s.activeBans();
    assert.equal(active.length, 2);
    assert.equal(active[0].id, id);
    assert.equal(active[0].ip, '203.0.113.7');
    assert.equal(active[0].planned_end, T + 600);
    assert.equal(active[1].ip, '2001:db8::1', 'stored normalised');
    assert.equal(active[1].planned_end, null);
    assert.equal(active[1].reason, 'by hand');
    assert.deepEqual(s.offences(T), [{ ip: '203.0.113.7', count: 2, lastAt: T + 5 }]);
    s.recordOffence('203.0.113.7', 3, T + 10);
    assert.deepEqual(s.offences(T), [{ ip: '203.0.113.7', count: 3, lastAt: T + 10 }], 'the ladder climbs across restarts');
    assert.equal(s.baselineHistory(0).length, 1);
    assert.equal(s.recentAlerts(10)[0].error, 'timeout');
    assert.deepEqual(s.allowlist(), [{ cidr: '10.0.0.0/8', note: 'office', created_at: T, created_by: 'admin' }]);
    assert.equal(s.getMeta('session_secret'), 'abc');
    assert.equal(s.getMeta('nope'), undefined);
    assert.equal(s.countActive(), 2);
    assert.deepEqual(s.bansTotalByRule(), { manual: 1, zscore: 1 });
  } finally {
    s.close();
  }
});

test('a database from a newer warden is refused with a clear error', (t) => {
  const path = tempDb(t);
  openStore(path).close();
  const raw = new Database(path);
  raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  raw.close();
  for (const readonly of [false, true]) {
    assert.throws(() => openStore(path, { readonly }), (err: unknown) => {
      assert.ok(err instanceof SchemaVersionError);
      assert.match((err as Error).message, new RegExp(`schema version ${SCHEMA_VERSION + 1} but this warden knows versions up to ${SCHEMA_VERSION}`));
      return true;
    });
  }
});

test('read-only open of a missing file fails naming the path; of a non-warden file says so', (t) => {
  const path = tempDb(t);
  assert.throws(() => openStore(path, { readonly: true }), /cannot open the database .*warden\.db read-only/);
  openStore(path).close();
  const other = path.replace('warden.db', 'other.db');
  new Database(other).close();
  assert.throws(() => openStore(other, { readonly: true }), /not a warden database/);
});

test('one active ban per IP: a new ban supersedes, the unique index rejects a raw duplicate, endBan closes it', (t) => {
  const path = tempDb(t);
  const s = openStore(path);
  t.after(() => s.close());
  const a = s.insertBan(ban('198.51.100.1', T));
  const b = s.insertBan(ban('::ffff:198.51.100.1', T + 30, 1800, { step: 2 }));
  assert.notEqual(a, b);
  const active = s.activeBans();
  assert.equal(active.length, 1);
  assert.equal(active[0].id, b);
  assert.equal(active[0].step, 2);
  const old = s.history({ ip: '198.51.100.1', sort: 'started_at', order: 'asc' }).rows[0];
  assert.equal(old.ended_at, T + 30);
  assert.equal(old.unban_reason, 'superseded');

  const raw = new Database(path);
  try {
    assert.throws(
      () => raw.prepare(`INSERT INTO bans (ip, ip_key, started_at, rule, source) VALUES ('198.51.100.1', '00000000000000000000ffffc6336401', ${T}, 'zscore', 'auto')`).run(),
      /UNIQUE constraint failed/,
    );
  } finally {
    raw.close();
  }

  assert.equal(s.endBan('198.51.100.1', T + 60, 'manual'), true);
  assert.equal(s.endBan('198.51.100.1', T + 61, 'manual'), false, 'nothing active any more');
  assert.equal(s.endBan('not an ip', T, 'manual'), false);
  assert.equal(s.countActive(), 0);
  const ended = s.history({ ip: '198.51.100.1' }).rows[0];
  assert.equal(ended.ended_at, T + 60);
  assert.equal(ended.unban_reason, 'manual');
  // A new ban after the end is fine.
  s.insertBan(ban('198.51.100.1', T + 100));
  assert.equal(s.countActive(), 1);
  assert.throws(() => s.insertBan(ban('999.1.1.1', T)), /cannot record the ban of 999\.1\.1\.1/);
});

test('activeBans includes expired-but-not-ended bans; dry-run is recorded', (t) => {
  const s = openStore(tempDb(t));
  t.after(() => s.close());
  s.insertBan(ban('192.0.2.1', T - 7200, 600));
  s.insertBan(ban('192.0.2.2', T, 600), { dryRun: true });
  const rows = s.activeBans();
  assert.deepEqual(rows.map((r) => [r.ip, r.dry_run]), [['192.0.2.1', 0], ['192.0.2.2', 1]]);
  assert.ok(rows[0].planned_end! < T);
});

test('recordOffence keeps the count the core decided (a forgotten offence starting again at 1 included), and refuses bad input', (t) => {
  const s = openStore(tempDb(t));
  t.after(() => s.close());
  s.recordOffence('192.0.2.9', 1, T);
  s.recordOffence('192.0.2.9', 2, T + 3600);
  s.recordOffence('192.0.2.9', 1, T + 7201);
  assert.deepEqual(s.offences(T), [{ ip: '192.0.2.9', count: 1, lastAt: T + 7201 }]);
  assert.throws(() => s.recordOffence('nope', 1, T), /not an IP address/);
  assert.throws(() => s.recordOffence('192.0.2.9', 0, T), /count must be a whole number >= 1/);
});

/** 40 bans: 10.0.0.0..9 (v4), 2001:db8:1::0..9 and 2001:db8:2::0..9 (v6), 192.0.2.0..9; rates 1..40. */
function seed(s: ReturnType<typeof openStore>): void {
  const ips = [
    ...Array.from({ length: 10 }, (_, i) => `10.0.0.${i}`),
    ...Array.from({ length: 10 }, (_, i) => `2001:db8:1::${i}`),
    ...Array.from({ length: 10 }, (_, i) => `2001:db8:2::${i}`),
    ...Array.from({ length: 10 }, (_, i) => `192.0.2.${i}`),
  ];
  s.transaction(() => {
    ips.forEach((ip, i) => {
      s.insertBan(ban(ip, T + i * 60, 600, { rate: i + 1, z: i % 7, rule: i % 3 === 0 ? 'multiplier' : 'zscore', source: i % 10 === 0 ? 'manual' : 'auto' }));
      if (i % 2 === 0) s.endBan(ip, T + i * 60 + 600, 'expired');
    });
  });
}

test('history: CIDR filters v4 and v6, exact IP, time range, rule, source, active only', (t) => {
  const s = openStore(tempDb(t));
  t.after(() => s.close());
  seed(s);
  const ips = (f: HistoryFilter) => s.history({ limit: 1000, ...f }).rows.map((r) => r.ip).sort();
  assert.equal(s.history({}).total, 40);
  assert.equal(ips({ ip: '10.0.0.0/8' }).length, 10);
  assert.equal(ips({ ip: '10.0.0.4/31' }).join(), '10.0.0.4,10.0.0.5');
  assert.equal(ips({ ip: '::ffff:10.0.0.0/120' }).length, 10, 'IPv4-mapped CIDR means the IPv4 network');
  assert.equal(ips({ ip: '2001:db8:1::/48' }).length, 10);
  assert.equal(ips({ ip: '2001:db8::/32' }).length, 20);
  assert.equal(ips({ ip: '2001:db8:2::8/127' }).join(), '2001:db8:2::8,2001:db8:2::9');
  assert.equal(ips({ ip: '::/0' }).length, 40, '::/0 covers IPv4 too (mapped)');
  assert.equal(ips({ ip: ' 192.0.2.3 ' }).join(), '192.0.2.3', 'trimmed exact IP');
  assert.equal(ips({ ip: '2001:DB8:1:0::3' }).join(), '2001:db8:1::3', 'IPv6 in any spelling');
  assert.equal(ips({ since: T + 10 * 60, until: T + 12 * 60 }).join(), '2001:db8:1::,2001:db8:1::1', 'since inclusive, until exclusive');
  assert.equal(ips({ rule: 'multiplier' }).length, 14);
  assert.equal(ips({ source: 'manual' }).length, 4);
  assert.equal(ips({ activeOnly: true }).length, 20);
  assert.equal(ips({ activeOnly: true, ip: '10.0.0.0/24', rule: 'zscore' }).join(), '10.0.0.1,10.0.0.5,10.0.0.7');
});

test('history: sorting, order, pagination and totals', (t) => {
  const s = openStore(tempDb(t));
  t.after(() => s.close());
  seed(s);
  const p1 = s.history({ sort: 'rate', order: 'desc', limit: 15 });
  const p2 = s.history({ sort: 'rate', order: 'desc', limit: 15, offset: 15 });
  const p3 = s.history({ sort: 'rate', order: 'desc', limit: 15, offset: 30 });
  assert.deepEqual([p1.total, p2.total, p3.total], [40, 40, 40]);
  assert.deepEqual([p1.rows.length, p2.rows.length, p3.rows.length], [15, 15, 10]);
  const rates = [...p1.rows, ...p2.rows, ...p3.rows].map((r) => r.rate);
  assert.deepEqual(rates, Array.from({ length: 40 }, (_, i) => 40 - i));
  assert.deepEqual(s.history({ offset: 100 }), { rows: [], total: 40 });
  assert.equal(s.history({ rule: 'multiplier', limit: 5 }).total, 14);
  for (let i = 0; i < 20; i++) s.insertBan(ban(`198.51.100.${i}`, T + 9000 + i));
  assert.deepEqual([s.history({}).rows.length, s.history({}).total], [50, 60], 'default limit 50');
  // Sort by ip sorts by address (IPv4 before IPv6, numerically), not by text.
  const byIp = s.history({ sort: 'ip', order: 'asc', limit: 1000 }).rows.map((r) => r.ip);
  assert.deepEqual(byIp.slice(0, 3), ['10.0.0.0', '10.0.0.1', '10.0.0.2']);
  assert.equal(byIp[10], '192.0.2.0');
  assert.equal(byIp[byIp.length - 1], '2001:db8:2::9');
  const first = s.history({ sort: 'started_at', order: 'asc', limit: 1 }).rows[0];
  assert.equal(first.started_at, T);
  s.insertBan(ban('198.51.100.200', T + 5000, null));
  assert.equal(s.history({ sort: 'planned_end', order: 'desc', limit: 1 }).total, 61);
  assert.equal(s.history({ sort: 'planned_end', order: 'desc', limit: 1 }).rows[0].planned_end, null, 'permanent sorts as the latest end');
  assert.notEqual(s.history({ sort: 'planned_end', order: 'asc', limit: 1 }).rows[0].planned_end, null);
});

test('history: invalid filters throw HistoryFilterError naming the field; sort whitelist rejects injection', (t) => {
  const s = openStore(tempDb(t));
  t.after(() => s.close());
  seed(s);
  const cases: Array<[unknown, string]> = [
    [{ sort: 'rate; DROP TABLE bans' }, 'sort'],
    [{ sort: '(SELECT 1)' }, 'sort'],
    [{ sort: 'constructor' }, 'sort'],
    [{ order: 'desc, (SELECT 1)' }, 'order'],
    [{ ip: '999.1.1.1' }, 'ip'],
    [{ ip: '1.2.3.4/99' }, 'ip'],
    [{ ip: '' }, 'ip'],
    [{ ip: null }, 'ip'],
    [{ ip: ['1.2.3.4'] }, 'ip'],
    [{ ip: 'x'.repeat(10_000) }, 'ip'],
    [{ limit: 0 }, 'limit'],
    [{ limit: 1001 }, 'limit'],
    [{ limit: 2.5 }, 'limit'],
    [{ limit: '10' }, 'limit'],
    [{ offset: -1 }, 'offset'],
    [{ since: Number.NaN }, 'since'],
    [{ since: '0' }, 'since'],
    [{ since: T + 10, until: T }, 'until'],
    [{ rule: "zscore' OR '1'='1" }, 'rule'],
    [{ source: 'robot' }, 'source'],
    [{ activeOnly: 'yes' }, 'activeOnly'],
    [{ evil: 1 }, 'evil'],
  ];
  for (const [f, field] of cases) {
    assert.throws(() => s.history(f as HistoryFilter), (err: unknown) => {
      assert.ok(err instanceof HistoryFilterError, `${JSON.stringify(f).slice(0, 80)}: ${String(err)}`);
      assert.equal(err.field, field);
      assert.ok(err.message.length < 300, 'a long input is cut in the message');
      return true;
    });
    assert.throws(() => [...s.iterateHistory(f as HistoryFilter)], HistoryFilterError);
  }
  assert.match(String((() => { try { s.history({ limit: 5000 }); } catch (e) { return (e as Error).message; } })()),
    /^Expected `limit` to be a whole number from 1 to 1000, got `5000`$/);
  assert.equal(s.history({}).total, 40, 'table intact');
});

test('SQL injection strings as filter values are harmless and the tables stay intact', (t) => {
  const s = openStore(tempDb(t));
  t.after(() => s.close());
  seed(s);
  const evil = ["' OR 1=1 --", '1.2.3.4\'; DROP TABLE bans; --', '"; DELETE FROM bans; --', '1.2.3.4/8 OR 1=1', '\u0000', '10.0.0.1 UNION SELECT * FROM meta'];
  for (const e of evil) {
    for (const f of [{ ip: e }, { rule: e }, { source: e }, { sort: e }, { order: e }]) {
      assert.throws(() => s.history(f as HistoryFilter), HistoryFilterError);
    }
    // Free-text fields are stored as data, never executed.
    s.setMeta(e, e);
    assert.equal(s.getMeta(e), e);
    s.insertAlert({ at: T, kind: e, channel: e, ok: 1, error: e, payload: e });
    s.insertBan(ban('198.51.100.9', T, 60, { reason: e, source: 'manual', rule: 'manual' }));
  }
  assert.equal(s.history({ ip: '198.51.100.9', limit: 1 }).rows[0].reason, evil[evil.length - 1]);
  assert.equal(s.history({}).total, 40 + evil.length);
  assert.equal(s.recentAlerts(100).length, evil.length);
});

test('prune: old ended bans go; permanent, active and within-offence-memory bans stay; old rows of other tables go', (t) => {
  const s = openStore(tempDb(t));
  t.after(() => s.close());
  const now = T + 200 * DAY;
  const retention = 90 * DAY;
  const memory = 120 * DAY;
  // Ended 150 days ago: past retention and past memory -> pruned.
  s.insertBan(ban('192.0.2.1', now - 151 * DAY));
  s.endBan('192.0.2.1', now - 150 * DAY, 'expired');
  // Ended 100 days ago: past retention but within offence memory -> kept.
  s.insertBan(ban('192.0.2.2', now - 101 * DAY));
  s.endBan('192.0.2.2', now - 100 * DAY, 'expired');
  // Permanent, lifted 150 days ago -> kept (never a permanent ban).
  s.insertBan(ban('192.0.2.3', now - 160 * DAY, null));
  s.endBan('192.0.2.3', now - 150 * DAY, 'manual');
  // Started long ago, still active -> kept.
  s.insertBan(ban('192.0.2.4', now - 180 * DAY, 10 * DAY));
  // Recent -> kept.
  s.insertBan(ban('192.0.2.5', now - DAY));
  s.recordOffence('192.0.2.1', 1, now - 150 * DAY);
  s.recordOffence('192.0.2.2', 1, now - 100 * DAY);
  s.insertBaseline({ at: now - 31 * DAY, mean: 1, stddev: 1, error_mean: 0, source: 'floor', hour: null, samples: 0, global_rate: 0 });
  s.insertBaseline({ at: now - 29 * DAY, mean: 1, stddev: 1, error_mean: 0, source: 'floor', hour: 3, samples: 0, global_rate: 0 });
  s.insertAlert({ at: now - 91 * DAY, kind: 'ban', channel: 'webhook', ok: 1, error: null, payload: '{}' });
  s.insertAlert({ at: now - DAY, kind: 'ban', channel: 'webhook', ok: 1, error: null, payload: '{}' });

  const r = s.prune(now, retention, memory);
  assert.deepEqual(r, { bans: 1, baselines: 1, alerts: 1, offences: 1, ruleAlerts: 0 });
  assert.deepEqual(s.history({ sort: 'ip', order: 'asc' }).rows.map((b) => b.ip), ['192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5']);
  assert.deepEqual(s.offences(0).map((o) => o.ip), ['192.0.2.2']);
  assert.deepEqual(s.prune(now, retention, memory), { bans: 0, baselines: 0, alerts: 0, offences: 0, ruleAlerts: 0 }, 'idempotent');
  assert.equal(s.bansTotalByRule().zscore, 5, 'the ever-total counter is not lowered by pruning');
});

test('prune removes big backlogs in chunks', (t) => {
  const s = openStore(tempDb(t));
  t.after(() => s.close());
  s.transaction(() => {
    for (let i = 0; i < 25_000; i++) {
      const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      s.insertBan(ban(ip, T + i));
      s.endBan(ip, T + i + 600, 'expired');
    }
  });
  assert.equal(s.prune(T + 400 * DAY, 90 * DAY, 30 * DAY).bans, 25_000);
  assert.equal(s.history({}).total, 0);
});

test('iterateHistory streams every match from its own connection while the store keeps writing', (t) => {
  const s = openStore(tempDb(t));
  t.after(() => s.close());
  seed(s);
  const it = s.iterateHistory({ ip: '2001:db8::/32', sort: 'started_at', order: 'asc' });
  const first = it.next();
  assert.equal(first.done, false);
  assert.equal((first.value as { ip: string }).ip, '2001:db8:1::');
  // The main connection is free: a ban can be recorded mid-export (it is not in the export's snapshot).
  s.insertBan(ban('2001:db8:3::1', T + 9999));
  const rest = [...it];
  assert.equal(rest.length, 19);
  assert.equal([...s.iterateHistory({ ip: '2001:db8::/32' })].length, 21);
  assert.equal([...s.iterateHistory({})].length, 41, 'no limit unless one is given');
  assert.equal([...s.iterateHistory({ limit: 5, offset: 38 })].length, 3);
  // Breaking out early closes the export connection.
  for (const row of s.iterateHistory({})) {
    assert.ok(row.id);
    break;
  }
  const mem = openStore(':memory:');
  mem.insertBan(ban('192.0.2.1', T));
  assert.equal([...mem.iterateHistory({})].length, 1);
  mem.close();
});

test('a second read-only connection sees committed data while the writer writes', (t) => {
  const path = tempDb(t);
  const writer = openStore(path);
  t.after(() => writer.close());
  writer.insertBan(ban('192.0.2.1', T));
  const reader = openStore(path, { readonly: true });
  t.after(() => reader.close());
  assert.equal(reader.history({}).total, 1);
  // An open write transaction does not block the reader, which sees the last committed state.
  writer.transaction(() => {
    writer.insertBan(ban('192.0.2.2', T + 1));
    assert.equal(reader.history({}).total, 1);
    assert.equal(reader.countActive(), 1);
  });
  assert.equal(reader.history({}).total, 2);
  assert.deepEqual(reader.activeBans().map((b) => b.ip), ['192.0.2.1', '192.0.2.2']);
  assert.throws(() => reader.setMeta('k', 'v'), /readonly/);
  // While the reader streams, the writer keeps writing.
  const it = reader.iterateHistory({});
  it.next();
  for (let i = 3; i < 50; i++) writer.insertBan(ban(`192.0.2.${i}`, T + i));
  assert.equal([...it].length, 1);
  assert.equal(reader.history({}).total, 49);
});

test('read-only open works after the writer closed (WAL files gone) and while it is open', (t) => {
  const path = tempDb(t);
  const w = openStore(path);
  w.insertBan(ban('192.0.2.1', T));
  w.close();
  const r = openStore(path, { readonly: true });
  try {
    assert.equal(r.countActive(), 1);
  } finally {
    r.close();
  }
});

test('allow-list: canonical CIDRs, update of the note, removal, invalid entries refused', (t) => {
  const s = openStore(tempDb(t));
  t.after(() => s.close());
  s.addAllow('192.0.2.7', 'monitor', 'admin', T);
  s.addAllow('2001:DB8::/32', 'docs', 'admin', T + 1);
  s.addAllow('192.0.2.7/32', 'uptime monitor', 'bob', T + 2);
  assert.deepEqual(s.allowlist(), [
    { cidr: '192.0.2.7/32', note: 'uptime monitor', created_at: T, created_by: 'admin' },
    { cidr: '2001:db8::/32', note: 'docs', created_at: T + 1, created_by: 'admin' },
  ]);
  assert.throws(() => s.addAllow('1.2.3.4/99', '', 'x', T), /not an IP address or CIDR/);
  assert.equal(s.removeAllow('2001:db8:0::/32'), true);
  assert.equal(s.removeAllow('2001:db8::/32'), false);
  assert.equal(s.removeAllow('nope'), false);
  assert.equal(s.allowlist().length, 1);
});

test('bans_view shows times as UTC text and seconds left', (t) => {
  const path = tempDb(t);
  const s = openStore(path);
  t.after(() => s.close());
  s.insertBan(ban('192.0.2.1', T, null));
  const raw = new Database(path, { readonly: true });
  try {
    const row = raw.prepare('SELECT started, planned_end, ended, seconds_left FROM bans_view').get();
    assert.deepEqual(row, { started: '2026-01-01 00:00:00', planned_end: 'permanent', ended: null, seconds_left: 'permanent' });
  } finally {
    raw.close();
  }
});

test('a version-1 database (before the ceiling rule) migrates to the current version keeping every ban, and takes ceiling bans', (t) => {
  const path = tempDb(t);
  // Version 1 exactly as an older warden left it: its own SQL, two bans (one active), the per-rule totals.
  mkdirSync(dirname(path), { recursive: true });
  const raw = new Database(path);
  raw.exec(MIGRATIONS[0].sql);
  raw.pragma('user_version = 1');
  const insert = raw.prepare(`INSERT INTO bans (ip, ip_key, started_at, planned_end, ended_at, step, rule, source)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  insert.run('203.0.113.7', ipKey('203.0.113.7'), T, T + 600, T + 600, 1, 'zscore', 'auto');
  insert.run('203.0.113.7', ipKey('203.0.113.7'), T + 700, T + 2500, null, 2, 'multiplier', 'auto');
  assert.throws(() => insert.run('203.0.113.8', ipKey('203.0.113.8'), T, null, null, 1, 'ceiling', 'auto'), /CHECK constraint/);
  raw.close();

  const s = openStore(path);
  try {
    const active = s.activeBans();
    assert.deepEqual(active.map((b) => [b.ip, b.step, b.rule]), [['203.0.113.7', 2, 'multiplier']]);
    assert.equal(s.history({}).total, 2);
    assert.deepEqual(s.bansTotalByRule(), { zscore: 1, multiplier: 1 });
    s.insertBan(ban('203.0.113.8', T + 800, null, { rule: 'ceiling' }));
    assert.deepEqual(s.history({ rule: 'ceiling' }).rows.map((r) => r.ip), ['203.0.113.8']);
    assert.deepEqual(s.bansTotalByRule(), { zscore: 1, multiplier: 1, ceiling: 1 });
  } finally {
    s.close();
  }
  const check = new Database(path, { readonly: true });
  try {
    assert.equal(check.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.equal(check.pragma('integrity_check', { simple: true }), 'ok');
    assert.equal((check.prepare('SELECT count(*) FROM bans_view').pluck().get() as number), 3);
    // The indexes (one active ban per IP among them) and the totals trigger came back with the rebuilt table.
    const objects = check.prepare("SELECT name FROM sqlite_schema WHERE tbl_name = 'bans' AND type IN ('index', 'trigger')").pluck().all() as string[];
    for (const n of ['bans_started', 'bans_ip_started', 'bans_rule_started', 'bans_source_started', 'bans_rate', 'bans_z', 'bans_active',
      'bans_one_active_per_ip', 'bans_count_total']) assert.ok(objects.includes(n), n);
  } finally {
    check.close();
  }
});

test('a version-2 database migrates (through version 3) keeping every row, index, trigger and the view; then any rule name is stored', (t) => {
  const path = tempDb(t);
  // Version 2 exactly as the previous warden left it (its own SQL), with a row in every table.
  mkdirSync(dirname(path), { recursive: true });
  const raw = new Database(path);
  raw.exec(MIGRATIONS[0].sql);
  raw.exec(MIGRATIONS[1].sql);
  raw.pragma('user_version = 2');
  const insert = raw.prepare(`INSERT INTO bans (ip, ip_key, started_at, planned_end, ended_at, step, rule, rate, error_rate, baseline_mean,
    baseline_stddev, baseline_source, z, tightened, source, reason, unban_reason, dry_run) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  insert.run('203.0.113.7', ipKey('203.0.113.7'), T, T + 600, T + 600, 1, 'zscore', 9.5, 0.5, 1, 0.5, 'floor', 17, 0, 'auto', null, 'expired', 0);
  insert.run('203.0.113.7', ipKey('203.0.113.7'), T + 700, T + 2500, null, 2, 'ceiling', 31, 15.5, 1, 0.5, 'rolling', 60, 1, 'auto', null, null, 1);
  insert.run('2001:db8::1', ipKey('2001:db8::1'), T + 800, null, null, 1, 'manual', 0, 0, 1, 0.5, 'floor', 0, 0, 'manual', 'by hand', null, 0);
  assert.throws(() => insert.run('203.0.113.9', ipKey('203.0.113.9'), T, null, null, 1, 'toy_rule', 0, 0, 0, 0, '', 0, 0, 'auto', null, null, 0), /CHECK constraint/);
  raw.prepare("INSERT INTO offences (ip, ip_key, count, first_at, last_at) VALUES ('203.0.113.7', ?, 2, ?, ?)").run(ipKey('203.0.113.7'), T, T + 700);
  raw.prepare('INSERT INTO baselines (at, mean, stddev, error_mean, source, hour, samples, global_rate) VALUES (?, 2, 1, 0.1, ?, 12, 600, 3)').run(T, 'hour_slot');
  raw.prepare("INSERT INTO alerts (at, kind, channel, ok, error, payload) VALUES (?, 'ban', 'webhook', 1, NULL, '{}')").run(T);
  raw.prepare("INSERT INTO allowlist (cidr, note, created_at, created_by) VALUES ('10.0.0.0/8', 'office', ?, 'me')").run(T);
  raw.prepare("INSERT INTO meta (key, value) VALUES ('session_secret', 'x')").run();
  const before = raw.prepare('SELECT * FROM bans ORDER BY id').all();
  const objectsBefore = raw.prepare("SELECT type, name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").all();
  raw.close();

  const s = openStore(path);
  try {
    assert.equal(s.history({}).total, 3);
    assert.deepEqual(s.bansTotalByRule(), { zscore: 1, ceiling: 1, manual: 1 });
    assert.deepEqual(s.activeBans().map((b) => [b.ip, b.rule]).sort(), [['2001:db8::1', 'manual'], ['203.0.113.7', 'ceiling']]);
  } finally {
    s.close();
  }
  const check = new Database(path);
  try {
    // Up to the latest version (later migrations run too); the columns version 2 had keep every value.
    assert.equal(check.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.equal(check.pragma('integrity_check', { simple: true }), 'ok');
    const v2Columns = Object.keys((before as Array<Record<string, unknown>>)[0]);
    const after = (check.prepare('SELECT * FROM bans ORDER BY id').all() as Array<Record<string, unknown>>)
      .map((r) => Object.fromEntries(v2Columns.map((c) => [c, r[c]])));
    assert.deepEqual(after, before, 'every ban, every column, same ids');
    // Every object version 2 had is still there (later versions may add some: version 4 adds bans_ip_prefix).
    const objectsAfter = check.prepare("SELECT type, name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").all() as Array<{ type: string; name: string }>;
    const has = new Set(objectsAfter.map((o) => `${o.type} ${o.name}`));
    for (const o of objectsBefore as Array<{ type: string; name: string }>) assert.ok(has.has(`${o.type} ${o.name}`), `${o.type} ${o.name} kept`);
    for (const [table, n] of [['offences', 1], ['baselines', 1], ['alerts', 1], ['allowlist', 1], ['meta', 1], ['bans_view', 3]] as const) {
      assert.equal(check.prepare(`SELECT count(*) FROM ${table}`).pluck().get(), n, table);
    }
    const sql = check.prepare("SELECT sql FROM sqlite_schema WHERE name = 'bans'").pluck().get() as string;
    assert.doesNotMatch(sql, /rule IN/, 'no CHECK listing rule names');
    // A rule added later needs no migration; the totals trigger counts it; the one-active-ban index still holds.
    check.prepare(`INSERT INTO bans (ip, ip_key, started_at, rule, source) VALUES ('203.0.113.9', ?, ?, 'toy_rule', 'auto')`).run(ipKey('203.0.113.9'), T + 900);
    assert.equal(check.prepare("SELECT total FROM ban_totals WHERE rule = 'toy_rule'").pluck().get(), 1);
    assert.throws(() => check.prepare(`INSERT INTO bans (ip, ip_key, started_at, rule, source) VALUES ('203.0.113.9', ?, ?, 'zscore', 'auto')`)
      .run(ipKey('203.0.113.9'), T + 901), /UNIQUE constraint failed/);
    assert.throws(() => check.prepare(`INSERT INTO bans (ip, ip_key, started_at, rule, source) VALUES ('203.0.113.10', ?, ?, '', 'auto')`)
      .run(ipKey('203.0.113.10'), T + 901), /CHECK constraint/);
  } finally {
    check.close();
  }
});

test('a prefix ban and a ban of its base address are different bans, each with its own active row', (t) => {
  const s = openStore(tempDb(t));
  try {
    s.insertBan(ban('2001:db8:1:2::/64', T));
    s.insertBan(ban('2001:db8:1:2::', T + 1));
    s.insertBan(ban('203.0.113.0/24', T + 2));
    s.insertBan(ban('203.0.113.0', T + 3));
    assert.deepEqual(s.activeBans().map((b) => b.ip), ['2001:db8:1:2::/64', '2001:db8:1:2::', '203.0.113.0/24', '203.0.113.0']);
    // Canonical on the way in: host bits cleared, upper case lowered; a second ban of the same network supersedes.
    s.insertBan(ban('2001:DB8:1:2::99/64', T + 10));
    assert.deepEqual(s.activeBans().map((b) => [b.ip, b.started_at]),
      [['2001:db8:1:2::', T + 1], ['203.0.113.0/24', T + 2], ['203.0.113.0', T + 3], ['2001:db8:1:2::/64', T + 10]]);
    assert.equal(s.endBan('2001:db8:1:2::/64', T + 20, 'manual'), true);
    assert.deepEqual(s.activeBans().map((b) => b.ip), ['2001:db8:1:2::', '203.0.113.0/24', '203.0.113.0']);
    assert.equal(s.endBan('203.0.113.0', T + 20, 'manual'), true);
    assert.deepEqual(s.activeBans().map((b) => b.ip), ['2001:db8:1:2::', '203.0.113.0/24']);
    s.recordOffence('2001:db8:1:2::/64', 2, T + 5);
    s.recordOffence('2001:db8:1:2::', 1, T + 5);
    assert.deepEqual(s.offences(T).map((o) => [o.ip, o.count]), [['2001:db8:1:2::/64', 2], ['2001:db8:1:2::', 1]], 'the address has its own offence count');
    assert.throws(() => s.insertBan(ban('2001:db8::/999', T)), /not an IP address or CIDR/);
  } finally {
    s.close();
  }
});

test('history by CIDR: the bans inside a prefix; by address or prefix: also the prefix bans covering it', (t) => {
  const s = openStore(tempDb(t));
  try {
    const keys = ['2001:db8:1:2::/64', '2001:db8:1:2::7', '2001:db8:1:3::/64', '2001:db8::/32', '2001:db8:1::/48', '2001:db9::1',
      '203.0.113.0/24', '203.0.113.9', '203.0.112.0/23', '198.51.100.0/24', '10.0.0.0/16'];
    keys.forEach((k, i) => s.insertBan(ban(k, T + i)));
    const ips = (f: HistoryFilter) => s.history({ ...f, sort: 'started_at', order: 'asc' }).rows.map((r) => r.ip);
    // Inside the /48: its networks and addresses (and the /48 itself); covering it: the /32.
    assert.deepEqual(ips({ ip: '2001:db8:1::/48' }), ['2001:db8:1:2::/64', '2001:db8:1:2::7', '2001:db8:1:3::/64', '2001:db8::/32', '2001:db8:1::/48']);
    // An address: its own ban and every prefix ban holding it (the /64 that shuts it out, the /48, the /32).
    assert.deepEqual(ips({ ip: '2001:db8:1:2::7' }), ['2001:db8:1:2::/64', '2001:db8:1:2::7', '2001:db8::/32', '2001:db8:1::/48']);
    assert.deepEqual(ips({ ip: '2001:db8:1:2::8' }), ['2001:db8:1:2::/64', '2001:db8::/32', '2001:db8:1::/48']);
    assert.deepEqual(ips({ ip: '2001:db8:1:2::/64' }), ['2001:db8:1:2::/64', '2001:db8:1:2::7', '2001:db8::/32', '2001:db8:1::/48']);
    assert.deepEqual(ips({ ip: '2001:db9::1' }), ['2001:db9::1']);
    assert.deepEqual(ips({ ip: '203.0.113.9' }), ['203.0.113.0/24', '203.0.113.9', '203.0.112.0/23']);
    assert.deepEqual(ips({ ip: '203.0.113.0/24' }), ['203.0.113.0/24', '203.0.113.9', '203.0.112.0/23']);
    assert.deepEqual(ips({ ip: '203.0.0.0/16' }), ['203.0.113.0/24', '203.0.113.9', '203.0.112.0/23']);
    assert.deepEqual(ips({ ip: '10.0.5.5' }), ['10.0.0.0/16']);
    assert.deepEqual(ips({ ip: '10.1.0.0/16' }), []);
    // With the other filters and the totals.
    assert.equal(s.history({ ip: '2001:db8::/32', limit: 2 }).total, 5);
    assert.deepEqual(ips({ ip: '2001:db8:1:2::7', activeOnly: true, since: T + 3 }), ['2001:db8::/32', '2001:db8:1::/48']);
    assert.deepEqual([...s.iterateHistory({ ip: '203.0.113.9', sort: 'started_at', order: 'asc' })].map((r) => r.ip),
      ['203.0.113.0/24', '203.0.113.9', '203.0.112.0/23']);
    // Sorting by ip: a network right after its base address.
    assert.deepEqual(s.history({ ip: '2001:db8:1:2::/64', sort: 'ip', order: 'asc' }).rows.map((r) => r.ip),
      ['2001:db8::/32', '2001:db8:1::/48', '2001:db8:1:2::/64', '2001:db8:1:2::7']);
  } finally {
    s.close();
  }
});

test('a version-2 database migrates to version 4 keeping every row, index, trigger and the view, and takes prefix bans', (t) => {
  const path = tempDb(t);
  // Versions 1 and 2 exactly as an older warden left them, with an active and an ended ban, offences and totals.
  mkdirSync(dirname(path), { recursive: true });
  const raw = new Database(path);
  for (const m of MIGRATIONS.filter((x) => x.version <= 2)) raw.exec(m.sql);
  raw.pragma('user_version = 2');
  const insert = raw.prepare(`INSERT INTO bans (ip, ip_key, started_at, planned_end, ended_at, step, rule, source)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  insert.run('2001:db8:1:2::', ipKey('2001:db8:1:2::'), T, T + 600, T + 600, 1, 'zscore', 'auto');
  insert.run('2001:db8:1:2::', ipKey('2001:db8:1:2::'), T + 700, null, null, 2, 'ceiling', 'auto');
  insert.run('203.0.113.7', ipKey('203.0.113.7'), T + 800, T + 1400, null, 1, 'manual', 'manual');
  raw.prepare("INSERT INTO offences (ip, ip_key, count, first_at, last_at) VALUES ('203.0.113.7', ?, 1, ?, ?)").run(ipKey('203.0.113.7'), T, T);
  const before = raw.prepare("SELECT name FROM sqlite_schema WHERE tbl_name = 'bans' AND type IN ('index', 'trigger', 'view')").pluck().all() as string[];
  raw.close();

  const s = openStore(path);
  try {
    assert.deepEqual(s.activeBans().map((b) => [b.ip, b.step, b.rule]), [['2001:db8:1:2::', 2, 'ceiling'], ['203.0.113.7', 1, 'manual']]);
    assert.equal(s.history({}).total, 3);
    assert.deepEqual(s.bansTotalByRule(), { zscore: 1, ceiling: 1, manual: 1 });
    assert.deepEqual(s.offences(0).map((o) => [o.ip, o.count]), [['203.0.113.7', 1]]);
    // The /64 of the banned address is a ban of its own next to it; ending one leaves the other.
    s.insertBan(ban('2001:db8:1:2::/64', T + 900));
    assert.deepEqual(s.activeBans().map((b) => b.ip), ['2001:db8:1:2::', '203.0.113.7', '2001:db8:1:2::/64']);
    assert.equal(s.endBan('2001:db8:1:2::', T + 950, 'manual'), true);
    assert.deepEqual(s.activeBans().map((b) => b.ip), ['203.0.113.7', '2001:db8:1:2::/64']);
    assert.deepEqual(s.history({ ip: '2001:db8:1:2::5', sort: 'started_at', order: 'asc' }).rows.map((r) => r.ip), ['2001:db8:1:2::/64']);
  } finally {
    s.close();
  }
  const check = new Database(path, { readonly: true });
  try {
    assert.equal(check.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.equal(check.pragma('integrity_check', { simple: true }), 'ok');
    assert.deepEqual(check.prepare('SELECT ip, prefix_len FROM bans ORDER BY id').raw().all(),
      [['2001:db8:1:2::', 128], ['2001:db8:1:2::', 128], ['203.0.113.7', 128], ['2001:db8:1:2::/64', 64]]);
    assert.equal((check.prepare('SELECT count(*) FROM bans_view').pluck().get() as number), 4);
    const after = check.prepare("SELECT name FROM sqlite_schema WHERE tbl_name = 'bans' AND type IN ('index', 'trigger', 'view')").pluck().all() as string[];
    for (const n of before) assert.ok(after.includes(n), `${n} kept`);
    assert.ok(after.includes('bans_ip_prefix'), 'the search index of version 4');
    // One active ban per (ip_key, prefix_len): a raw duplicate of the active /64 is refused.
    assert.equal(check.prepare("SELECT sql FROM sqlite_schema WHERE name = 'bans_one_active_per_ip'").pluck().get(),
      'CREATE UNIQUE INDEX bans_one_active_per_ip ON bans (ip_key, prefix_len) WHERE ended_at IS NULL');
  } finally {
    check.close();
  }
});
