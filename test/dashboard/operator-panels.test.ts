// The operator panels in a real browser (Debian chromium + playwright-core) over the real service, SQLite and engine:
// the heaviest clients with their rates and a one-click Allow that lifts the client's ban at once, the allow-list
// (runtime entries removable, config and built-in ones not), and the rule alerts of a rule in mode alert with rule,
// client, value against threshold and time; every rule list comes from the registry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { browserSkipReason } from '../harness/browser.js';
import { loggedInDashboard, serveFixture } from './helpers.js';
import { banRuleNames } from '../../enforcer/core/rules/registry.js';
import { createServiceFixture } from '../api/service-fixture.js';

declare const document: { getElementById(id: string): { textContent: string | null } | null };

const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'dashboard');
const PASSWORD = 'operator panels password';
const SYNC = '198.51.100.23';
const SCRAPER = '203.0.113.60';

test('dashboard: heaviest clients, one-click allow lifts the ban, the allow-list panel, rule alerts', {
  skip: browserSkipReason(), timeout: 90_000,
}, async (t) => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const only = { ceiling: { mode: 'alert' }, burst: { mode: 'off' }, population: { mode: 'off' }, zscore: { mode: 'off' }, multiplier: { mode: 'off' } };
  const fx = createServiceFixture({ allowlist: ['10.9.0.0/16'], detection: { rules: only }, nowMs: Math.floor(Date.now() / 1000) * 1000 });
  const cleanups: Array<() => unknown> = [() => fx.close()];
  t.after(async () => { for (const c of cleanups.reverse()) await c(); });
  // Traffic: the sync client steady at 10 req/s, the scraper at 40 req/s (over the ceiling, in mode alert), a reader.
  const second = async () => {
    const tSec = Math.floor(fx.clock.nowMs() / 1000);
    fx.engine.ingest([{ t: tSec - 1, global: [52, 0, 0, 0, 0], ips: { [SYNC]: [10, 0, 0, 0, 0], [SCRAPER]: [40, 0, 0, 0, 0], '192.0.2.200': [2, 0, 0, 0, 0] } }]);
    await fx.apply(fx.engine.tick(tSec));
    fx.clock.advance(1000);
  };
  // An operator banned the sync client by mistake; its traffic goes on (as nginx still counts refused requests).
  assert.equal((await fx.service.ban(SYNC, 3600, 'looked like a scraper', { addr: '', via: 'test' })).ok, true);
  for (let i = 0; i < 70; i++) await second();
  const ticker = setInterval(() => void second(), 1000);
  cleanups.push(() => clearInterval(ticker));
  assert.ok(fx.store.ruleAlerts({ rule: 'ceiling' }).total >= 1, 'the scraper tripped the ceiling in mode alert');

  const base = await serveFixture(fx, PASSWORD, cleanups);
  const { page, errors } = await loggedInDashboard(base, PASSWORD, cleanups);

  // Every rule list comes from the registry: the history filter and the rule-alert filter (spread included).
  await page.waitForFunction(() => (document.getElementById('history-rule')?.textContent ?? '').includes('spread'));
  assert.deepEqual(await page.$$eval('#history-rule option', (os) => os.map((o) => o.textContent)), ['any rule', ...banRuleNames()]);
  assert.deepEqual(await page.$$eval('#alerts-rule option', (os) => os.map((o) => o.textContent)),
    ['any rule', ...banRuleNames().filter((r) => r !== 'manual')]);

  // Rule alerts: rule, client, value against threshold, why not banned.
  await page.waitForSelector('#alerts-table tr[data-rule="ceiling"]', { timeout: 8000 });
  const alertRow = await page.$$eval('#alerts-table tr[data-rule="ceiling"] td', (tds) => tds.map((td) => td.textContent));
  assert.match(alertRow[0] ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  // The first second over the ceiling: the window's rate just above 30 req/s.
  const stored = fx.store.ruleAlerts({ rule: 'ceiling' }).rows[0];
  assert.deepEqual(alertRow.slice(1), ['ceiling', SCRAPER, stored.value.toFixed(2), '30', `${stored.rate.toFixed(1)} req/s`, 'mode alert']);
  assert.ok(stored.value > 30 && stored.value <= 40, String(stored.value));
  await page.selectOption('#alerts-rule', 'spread');
  await page.click('#alerts-form button[type=submit]');
  await page.waitForSelector('#alerts-table tr[data-rule="ceiling"]', { state: 'detached', timeout: 6000 });
  assert.equal(await page.isVisible('#alerts-empty'), true);

  // Heaviest clients by the last hour, with their rates; the banned sync client is among them.
  await page.waitForSelector(`#heavy-table tr[data-ip="${SYNC}"]`, { timeout: 8000 });
  const heavyIps = await page.$$eval('#heavy-table tbody tr', (trs) => trs.map((tr) => (tr as unknown as { dataset: { ip: string } }).dataset.ip));
  assert.deepEqual(heavyIps, [SCRAPER, SYNC, '192.0.2.200']);
  const syncRow = await page.$$eval(`#heavy-table tr[data-ip="${SYNC}"] td`, (tds) => tds.map((td) => td.textContent));
  assert.equal(syncRow[0], SYNC);
  assert.ok(Number(syncRow[2]) > 0 && Number(syncRow[3]) > 0, JSON.stringify(syncRow));
  await page.selectOption('#heavy-by', 'byRate');
  assert.equal(await page.textContent('#heavy-table tbody tr:first-child td:first-child'), SCRAPER);
  await page.waitForSelector(`#bans-table tr[data-ip="${SYNC}"]`, { timeout: 6000 });
  await page.screenshot({ path: join(ARTIFACTS, '4-operator-panels.png'), fullPage: true });

  // One click, confirmed by name (a dismissed question changes nothing): allow-listed, its ban lifted at once
  // (firewall and database), listed as a runtime entry.
  const asked: string[] = [];
  const allowPosts: string[] = [];
  page.on('request', (r) => { if (r.method() === 'POST' && r.url().includes('/api/v1/allow')) allowPosts.push(r.url()); });
  page.once('dialog', (d) => { asked.push(d.message()); void d.dismiss(); });
  await page.click(`#heavy-table tr[data-ip="${SYNC}"] button`);
  assert.equal(fx.firewall.has(SYNC), true);
  page.once('dialog', (d) => { asked.push(d.message()); void d.accept(); });
  await page.click(`#heavy-table tr[data-ip="${SYNC}"] button`);
  assert.deepEqual(asked.map((m) => m.includes(`Allow-list ${SYNC}?`)), [true, true]);
  await page.waitForFunction((ip) => (document.getElementById('banner')?.textContent ?? '').includes(`lifted the ban of ${ip}`), SYNC);
  assert.equal(allowPosts.length, 1, 'the dismissed question sent a request too');
  assert.equal(fx.firewall.has(SYNC), false);
  assert.equal(fx.store.countActive(), 0);
  assert.deepEqual(fx.store.allowlist().map((a) => [a.cidr, a.note]), [[`${SYNC}/32`, 'heavy client, allow-listed from the dashboard']]);
  await page.waitForSelector(`#bans-table tr[data-ip="${SYNC}"]`, { state: 'detached', timeout: 6000 });
  await page.waitForSelector(`#allow-table tr[data-cidr="${SYNC}/32"] button`, { timeout: 6000 });
  await page.waitForSelector(`#heavy-table tr[data-ip="${SYNC}"] .tag-allowed`, { timeout: 6000 });
  // Config and built-in entries are listed without a remove button.
  assert.equal(await page.locator('#allow-table tr[data-cidr="10.9.0.0/16"] button').count(), 0);
  assert.equal(await page.locator('#allow-table tr[data-cidr="127.0.0.0/8"] button').count(), 0);

  // The add form refuses a too wide entry with the API's reason, and takes a network.
  await page.fill('#allow-cidr', '0.0.0.0/0');
  await page.click('#allow-form button[type=submit]');
  await page.waitForFunction(() => /wider than \/8/.test(document.getElementById('banner')?.textContent ?? ''));
  await page.fill('#allow-cidr', '192.0.2.128/25');
  await page.fill('#allow-note', 'monitoring');
  await page.click('#allow-form button[type=submit]');
  await page.waitForSelector('#allow-table tr[data-cidr="192.0.2.128/25"]', { timeout: 6000 });

  // Removed from the page: gone from the list and the database.
  await page.click(`#allow-table tr[data-cidr="${SYNC}/32"] button`);
  await page.waitForSelector(`#allow-table tr[data-cidr="${SYNC}/32"]`, { state: 'detached', timeout: 6000 });
  assert.deepEqual(fx.store.allowlist().map((a) => a.cidr), ['192.0.2.128/25']);
  // The refused add's 400 shows in the console as a failed resource; nothing else may.
  assert.deepEqual(errors.filter((e) => !/status of 400/.test(e)), []);
});
