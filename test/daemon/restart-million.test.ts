// A restart with 1,000,000 active bans in the database (dry-run backend): every one is restored into the engine
// and re-applied to the backend (a spread of an unbounded array, `adds.push(...entries)`, used to overflow the stack).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { startDaemon } from '../../enforcer/daemon/daemon.js';
import { openStore } from '../../enforcer/adapters/store/warden-store.js';
import { frozenClock } from '../../enforcer/adapters/clock.js';
import { freePort } from '../harness/nginx.js';
import { tempDir, testConfig } from '../e2e/helpers.js';

const N = 1_000_000;

/** Fills the database with `n` active manual bans of 11.0.0.0 + i, ending an hour after `now` (one SQL statement). */
function seedActiveBans(dbPath: string, n: number, now: number): void {
  openStore(dbPath).close(); // creates and migrates the schema
  const db = new Database(dbPath);
  try {
    db.prepare(`
      WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < @n - 1)
      INSERT INTO bans (ip, ip_key, started_at, planned_end, step, rule, source, reason)
      SELECT '11.' || ((i >> 16) & 255) || '.' || ((i >> 8) & 255) || '.' || (i & 255),
             '00000000000000000000ffff' || printf('%08x', 184549376 + i), @now - 60, @now + 3600, 1, 'manual', 'manual', 'seed'
      FROM seq`).run({ n, now });
  } finally {
    db.close();
  }
}

test('a restart with 1,000,000 active bans restores and re-applies every one', async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.remove());
  const config = testConfig(tmp.dir, { nginx: { url: `http://127.0.0.1:${await freePort()}`, poll_interval: 60 },
    enforcement: { backends: ['dry-run'] } });
  const clock = frozenClock(Date.UTC(2026, 0, 1, 12, 0, 0));
  const now = Math.floor(clock.nowMs() / 1000);
  seedActiveBans(config.storage.database, N, now);

  const t0 = Date.now();
  const d = await startDaemon(config, { clock, serveHttp: false, onGeneratedPassword: () => {}, hostAddresses: [] });
  t.after(() => d.stop());
  const startMs = Date.now() - t0;
  assert.equal(d.engine.isBanned('11.0.0.0'), true);
  assert.equal(d.engine.isBanned('11.15.66.63'), true);
  assert.equal(d.engine.isBanned('11.15.66.64'), false, 'exactly N bans');
  assert.equal(d.service.metrics().bansActive, N);
  console.log(`# restart with ${N} active bans: ${startMs} ms`);
});
