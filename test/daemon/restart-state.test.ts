// What survives a daemon restart (in-process, real SQLite file, dry-run backend): active bans, offence counts
// (the ladder climbs across restarts), the learned hour-of-day slots; a ban that ran out while stopped is ended.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startDaemon } from '../../enforcer/daemon/daemon.js';
import { frozenClock } from '../../enforcer/adapters/clock.js';
import { freePort } from '../harness/nginx.js';
import { tempDir, testConfig } from '../e2e/helpers.js';

test('a restart keeps active bans, offence counts and hourly slots, and ends bans that ran out meanwhile', async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.remove());
  const config = testConfig(tmp.dir, { nginx: { url: `http://127.0.0.1:${await freePort()}`, poll_interval: 3600 },
    enforcement: { backends: ['dry-run'] } });
  const clock = frozenClock(Date.UTC(2026, 0, 1, 12, 0, 0));
  const opts = { clock, serveHttp: false, onGeneratedPassword: () => {}, hostAddresses: [] };

  const d1 = await startDaemon(config, opts);
  assert.equal((await d1.service.ban('192.0.2.10', 600, 'short', { addr: '', via: 'cli' })).ok, true);
  assert.equal((await d1.service.ban('192.0.2.11', null, 'forever', { addr: '', via: 'cli' })).ok, true);
  const slots = Array.from({ length: 24 }, (_, hour) => ({ hour, mean: 10 + hour, stddev: 2, samples: 700, errorMean: 0.5 }));
  d1.engine.restoreHourlySlots(slots);
  await d1.stop();

  clock.advance(3600 * 1000); // an hour later: the 10-minute ban ran out while the daemon was stopped
  const d2 = await startDaemon(config, opts);
  t.after(() => d2.stop());
  assert.equal(d2.engine.isBanned('192.0.2.10'), false);
  assert.equal(d2.engine.isBanned('192.0.2.11'), true);
  assert.deepEqual(d2.service.status().activeBans.map((b) => b.ip), ['192.0.2.11']);
  const ended = d2.store.history({ ip: '192.0.2.10' }).rows[0];
  assert.equal(ended.unban_reason, 'expired');
  assert.deepEqual(d2.engine.hourlySlots().map((s) => [s.hour, s.mean, s.samples]), slots.map((s) => [s.hour, s.mean, s.samples]));

  // The ladder climbs across restarts: 192.0.2.10 has one offence, so its next ban is step 2.
  const again = await d2.service.ban('192.0.2.10', 600, 'again', { addr: '', via: 'cli' });
  assert.equal(again.ok, true);
  assert.equal(again.ok && again.ban.step, 2);
  assert.match(readFileSync(config.storage.audit_log, 'utf8'), /UNBAN 192\.0\.2\.10 \| reason=expired/);
});
