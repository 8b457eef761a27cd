import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, renameSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAuditLog } from '../../enforcer/adapters/audit-log.js';
import { frozenClock } from '../../enforcer/adapters/clock.js';
import { createLogger } from '../../enforcer/adapters/logger.js';
import { NOON, autoBan, manualBan, unban, globalAlert, baselineDecision } from './fixtures.js';

function setup(t: { after(fn: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'warden-audit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const logged: string[] = [];
  const log = createLogger('debug', (l) => logged.push(l));
  return { dir, logged, log, clock: frozenClock(NOON * 1000 + 456) };
}

test('writes every event in the documented form, creating the parent directory', (t) => {
  const { dir, log, clock } = setup(t);
  const path = join(dir, 'nested/deeper/audit.log');
  const audit = openAuditLog(path, { clock, log });
  assert.ok(existsSync(path), 'file created at open');
  audit.ban(autoBan());
  audit.ban(autoBan({ z: 7.21, tightened: true, threshold: 1.5 }));
  audit.ban(autoBan({ rule: 'multiplier', rate: 42, z: 2.5, threshold: 10, durationSec: null, until: null, step: 4 }));
  audit.ban(autoBan({ threshold: undefined }), 2.25);
  audit.ban(manualBan('scraping | again\nand <again>'));
  audit.unban(unban);
  audit.globalAlert(globalAlert);
  audit.baseline(baselineDecision);
  audit.baseline({ ...baselineDecision, baseline: { ...baselineDecision.baseline, source: 'rolling', hour: undefined } });
  audit.failure('nginx poll', 'connect ECONNREFUSED 127.0.0.1:8081\nsecond line');
  audit.close();
  assert.equal(readFileSync(path, 'utf8'), [
    '[2026-01-01T12:00:00Z] BAN 203.0.113.9 | zscore=7.21>3.0 | rate=41.20 | baseline=2.10 | duration=10m',
    '[2026-01-01T12:00:00Z] BAN 203.0.113.9 | zscore=7.21>1.5 (error surge) | rate=41.20 | baseline=2.10 | duration=10m',
    '[2026-01-01T12:00:00Z] BAN 203.0.113.9 | multiplier=20.00>10.0 | rate=42.00 | baseline=2.10 | duration=permanent',
    '[2026-01-01T12:00:00Z] BAN 203.0.113.9 | zscore=7.21>2.25 | rate=41.20 | baseline=2.10 | duration=10m',
    '[2026-01-01T12:00:00Z] BAN 1.2.3.4 | manual | reason=scraping again and <again> | duration=2h',
    '[2026-01-01T12:00:00Z] UNBAN 203.0.113.9 | reason=expired',
    '[2026-01-01T12:00:00Z] GLOBAL_ALERT | zscore=14.46>3.0 | rate=80.50 | baseline=2.10',
    '[2026-01-01T12:00:00Z] BASELINE | mean=2.10 | stddev=5.42 | source=hour_slot(14) | samples=3600',
    '[2026-01-01T12:00:00Z] BASELINE | mean=2.10 | stddev=5.42 | source=rolling | samples=3600',
    '[2026-01-01T12:00:00Z] FAILURE | nginx poll | connect ECONNREFUSED 127.0.0.1:8081 second line',
    '',
  ].join('\n'));
});

test('appends across opens and reopen() follows logrotate', (t) => {
  const { dir, log, clock } = setup(t);
  const path = join(dir, 'audit.log');
  writeFileSync(path, 'old line\n');
  const audit = openAuditLog(path, { clock, log });
  audit.unban(unban);
  renameSync(path, `${path}.1`);
  audit.unban(unban); // still goes to the moved file until reopened
  audit.reopen();
  clock.advance(61_000);
  audit.failure('x', 'y');
  audit.close();
  assert.equal(readFileSync(`${path}.1`, 'utf8').split('\n').length, 4);
  assert.equal(readFileSync(path, 'utf8'), '[2026-01-01T12:01:01Z] FAILURE | x | y\n');
});

test('an unopenable path is logged, never thrown', (t) => {
  const { dir, logged, log, clock } = setup(t);
  writeFileSync(join(dir, 'a-file'), '');
  const path = join(dir, 'a-file/audit.log'); // parent is a file: even root cannot create it
  const audit = openAuditLog(path, { clock, log });
  assert.doesNotThrow(() => {
    audit.ban(autoBan());
    audit.unban(unban);
    audit.reopen();
    audit.close();
  });
  assert.equal(logged.length, 1, 'rate-limited to one line');
  assert.match(logged[0], /ERROR cannot open audit log .*a-file\/audit\.log: (ENOTDIR|EEXIST)/);
});

test('a failing write (full disk) is logged, never thrown', { skip: existsSync('/dev/full') ? false : 'no /dev/full' }, (t) => {
  const { logged, log, clock } = setup(t);
  const audit = openAuditLog('/dev/full', { clock, log });
  assert.doesNotThrow(() => {
    for (let i = 0; i < 5; i++) audit.ban(autoBan());
  });
  audit.close();
  assert.equal(logged.length, 1);
  assert.match(logged[0], /ERROR cannot write audit log \/dev\/full: ENOSPC/);
});

test('control characters in a reason (NUL, ESC, DEL, C1) never reach the audit log raw', (t) => {
  const { dir, log, clock } = setup(t);
  const path = join(dir, 'audit.log');
  const audit = openAuditLog(path, { clock, log });
  audit.ban(manualBan('a\u0000b\u001b[31mred\u001b[0m\u007f\u009b2J\u2028end'));
  audit.failure('what\u0000', 'detail\u0007');
  audit.close();
  const text = readFileSync(path, 'utf8');
  // eslint-disable-next-line no-control-regex
  assert.doesNotMatch(text.replace(/\n/g, ''), /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
  assert.match(text, /reason=a\\x00b\\x1b\[31mred\\x1b\[0m\\x7f\\x9b2J end/);
  assert.match(text, /FAILURE \| what\\x00 \| detail\\x07/);
});
