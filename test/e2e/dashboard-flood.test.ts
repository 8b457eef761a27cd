// The whole product in a real browser: real nginx (2 workers), the real daemon with the nginx backend, Debian chromium.
// Log in with the generated password, watch a flood get banned on the live page, find it in history, unban it from the
// page, and see nginx serve the address again. Screenshots go to test-artifacts/e2e/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, browserSkipReason } from '../harness/browser.js';
import { startNginx, nginxSkipReason, repoRoot, type RunningNginx } from '../harness/nginx.js';
import { needCommands } from '../harness/tools.js';
import { startDaemon, type Daemon } from '../../enforcer/daemon/daemon.js';
import { tempDir, testConfig, ab, steadyClient } from './helpers.js';

declare const document: { getElementById(id: string): { textContent: string | null } | null };

const ARTIFACTS = join(repoRoot, 'test-artifacts', 'e2e');
const skip = nginxSkipReason() || browserSkipReason() || needCommands('ab');

test('browser: a real flood is banned on the live page within seconds, shows in history, and is unbanned from the page', { skip, timeout: 90_000 }, async (t) => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const cleanups: Array<() => unknown> = [];
  t.after(async () => { for (const c of cleanups.reverse()) await c(); });
  const tmp = tempDir();
  cleanups.push(() => tmp.remove());
  const ng: RunningNginx = await startNginx({ workers: 2, httpExtra: 'set_real_ip_from 127.0.0.1; real_ip_header X-Forwarded-For;',
    servers: ['include {dir}/nginx-server.conf; location / { return 200 "ok\\n"; }'] });
  cleanups.push(() => ng.stop());
  let password = '';
  const daemon: Daemon = await startDaemon(testConfig(tmp.dir, { nginx: { url: ng.internalUrl, secret_file: ng.secretFile }, enforcement: { backends: ['nginx'] } }),
    { onGeneratedPassword: (pw) => { password = pw; } });
  cleanups.push(() => daemon.stop());
  const bg = steadyClient(ng.url('/'), '198.51.100.31', 400);
  cleanups.push(() => bg.stop());

  const browser = await launchBrowser();
  cleanups.push(() => browser.close());
  const { page, errors } = browser;

  for (let i = 0; i < 50 && !password; i++) await page.waitForTimeout(100);
  assert.ok(password.length >= 12, 'a dashboard password was generated at first start');
  await page.goto(daemon.apiUrl + '/');
  await page.waitForSelector('#login-form');
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  await page.waitForSelector('#dashboard');
  await page.waitForFunction(() => (document.getElementById('global-rate')?.textContent ?? '—') !== '—');

  const flooder = '203.0.113.99';
  const t0 = Date.now();
  const flood = ab(ng.url('/'), 3000, 8, [`X-Forwarded-For: ${flooder}`]);
  await page.waitForSelector(`#bans-table tr[data-ip="${flooder}"]`, { timeout: 15_000 });
  const seenMs = Date.now() - t0;
  t.diagnostic(`flood start -> ban visible on the dashboard: ${seenMs} ms`);
  // A ban takes up to ~3 s (a completed second, the next 1 s poll) and the page refreshes every 2 s; the margin above
  // that is for a shared, loaded machine (the time to the first drop is bench/compare's to measure).
  assert.ok(seenMs < 12_000, `the ban took ${seenMs} ms to show`);
  await flood;
  assert.equal((await fetch(ng.url('/'), { headers: { 'X-Forwarded-For': flooder } })).status, 403);
  await page.waitForTimeout(1500);
  await page.screenshot({ path: join(ARTIFACTS, '1-flood-banned.png'), fullPage: true });

  await page.fill('#history-form input[name=ip]', flooder);
  await page.click('#history-form button[type=submit]');
  await page.waitForFunction((ip) => (document.getElementById('history-table')?.textContent ?? '').includes(ip), flooder);
  assert.match(await page.textContent('#history-table') ?? '', /zscore|multiplier|burst|ceiling/);

  await page.click(`#bans-table tr[data-ip="${flooder}"] button`);
  await page.waitForSelector(`#bans-table tr[data-ip="${flooder}"]`, { state: 'detached', timeout: 6000 });
  assert.equal((await fetch(ng.url('/'), { headers: { 'X-Forwarded-For': flooder } })).status, 200, 'nginx serves the unbanned address again');
  await page.click('#history-form button[type=submit]');
  await page.waitForFunction(() => /manual/.test(document.getElementById('history-table')?.textContent ?? ''));
  await page.screenshot({ path: join(ARTIFACTS, '2-unbanned-history.png'), fullPage: true });
  const seen = await bg.stop();
  assert.equal(seen[403] ?? 0, 0, 'the background client was never refused');
  assert.deepEqual(errors, []);
});
