// The dashboard shows when the database does not take writes (disk full): a red pill with the error, gone again once
// writes succeed. Real browser against the app; the storage health is switched by the test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browserSkipReason } from '../harness/browser.js';
import { loggedInDashboard, serveFixture } from './helpers.js';
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
  const base = await serveFixture(fx, 'pill password', cleanups);
  assert.equal((await fetch(`${base}/healthz`)).status, 503);

  // The 503s of /healthz are the point here: console errors are not collected.
  const { page, errors } = await loggedInDashboard(base, 'pill password', cleanups, false);
  await page.waitForFunction(() => document.getElementById('storage-pill')?.hidden === false);
  assert.match(await page.textContent('#storage-pill') ?? '', /database not writable: database or disk is full \(new bans are refused\)/);

  health = { ok: true, lastError: null, since: null };
  await page.waitForFunction(() => document.getElementById('storage-pill')?.hidden === true, undefined, { timeout: 10_000 });
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  assert.deepEqual(errors, []);
});
