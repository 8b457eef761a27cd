// A rule is one file: the toy rule of test/core/rules/toy-rule.ts, registered from here, decides with nothing else
// changed, and shows up in the audit log, the API (rules, status, history filter), /metrics, the dashboard legend and the
// dashboard's history and rule-alert filters (real chromium); in mode alert it audits, alerts and stores the alert but
// never bans.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { browserSkipReason } from '../harness/browser.js';
import { loggedInDashboard, serveOnLoopback } from './helpers.js';
import { createApp } from '../../enforcer/api/app.js';
import { hashPassword } from '../../enforcer/api/password.js';
import { openAuditLog } from '../../enforcer/adapters/audit-log.js';
import { registerRule, unregisterRule, banRuleNames } from '../../enforcer/core/rules/registry.js';
import type { RuleInfo } from '../../enforcer/core/rules/info.js';
import { createServiceFixture, type ServiceFixture } from '../api/service-fixture.js';
import toyRule from '../core/rules/toy-rule.js';

declare const document: { getElementById(id: string): { textContent: string | null } | null };

const TOKEN = 'toy-rule-test-token-0123456789';
const PASSWORD = 'toy rule test password';
const PROBER = '203.0.113.5';
const READER = '198.51.100.7';

/** A fixture with the toy rule registered, a real audit log in a temp dir, and the app on top. */
async function setUp(t: { after(fn: () => unknown): void }, detection: Record<string, unknown> = {}) {
  registerRule(toyRule);
  const dir = mkdtempSync(join(tmpdir(), 'warden-toy-'));
  const auditPath = join(dir, 'audit.log');
  const held: { fx?: ServiceFixture } = {};
  const cleanups: Array<() => unknown> = [() => unregisterRule(toyRule.name), () => rmSync(dir, { recursive: true, force: true })];
  t.after(async () => { for (const c of cleanups.reverse()) await c(); });
  const clockRef = { nowMs: () => held.fx?.clock.nowMs() ?? 0 };
  const audit = openAuditLog(auditPath, { clock: clockRef, log: { error() {}, every() {} } });
  cleanups.push(() => audit.close());
  const fx = createServiceFixture({ detection, audit, nowMs: Math.floor(Date.now() / 1000) * 1000 });
  held.fx = fx;
  cleanups.push(() => fx.close());
  const app = createApp(fx.service, {
    auth: { passwordHash: await hashPassword(PASSWORD), tokens: [TOKEN], sessionTtlSec: 3600, loginAttemptsPerMinute: 5 },
    clock: fx.clock,
  });
  const get = async (path: string) => {
    const r = await app.request(path, { headers: { authorization: `Bearer ${TOKEN}` } });
    return { status: r.status, text: await r.text() };
  };
  /** One second of traffic: the prober sends 3 requests, all probes; a reader 2 ordinary ones; then a tick. */
  const probeSecond = async () => {
    const tSec = Math.floor(fx.clock.nowMs() / 1000);
    fx.engine.ingest([{ t: tSec - 1, global: [5, 3, 0, 0, 3], ips: { [PROBER]: [3, 3, 0, 0, 3], [READER]: [2, 0, 0, 0, 0] } }]);
    await fx.apply(fx.engine.tick(tSec));
    fx.clock.advance(1000);
  };
  return { fx, app, get, auditPath, probeSecond, cleanups };
}

test('toy rule: one file, registered from the test, decides; audit log, API, history filter and /metrics show it', async (t) => {
  const { fx, get, auditPath, probeSecond } = await setUp(t);
  assert.ok(banRuleNames().includes('toy_probe'));
  await probeSecond();

  // It decided: 3 requests in all, far under every rate rule's gate, banned by the toy rule only.
  const bans = fx.store.activeBans();
  assert.deepEqual(bans.map((b) => [b.ip, b.rule]), [[PROBER, 'toy_probe']]);
  assert.ok(fx.firewall.has(PROBER));
  assert.equal(fx.firewall.has(READER), false);

  // Audit log: the rule's own name, value and threshold.
  assert.match(readFileSync(auditPath, 'utf8'), new RegExp(`^\\[[^\\]]+\\] BAN ${PROBER.replace(/\./g, '\\.')} \\| toy_probe=3\\.00>3\\.0 \\| rate=0\\.05 \\| baseline=1\\.00 \\| duration=10m$`, 'm'));

  // API: the rules list (with its settings in words), the status, the history filtered by the new rule.
  const rules = JSON.parse((await get('/api/v1/rules')).text) as { rules: RuleInfo[] };
  const toy = rules.rules.find((r) => r.name === 'toy_probe');
  assert.deepEqual(toy && [toy.title, toy.mode, toy.thresholds, toy.signals, toy.windows], ['toy probes', 'ban', 'probes >= 3 in the short window', ['probe'], ['short']]);
  const status = JSON.parse((await get('/api/v1/status')).text) as { activeBans: Array<{ ip: string; rule: string }>; rules: RuleInfo[] };
  assert.deepEqual(status.activeBans.map((b) => [b.ip, b.rule]), [[PROBER, 'toy_probe']]);
  assert.ok(status.rules.some((r) => r.name === 'toy_probe'));
  const history = JSON.parse((await get('/api/v1/history?rule=toy_probe')).text) as { rows: Array<{ ip: string; rule: string }>; total: number };
  assert.deepEqual([history.total, history.rows[0].ip, history.rows[0].rule], [1, PROBER, 'toy_probe']);
  assert.equal((await get('/api/v1/history?rule=zscore')).text.includes(PROBER), false);
  const bad = await get('/api/v1/history?rule=toy_nothing');
  assert.equal(bad.status, 400);
  assert.match(bad.text, /must be one of brute_force, probing, zscore, multiplier, ceiling, burst, population, volume, spread, toy_probe, manual/);

  // /metrics: the ban counted under the rule's label, its mode, and a zero series for the rules that did not ban.
  const metrics = (await get('/metrics')).text;
  assert.match(metrics, /^warden_bans_total\{rule="toy_probe"\} 1$/m);
  assert.match(metrics, /^warden_bans_total\{rule="ceiling"\} 0$/m);
  assert.match(metrics, /^warden_rule_mode\{rule="toy_probe",mode="ban"\} 1$/m);
  assert.match(metrics, /^warden_rule_alerts_total\{rule="toy_probe"\} 0$/m);
});

test('toy rule in mode alert: decided, audited, counted on /metrics, never banned, alerted once per alert_cooldown', async (t) => {
  const { fx, get, auditPath, probeSecond } = await setUp(t, { rules: { toy_probe: { mode: 'alert', probes: 3 } }, alert_cooldown: 600 });
  for (let i = 0; i < 5; i++) await probeSecond();
  assert.deepEqual(fx.store.activeBans(), []);
  assert.equal(fx.firewall.size, 0);
  const alerts = readFileSync(auditPath, 'utf8').split('\n').filter((l) => / ALERT /.test(l));
  assert.equal(alerts.length, 1, alerts.join('\n'));
  assert.match(alerts[0], new RegExp(`ALERT ${PROBER.replace(/\./g, '\\.')} \\| toy_probe=3\\.00>3\\.0 \\| rate=0\\.05 \\| baseline=1\\.00 \\| mode=alert$`));
  // Stored: what the rule would have banned, once, with its value against its threshold.
  const stored = JSON.parse((await get('/api/v1/alerts?rule=toy_probe')).text) as { rows: Array<{ ip: string; value: number; threshold: number; cause: string }> };
  assert.deepEqual(stored.rows.map((r) => [r.ip, r.value, r.threshold, r.cause]), [[PROBER, 3, 3, 'mode']]);
  const metrics = (await get('/metrics')).text;
  assert.match(metrics, /^warden_rule_alerts_total\{rule="toy_probe"\} 1$/m);
  assert.match(metrics, /^warden_rule_mode\{rule="toy_probe",mode="alert"\} 1$/m);
  assert.match(metrics, /^warden_bans_total\{rule="toy_probe"\} 0$/m);
});

test('toy rule on the dashboard: the rules legend and the history filter list it; filtering by it finds its ban', {
  skip: browserSkipReason(), timeout: 60_000,
}, async (t) => {
  const { app, probeSecond, cleanups } = await setUp(t);
  await probeSecond();
  const base = await serveOnLoopback(app.fetch, cleanups);
  const { page, errors } = await loggedInDashboard(base, PASSWORD, cleanups);
  // The legend: every rule of the registry, the toy one with its mode and settings.
  await page.waitForSelector('#rules-table tr[data-rule="toy_probe"]', { timeout: 6000 });
  const row = await page.textContent('#rules-table tr[data-rule="toy_probe"]') ?? '';
  assert.match(row, /toy_probe/);
  assert.match(row, /ban/);
  assert.match(row, /probes >= 3 in the short window/);
  assert.match(row, /at least `probes` probes within the short window/);
  assert.deepEqual(await page.$$eval('#rules-table tbody tr', (trs) => trs.map((tr) => (tr as unknown as { dataset: { rule: string } }).dataset.rule)),
    ['brute_force', 'probing', 'zscore', 'multiplier', 'ceiling', 'burst', 'population', 'volume', 'spread', 'error_surge', 'toy_probe', 'global_surge']);
  // The ban in the live table, and the history filter offering the new rule.
  await page.waitForSelector(`#bans-table tr[data-ip="${PROBER}"]`, { timeout: 6000 });
  // Every rule a ban can carry (the prefix rule spread included), as the registry and the API's validation list them.
  assert.deepEqual(await page.$$eval('#history-rule option', (os) => os.map((o) => o.textContent)),
    ['any rule', 'brute_force', 'probing', 'zscore', 'multiplier', 'ceiling', 'burst', 'population', 'volume', 'spread', 'toy_probe', 'manual']);
  assert.deepEqual(await page.$$eval('#history-rule option', (os) => os.slice(1).map((o) => o.textContent)), banRuleNames());
  // The rule-alert filter: the same list without manual (an alert always names a rule).
  assert.deepEqual(await page.$$eval('#alerts-rule option', (os) => os.slice(1).map((o) => o.textContent)),
    banRuleNames().filter((r) => r !== 'manual'));
  await page.selectOption('#history-rule', 'toy_probe');
  await page.click('#history-form button[type=submit]');
  await page.waitForFunction((ip) => (document.getElementById('history-table')?.textContent ?? '').includes(ip), PROBER);
  assert.match(await page.textContent('#history-table') ?? '', /toy_probe/);
  assert.match(await page.getAttribute('#csv-link', 'href') ?? '', /rule=toy_probe/);
  await page.selectOption('#history-rule', 'zscore');
  await page.click('#history-form button[type=submit]');
  await page.waitForFunction(() => (document.getElementById('history-total')?.textContent ?? '') === 'no bans match');
  assert.deepEqual(errors, []);
});
