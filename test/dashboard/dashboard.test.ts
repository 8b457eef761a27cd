// The dashboard in a real browser (Debian chromium + playwright-core) against the app served on 127.0.0.1:0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, browserSkipReason } from '../harness/browser.js';
import { serveFixture } from './helpers.js';
import { createServiceFixture } from '../api/service-fixture.js';

// The page functions below run in the browser; these declare the little of the DOM they use (no DOM lib in Node code).
declare const document: { getElementById(id: string): { textContent: string | null } | null };
declare const window: unknown;

const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'dashboard');
const PASSWORD = 'dashboard test password';

test('dashboard: log in, live updates, a ban appears, unban from the page, history', {
  skip: browserSkipReason(), timeout: 60_000,
}, async (t) => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const fx = createServiceFixture({ allowlist: ['10.9.0.0/16'], nowMs: Math.floor(Date.now() / 1000) * 1000 });
  // Clean-up in reverse order of creation (t.after hooks would run first-in first-out).
  const cleanups: Array<() => unknown> = [() => fx.close()];
  t.after(async () => { for (const c of cleanups.reverse()) await c(); });
  const now0 = fx.clock.nowMs() / 1000;
  // A past hour of baseline snapshots and some live traffic, so charts and top IPs have something to show.
  for (let m = 60; m >= 1; m--) {
    const wave = 40 + 15 * Math.sin(m / 7);
    fx.store.insertBaseline({ at: now0 - m * 60, mean: 40, stddev: 6, error_mean: 1, source: 'rolling', hour: null,
      samples: 600, global_rate: wave });
  }
  const feed = () => {
    const tSec = Math.floor(fx.clock.nowMs() / 1000);
    fx.engine.ingest([{ t: tSec - 1, global: [55, 3, 0], ips: {
      '198.51.100.23': [20, 1, 0], '203.0.113.77': [12, 2, 0], '2001:db8::bad': [8, 0, 0], '192.0.2.200': [3, 0, 0] } }]);
  };
  for (let i = 10; i > 0; i--) { fx.clock.advance(-1000); }
  for (let i = 0; i < 10; i++) { fx.clock.advance(1000); feed(); }
  const ticker = setInterval(() => { fx.clock.advance(1000); feed(); }, 1000);
  cleanups.push(() => clearInterval(ticker));

  const base = await serveFixture(fx, PASSWORD, cleanups);

  const browser = await launchBrowser();
  cleanups.push(() => browser.close());
  const { page, errors } = browser;
  // The deliberate wrong-password attempt logs a 401 resource error; anything else is a bug.
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 401/.test(m.text())) errors.push(m.text()); });

  await page.goto(base + '/');
  await page.waitForSelector('#login-form');
  await page.fill('#password', 'wrong password');
  await page.click('button[type=submit]');
  await page.waitForFunction(() => (document.getElementById('login-error')?.textContent ?? '').includes('wrong password'));
  await page.screenshot({ path: join(ARTIFACTS, '1-login.png') });
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForSelector('#dashboard');
  await page.waitForFunction(() => (document.getElementById('global-rate')?.textContent ?? '—') !== '—');

  // Live updates: the "updated" stamp and the chart move on within a few seconds.
  const first = await page.textContent('#updated');
  await page.waitForFunction((f) => document.getElementById('updated')?.textContent !== f, first, { timeout: 6000 });
  assert.ok(await page.locator('#rate-chart canvas').count() > 0, 'the rate chart is drawn');
  assert.ok(await page.locator('#slots-chart canvas').count() > 0, 'the hourly chart is drawn');
  await page.waitForSelector('#top-table tbody tr');
  assert.match(await page.textContent('#top-table') ?? '', /198\.51\.100\.23/);

  // A ban made through the service shows up, with a hostile reason rendered as text.
  const r = await fx.service.ban('203.0.113.77', 3600, '<img src=x onerror="window.__pwned=1">', { addr: '', via: 'test' });
  assert.equal(r.ok, true);
  await page.waitForSelector('#bans-table tr[data-ip="203.0.113.77"]', { timeout: 6000 });
  await page.click('#history-form button[type=submit]');
  await page.waitForFunction(() => (document.getElementById('history-table')?.textContent ?? '').includes('<img src=x'));
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  await page.waitForTimeout(2500);
  await page.screenshot({ path: join(ARTIFACTS, '2-dashboard.png'), fullPage: true });

  // Unban from the page.
  await page.click('#bans-table tr[data-ip="203.0.113.77"] button');
  await page.waitForSelector('#bans-table tr[data-ip="203.0.113.77"]', { state: 'detached', timeout: 6000 });
  assert.equal(fx.firewall.has('203.0.113.77'), false);
  assert.equal(fx.store.activeBans().length, 0);

  // History view: filter by CIDR, the ended ban is listed with its unban reason; the CSV link carries the filter.
  await page.fill('#history-form input[name=ip]', '203.0.113.0/24');
  await page.click('#history-form button[type=submit]');
  await page.waitForFunction(() => /manual\)/.test(document.getElementById('history-table')?.textContent ?? ''));
  assert.match(await page.getAttribute('#csv-link', 'href') ?? '', /ip=203\.0\.113\.0%2F24/);
  await page.screenshot({ path: join(ARTIFACTS, '3-history.png'), fullPage: true });
  assert.deepEqual(errors, []);
});
