// Rule alerts in the SQLite store (schema version 6) against real temp files: a version-5 database migrates keeping
// every row, index, trigger and view; alerts are stored, filtered, paged, survive a reopen and are pruned with the
// alerts' retention.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { openStore } from '../../enforcer/adapters/store/warden-store.js';
import { HistoryFilterError } from '../../enforcer/adapters/store/errors.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../enforcer/adapters/store/migrations.js';
import type { RuleAlertDecision } from '../../enforcer/core/types.js';
import { ipKey } from '../../enforcer/net/index.js';
import { ban, tempDb } from './helpers.js';

const T = 1_767_225_600; // 2026-01-01T00:00:00Z
const DAY = 86400;

/** A rule alert of `ip` by `rule` at `at`; override anything. */
function alert(ip: string, rule: string, at: number, over: Partial<RuleAlertDecision> = {}): RuleAlertDecision {
  return {
    kind: 'rule_alert', ip, at, rule, rate: 12.5, errorRate: 0.5, z: 4.2, value: 41.5, threshold: 30, tightened: false,
    baseline: { mean: 5, stddev: 2, errorMean: 0.5, rawMean: 5, rawStddev: 2, samples: 3600, source: 'rolling', computedAt: at },
    cause: 'mode', ...over,
  };
}

test('a version-5 database migrates to version 6 keeping every row, index, trigger and view; rule alerts are then stored', (t) => {
  const path = tempDb(t);
  mkdirSync(dirname(path), { recursive: true });
  const raw = new Database(path);
  for (const m of MIGRATIONS.filter((x) => x.version <= 5)) raw.exec(m.sql);
  raw.pragma('user_version = 5');
  raw.prepare(`INSERT INTO bans (ip, ip_key, started_at, planned_end, ended_at, step, rule, source, node)
    VALUES ('203.0.113.7', ?, ?, ?, NULL, 1, 'ceiling', 'auto', 'n1')`).run(ipKey('203.0.113.7'), T, T + 600);
  raw.prepare("INSERT INTO alerts (at, kind, channel, ok, payload) VALUES (?, 'ban', 'slack', 1, '{}')").run(T);
  raw.prepare("INSERT INTO allowlist (cidr, note, created_at, created_by) VALUES ('198.51.100.0/24', 'office', ?, 'cli')").run(T);
  const schemaBefore = raw.prepare("SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name").all();
  raw.close();

  const s = openStore(path);
  try {
    assert.deepEqual(s.activeBans().map((b) => [b.ip, b.rule, b.node]), [['203.0.113.7', 'ceiling', 'n1']]);
    assert.equal(s.recentAlerts(10).length, 1);
    assert.deepEqual(s.allowlist().map((a) => a.cidr), ['198.51.100.0/24']);
    assert.deepEqual(s.bansTotalByRule(), { ceiling: 1 });
    const id = s.insertRuleAlert(alert('2001:db8:1:2::/64', 'spread', T + 5));
    assert.ok(id > 0);
    assert.deepEqual(s.ruleAlerts({}).rows.map((r) => [r.ip, r.rule, r.value, r.threshold, r.cause]), [['2001:db8:1:2::/64', 'spread', 41.5, 30, 'mode']]);
  } finally {
    s.close();
  }
  const check = new Database(path, { readonly: true });
  try {
    assert.equal(check.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.equal(SCHEMA_VERSION, 6);
    assert.equal(check.pragma('integrity_check', { simple: true }), 'ok');
    const after = check.prepare("SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name").all() as unknown[];
    // Every table, index, trigger and view of version 5 is there unchanged; version 6 only adds.
    for (const x of schemaBefore) assert.ok(after.some((y) => JSON.stringify(y) === JSON.stringify(x)), JSON.stringify(x));
    const added = (after as Array<{ name: string }>).map((x) => x.name).filter((n) => !(schemaBefore as Array<{ name: string }>).some((b) => b.name === n));
    assert.deepEqual(added.sort(), ['rule_alerts', 'rule_alerts_at', 'rule_alerts_ip_at', 'rule_alerts_rule_at']);
    // The CHECKs hold: a made-up cause is refused by SQLite itself.
    assert.throws(() => new Database(path).prepare(`INSERT INTO rule_alerts (at, ip, ip_key, rule, cause, value, threshold)
      VALUES (1, '1.2.3.4', ?, 'x', 'bogus', 1, 1)`).run(ipKey('1.2.3.4')), /CHECK constraint/);
  } finally {
    check.close();
  }
});

test('rule alerts: filters by rule, exact client (address or network), time; newest first; paging and totals; reopen keeps them', (t) => {
  const path = tempDb(t);
  let s = openStore(path);
  s.insertRuleAlert(alert('203.0.113.7', 'ceiling', T + 10));
  s.insertRuleAlert(alert('203.0.113.7', 'zscore', T + 20, { cause: 'learning', value: 7.25, threshold: 3 }));
  s.insertRuleAlert(alert('2001:DB8:1:2::9/64', 'spread', T + 30));
  s.insertRuleAlert(alert('198.51.100.4', 'volume', T + 40, { value: Number.NaN, threshold: Infinity }));
  s.close();
  s = openStore(path);
  t.after(() => s.close());
  const all = s.ruleAlerts({});
  assert.equal(all.total, 4);
  assert.deepEqual(all.rows.map((r) => [r.at, r.ip, r.rule]), [
    [T + 40, '198.51.100.4', 'volume'], [T + 30, '2001:db8:1:2::/64', 'spread'], [T + 20, '203.0.113.7', 'zscore'], [T + 10, '203.0.113.7', 'ceiling'],
  ]);
  // NaN and infinities are stored as finite numbers, never as NULL in a NOT NULL column.
  assert.deepEqual([all.rows[0].value, all.rows[0].threshold], [0, Number.MAX_VALUE]);
  assert.deepEqual(s.ruleAlerts({ rule: 'zscore' }).rows.map((r) => [r.ip, r.cause, r.value, r.threshold]), [['203.0.113.7', 'learning', 7.25, 3]]);
  assert.deepEqual(s.ruleAlerts({ ip: ' 203.0.113.7 ' }).rows.map((r) => r.rule), ['zscore', 'ceiling']);
  assert.deepEqual(s.ruleAlerts({ ip: '2001:db8:1:2::/64' }).rows.map((r) => r.rule), ['spread']);
  assert.deepEqual(s.ruleAlerts({ ip: '2001:db8:1:2::' }).rows, [], 'the address is not its /64');
  assert.deepEqual(s.ruleAlerts({ since: T + 20, until: T + 30 }).rows.map((r) => r.at), [T + 30, T + 20]);
  const page = s.ruleAlerts({ limit: 3, offset: 0 });
  assert.deepEqual([page.rows.length, page.total], [3, 4]);
  const last = s.ruleAlerts({ limit: 3, offset: 3 });
  assert.deepEqual([last.rows.map((r) => r.at), last.total], [[T + 10], 4]);
  assert.throws(() => s.ruleAlerts({ ip: "1.2.3.4' OR '1'='1" }), (e: unknown) => e instanceof HistoryFilterError && e.field === 'ip');
  assert.throws(() => s.insertRuleAlert(alert('not-an-ip', 'ceiling', T)), /not an IP address or CIDR/);
  assert.equal(s.ruleAlerts({}).total, 4);
});

test('prune: rule alerts older than the alerts retention go, newer ones stay; bans are untouched', (t) => {
  const s = openStore(tempDb(t));
  t.after(() => s.close());
  s.insertRuleAlert(alert('203.0.113.7', 'ceiling', T));
  s.insertRuleAlert(alert('203.0.113.8', 'ceiling', T + 20 * DAY));
  s.insertBan(ban('192.0.2.9', T, null));
  const r = s.prune(T + 31 * DAY, 90 * DAY, 30 * DAY, { alertSec: 30 * DAY });
  assert.equal(r.ruleAlerts, 1);
  assert.deepEqual(s.ruleAlerts({}).rows.map((x) => x.ip), ['203.0.113.8']);
  assert.equal(s.activeBans().length, 1);
  // Without alertSec the ban retention applies.
  assert.equal(s.prune(T + 80 * DAY, 90 * DAY, 30 * DAY).ruleAlerts, 0);
  assert.equal(s.prune(T + 111 * DAY, 90 * DAY, 30 * DAY).ruleAlerts, 1);
});
