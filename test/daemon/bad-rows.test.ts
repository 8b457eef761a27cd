// Rows read back from the database are validated: an active ban whose `ip` is not an address (a tampered or corrupt
// database, e.g. `1.2.3.4; rm -rf /`) never reaches the engine or a backend; it is logged and the rest is restored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { startDaemon } from '../../enforcer/daemon/daemon.js';
import { openStore } from '../../enforcer/adapters/store/warden-store.js';
import { frozenClock } from '../../enforcer/adapters/clock.js';
import { createLogger } from '../../enforcer/adapters/logger.js';
import { freePort } from '../harness/nginx.js';
import { tempDir, testConfig } from '../e2e/helpers.js';

test('an active ban row with a shell-like ip is skipped with a warning; the good ones are restored', async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.remove());
  const config = testConfig(tmp.dir, { nginx: { url: `http://127.0.0.1:${await freePort()}`, poll_interval: 60 },
    enforcement: { backends: ['dry-run'] } });
  const clock = frozenClock(Date.UTC(2026, 0, 1, 12, 0, 0));
  const now = Math.floor(clock.nowMs() / 1000);
  openStore(config.storage.database).close();
  const db = new Database(config.storage.database);
  const ins = db.prepare(`INSERT INTO bans (ip, ip_key, started_at, planned_end, step, rule, source, reason)
    VALUES (?, ?, ?, ?, 1, 'manual', 'manual', 'x')`);
  ins.run('198.51.100.20', '00000000000000000000ffffc6336414', now - 10, now + 3600);
  ins.run('1.2.3.4; rm -rf /', '00000000000000000000ffff01020304', now - 10, now + 3600);
  ins.run('$(reboot)', '00000000000000000000ffff01020305', now - 10, null);
  db.close();

  const lines: string[] = [];
  const d = await startDaemon(config, { clock, serveHttp: false, onGeneratedPassword: () => {}, hostAddresses: [],
    log: createLogger('info', (l) => lines.push(l)) });
  t.after(() => d.stop());
  assert.deepEqual(d.service.status().activeBans.map((b) => b.ip), ['198.51.100.20']);
  assert.ok(lines.some((l) => /ignoring 2 active ban row\(s\) whose ip is not an address/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /restored 1 active ban/.test(l)), lines.join('\n'));
});
