// bench/compare's pure parts (no netns needed): the traffic plan built from the real log, the cut-off time of an
// address, an attack's outcome; and the fail2ban filters it writes, checked by the real `fail2ban-regex` on the real log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePlan, maxInWindow, replayAddress } from '../../bench/compare/schedule.js';
import { attackOutcome, finalFailures } from '../../bench/compare/outcome.js';
import { fail2banFiles, fail2banMissing } from '../../bench/compare/fail2ban.js';
import { needCommands } from '../harness/tools.js';

const root = process.env.WARDEN_ROOT ?? process.cwd();
const logFile = join(root, 'test/fixtures/semicomplete-2015-access.log');
const logText = readFileSync(logFile, 'utf8');

test('the plan replays every request of the real log, one test address per log address, deterministically', () => {
  const plan = makePlan(logText, { speed: 1000 });
  assert.equal(plan.replay.length, 10_000);
  assert.equal(plan.logAddresses.length, 1753);
  assert.equal(new Set(plan.replayAddresses).size, 1753);
  // 298,859 s of log at 1000x: the last request at 298.9 s; times never go back.
  assert.equal(plan.replay[plan.replay.length - 1].atMs, 298_859);
  assert.ok(plan.replay.every((q, i) => i === 0 || q.atMs >= plan.replay[i - 1].atMs));
  // The per-IP baseline and the busiest address that the attacks and the fail2ban jail are derived from.
  assert.equal(plan.stats.busiest60s.count, 308);
  assert.equal(plan.stats.busiest60s.ip, '130.237.218.86');
  assert.ok(Math.abs(plan.stats.perIpBaselineRate - 0.0802) < 0.001, String(plan.stats.perIpBaselineRate));
  // The same input gives the same plan.
  assert.deepEqual(makePlan(logText, { speed: 1000 }), plan);
  // 404s and the user agent survive; the one line with a cut-off last quote is kept.
  assert.equal(plan.replay.filter((q) => q.status === 404).length, 213);
  assert.ok(plan.replay.some((q) => q.ua.startsWith('Mozilla/5.0 (compatible; Googlebot/2.1')));
});

test('attacks: after the warm-up, at the stated rates, from addresses no real client has', () => {
  const plan = makePlan(logText, { speed: 1000, warmupSec: 130 });
  const [flood, scraper, stuffing, burst] = plan.attacks;
  assert.deepEqual(plan.attacks.map((a) => a.name), ['flood', 'scraper', 'credential stuffing', 'burst']);
  assert.equal(flood.startMs, 130_000);
  assert.equal(flood.ratePerAddress, 0);
  assert.ok(Math.abs(scraper.ratePerAddress - 10 * plan.stats.perIpBaselineRate) < 1e-9);
  assert.equal(stuffing.method, 'POST');
  assert.equal(stuffing.path, '/login');
  assert.equal(burst.addresses.length, 200);
  assert.ok(Math.abs(burst.ratePerAddress - (2 * 308) / 60) < 1e-9);
  const real = new Set(plan.replayAddresses);
  const attackers = plan.attacks.flatMap((a) => a.addresses);
  assert.equal(new Set(attackers).size, 203);
  assert.ok(attackers.every((a) => !real.has(a) && !a.startsWith('198.18.0.')));
  assert.equal(plan.endMs, 298_859); // the replay outlasts the last attack (215 s + 45 s)
});

test('replayAddress and maxInWindow', () => {
  assert.equal(replayAddress(0), '198.19.0.1');
  assert.equal(replayAddress(250), '198.19.1.1');
  assert.throws(() => replayAddress(-1));
  assert.equal(maxInWindow([0, 1, 2, 59.9, 60, 61], 60), 4); // [0, 59.9] and [1, 60] both hold 4
  assert.equal(maxInWindow([], 60), 0);
});

test('finalFailures: the final run of failures in send order, whatever order the answers came in', () => {
  assert.deepEqual(finalFailures([1, 2, -3, 4, -5, -6]), { cutAtMs: 5, tailFailures: 2 });
  assert.deepEqual(finalFailures([-6, 1, -5, 2]), { cutAtMs: 5, tailFailures: 2 }); // completion order differs
  assert.deepEqual(finalFailures([1, 2]), { cutAtMs: null, tailFailures: 0 });
  assert.deepEqual(finalFailures([-1, -2]), { cutAtMs: 1, tailFailures: 2 });
});

test('attackOutcome: latency from the first request to the first dropped one of a banned attacker', () => {
  const plan = makePlan(logText, { speed: 1000 });
  const burst = plan.attacks[3];
  const [a, b, c] = burst.addresses;
  const r = {
    [a]: { sent: 10, ok: 7, failed: 3, firstSentMs: 1000, cutAtMs: 4000, tailFailures: 3 },
    [b]: { sent: 10, ok: 9, failed: 1, firstSentMs: 1100, cutAtMs: 2000, tailFailures: 1 }, // a timeout, not banned
    [c]: { sent: 10, ok: 5, failed: 5, firstSentMs: 1200, cutAtMs: 3500, tailFailures: 5 },
  };
  const o = attackOutcome(burst, r, new Set([a, c]));
  assert.deepEqual(o, { name: 'burst', addresses: 200, caught: 2, startMs: 1000, firstDropMs: 2500, sent: 30, answered: 21 });
  assert.equal(attackOutcome(burst, r, new Set()).firstDropMs, null);
});

test('the fail2ban filters: every line of the real log matches the rate filter, none the 401 filter (real fail2ban-regex)',
  { skip: needCommands('fail2ban-regex', 'fail2ban-server', 'fail2ban-client') || (fail2banMissing() ?? false) }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-f2b-regex-'));
    try {
      const files = fail2banFiles({ port: 80, accessLog: logFile, rateMaxretry: 385, rateFindtime: 60, backend: 'polling' });
      const matched = (filter: string, log: string) => {
        const f = join(dir, `${filter}.conf`);
        writeFileSync(f, files[`filter.d/${filter}.conf`]);
        const r = spawnSync('fail2ban-regex', [log, f], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        return Number(/Lines: \d+ lines, \d+ ignored, (\d+) matched/.exec(r.stdout)?.[1]);
      };
      assert.equal(matched('bench-nginx-rate', logFile), 10_000);
      assert.equal(matched('bench-nginx-401', logFile), 0);
      const lines = join(dir, 'login.log');
      writeFileSync(lines, [
        '198.18.100.3 - - [30/Nov/2026:20:00:00 +0000] "POST /login HTTP/1.1" 401 7 "-" "bench-compare-credential-stuffing"',
        '198.18.100.3 - - [30/Nov/2026:20:00:01 +0000] "POST /login HTTP/1.1" 200 7 "-" "x"',
        '',
      ].join('\n'));
      assert.equal(matched('bench-nginx-401', lines), 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
