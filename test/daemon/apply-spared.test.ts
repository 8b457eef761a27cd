// A spared network (a /64 holding an allow-listed address) through applyDecisions into a real audit log file, a real
// SQLite store and the dry-run backend: one SPARED line, a warning, and nothing banned, stored or enforced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyDecisions } from '../../enforcer/daemon/apply-decisions.js';
import { openAuditLog } from '../../enforcer/adapters/audit-log.js';
import { frozenClock } from '../../enforcer/adapters/clock.js';
import { createLogger } from '../../enforcer/adapters/logger.js';
import { openStore } from '../../enforcer/adapters/store/warden-store.js';
import { createDryRunBackend } from '../../enforcer/adapters/firewall/dry-run.js';
import { makeEngine, run } from '../core/helpers.js';

test('a /64 holding the admin\'s address is spared: audited as SPARED, never banned, stored or enforced', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-spared-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const T = Date.UTC(2026, 0, 1, 12) / 1000;
  const lines: string[] = [];
  const log = createLogger('info', (l) => lines.push(l));
  const audit = openAuditLog(join(dir, 'audit.log'), { clock: frozenClock(T * 1000), log });
  const store = openStore(join(dir, 'warden.db'));
  t.after(() => store.close());
  const firewall = createDryRunBackend({ log });
  const notified: string[] = [];
  // The engine decides as the daemon's would: the admin's /64 floods, and so does a stranger's.
  const engine = makeEngine({ allowlist: ['2001:db8:ad:1::5'] });
  const decisions = run(engine, T, T + 10, () => ({ ips: { '2001:db8:ad:1::/64': 100, '2001:db8:bad::/64': 100 } }));
  await applyDecisions(decisions, { firewall, store, audit, notify: (d) => notified.push(`${d.kind} ${'ip' in d ? d.ip : ''}`), log, dryRun: false });

  const text = readFileSync(join(dir, 'audit.log'), 'utf8');
  assert.match(text, /^\[2026-01-01T12:00:00Z\] SPARED 2001:db8:ad:1::\/64 \| \w+ \| rate=\d+\.\d\d \| reason=allow-listed address inside$/m);
  assert.equal(text.split('SPARED').length - 1, 1, 'once per window');
  assert.match(text, /BAN 2001:db8:bad::\/64 \|/);
  assert.doesNotMatch(text, /BAN 2001:db8:ad/);
  assert.deepEqual(store.activeBans().map((b) => b.ip), ['2001:db8:bad::/64']);
  assert.deepEqual((await firewall.list()).map((e) => e.ip), ['2001:db8:bad::/64']);
  assert.deepEqual(notified, ['ban 2001:db8:bad::/64']);
  assert.ok(lines.some((l) => /not banning 2001:db8:ad:1::\/64 .*it holds an allow-listed address/.test(l)), lines.join('\n'));
  audit.close();
});
