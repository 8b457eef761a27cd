// The dashboard's fleet panel in a real browser: two fleet daemons on a real redis-server, the dashboard of one lists
// both nodes with the deciding one marked, and the fleet pill says which node this is. Hidden on a single host
// (test/dashboard/dashboard.test.ts has no fleet and checks nothing of it; this one checks it is shown).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { browserSkipReason } from '../harness/browser.js';
import { loggedInDashboard } from './helpers.js';
import { startDaemon, type Daemon } from '../../enforcer/daemon/daemon.js';
import { hashPassword } from '../../enforcer/api/password.js';
import { freePort } from '../harness/nginx.js';
import { startRedis, redisSkipReason } from '../harness/redis.js';
import { tempDir, testConfig, waitFor } from '../e2e/helpers.js';

declare const document: { querySelectorAll(s: string): { length: number }; getElementById(id: string): { hidden: boolean } | null };

const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'dashboard');
const PASSWORD = 'fleet dashboard password';

test('dashboard: the fleet panel lists every node, its role and when it was last seen', {
  skip: browserSkipReason() || redisSkipReason(), timeout: 60_000,
}, async (t) => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const redis = await startRedis({ port: await freePort() });
  const tmp = tempDir();
  const daemons: Daemon[] = [];
  const cleanups: Array<() => unknown> = [() => redis.destroy(), () => tmp.remove()];
  t.after(async () => { for (const c of cleanups.reverse()) await c(); });
  const passwordHash = await hashPassword(PASSWORD);
  for (const name of ['web1', 'web2']) {
    const config = testConfig(join(tmp.dir, name), {
      nginx: { url: `http://127.0.0.1:${await freePort()}`, timeout_ms: 100 }, enforcement: { backends: ['dry-run'] },
      api: { password_hash: passwordHash }, fleet: { url: redis.url, node: name },
    });
    const d = await startDaemon(config, { onGeneratedPassword: () => {}, hostAddresses: [] });
    daemons.push(d);
    cleanups.push(() => d.stop());
  }
  assert.ok(await waitFor(() => daemons[0].service.status().fleet!.nodes.length === 2 &&
    daemons.some((d) => d.fleet!.view().role === 'decider'), 8000, 50), 'two nodes, one deciding');
  const decider = daemons.find((d) => d.fleet!.view().role === 'decider')!.fleet!.view().node;

  const { page, errors } = await loggedInDashboard(daemons[0].apiUrl!, PASSWORD, cleanups, false);
  await page.waitForFunction(() => document.querySelectorAll('#fleet-table tbody tr').length === 2, undefined, { timeout: 8000 });
  assert.equal(await page.evaluate(() => document.getElementById('fleet-panel')!.hidden), false);
  assert.match(await page.textContent('#fleet-pill') ?? '', /^fleet · web1 · (decider|follower)$/);
  assert.match(await page.textContent(`#fleet-table tr[data-node="${decider}"]`) ?? '', new RegExp(`^${decider}( \\(this\\))?decider\\d+\\.\\d s ago`));
  assert.match(await page.textContent('#fleet-table tr[data-node="web1"]') ?? '', /^web1 \(this\)/);
  assert.match(await page.textContent('#fleet-summary') ?? '', /redis:\/\/127\.0\.0\.1:\d+ · this node web1/);
  await page.screenshot({ path: join(ARTIFACTS, '4-fleet.png'), fullPage: true });
  assert.deepEqual(errors, []);
});
