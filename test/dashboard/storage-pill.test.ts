// The dashboard shows when the database does not take writes (disk full): a red pill with the error, gone again once
// writes succeed. Real browser against the app; the storage health is switched by the test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serve, type ServerType } from '@hono/node-server';
import { launchBrowser, browserSkipReason } from '../harness/browser.js';
import { createApp } from '../../enforcer/api/app.js';
import { hashPassword } from '../../enforcer/api/password.js';
import { createServiceFixture } from '../api/service-fixture.js';
import type { StorageHealth } from '../../enforcer/api/service.js';

declare const document: { getElementById(id: string): { textContent: string | null; hidden: boolean } | null };

test('dashboard: a failing database shows a pill with the error, and it goes when writes work again', {
  skip: browserSkipReason(), timeout: 60_000,
}, async (t) => {
  let health: StorageHealth = { ok: false, lastError: 'database or disk is full', since: 1 };
  const fx = createServiceFixture({ storage: () => health });
  const cleanups: Array<() => unknown> = [() => fx.close()];
  t.after(async () => { for (const c of cleanups.reverse()) await c(); });
  const app = createApp(fx.service, {
    auth: { passwordHash: await hashPassword('pill password'), tokens: [], sessionTtlSec: 3600, loginAttemptsPerMinute: 5 },
    clock: fx.clock,
  });
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  cleanups.push(() => new Promise<void>((r) => { server.close(() => r()); (server as unknown as { closeAllConnections(): void }).closeAllConnections(); }));
  const addr = server.address();
  const base = `http://127.0.0.1:${addr && typeof addr === 'object' ? addr.port : 0}`;
  assert.equal((await fetch(`${base}/healthz`)).status, 503);

  const browser = await launchBrowser();
  cleanups.push(() => browser.close());
  const { page, errors } = browser;
  await page.goto(base + '/');
  await page.fill('#password', 'pill password');
  await page.click('button[type=submit]');
  await page.waitForSelector('#dashboard');
  await page.waitForFunction(() => document.getElementById('storage-pill')?.hidden === false);
  assert.match(await page.textContent('#storage-pill') ?? '', /database not writable: database or disk is full \(new bans are refused\)/);

  health = { ok: true, lastError: null, since: null };
  await page.waitForFunction(() => document.getElementById('storage-pill')?.hidden === true, undefined, { timeout: 10_000 });
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  assert.deepEqual(errors, []);
});
