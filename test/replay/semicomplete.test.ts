// Real traffic: the semicomplete.com log (10,000 requests over 4 days) replayed with the defaults bans nobody; with
// an injected flood it bans exactly the flooder. Also: what the Python original's rules would do, and replay speed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../enforcer/config/load.js';
import { runReplay, type ReplayOptions } from '../../enforcer/replay/run-replay.js';

const root = process.env.WARDEN_ROOT ?? process.cwd();
const file = join(root, 'test/fixtures/semicomplete-2015-access.log');
const config = parseConfig({}, {});
/** 24 log seconds per simulated second: the 83 hours last about 3.5 simulated hours. */
const SPEED = 24;

async function replay(extra: Partial<ReplayOptions> = {}) {
  const lines: string[] = [];
  const summary = await runReplay({ file, config, speed: SPEED, hostAddresses: [], json: true, out: (l) => lines.push(l), ...extra });
  const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => !('summary' in r));
  return { summary, records };
}

test('semicomplete log, defaults, speed 24: zero bans', async (t) => {
  const { summary, records } = await replay();
  t.diagnostic(`requests ${summary.requests}, ${summary.ips} addresses, simulated ${summary.simulatedSeconds}s, ${summary.globalAlerts} global alert(s), ${summary.elapsedMs} ms`);
  assert.equal(summary.requests, 10000);
  assert.equal(summary.skipped, 0);
  assert.deepEqual(summary.bannedIps, [], JSON.stringify(records.filter((r) => r.action === 'ban')));
});

test('semicomplete log, defaults: zero bans at other speeds too (1, 6, 96)', async (t) => {
  for (const speed of [1, 6, 96]) {
    const { summary } = await replay({ speed });
    t.diagnostic(`speed ${speed}: ${summary.bans} bans, ${summary.globalAlerts} global alerts, ${summary.elapsedMs} ms`);
    assert.deepEqual(summary.bannedIps, [], `speed ${speed}`);
  }
});

test('semicomplete log under the Python original\'s rules (idle seconds skipped, no stddev floor): for comparison', async (t) => {
  const at24 = await replay({ variant: 'original' });
  const at1 = await replay({ variant: 'original', speed: 1 });
  t.diagnostic(`original rules: speed ${SPEED}: ${at24.summary.bans} ban(s) of ${at24.summary.bannedIps.length} address(es), ${at24.summary.globalAlerts} global alert(s)`);
  t.diagnostic(`original rules: speed 1: ${at1.summary.bans} ban(s) of ${at1.summary.bannedIps.length} address(es) (${at1.summary.bannedIps.join(', ')}), ${at1.summary.globalAlerts} global alert(s)`);
  // In real time most busy seconds hold exactly one request: stddev 0, so any IP over the mean is infinitely far.
  assert.ok(at1.summary.bannedIps.length > 0);
  assert.ok(at1.records.some((r) => r.action === 'ban' && r.z === null)); // z = Infinity
});

test('semicomplete log with an injected flood: the flooder is banned within seconds, nobody else', async (t) => {
  const at = Date.UTC(2015, 4, 18, 12, 0, 0) / 1000;
  const { summary, records } = await replay({ inject: { ip: '203.0.113.66', at, durationSec: 30, rate: 50 } });
  assert.equal(summary.injected, 1500);
  assert.deepEqual(summary.bannedIps, ['203.0.113.66']);
  const ban = records.find((r) => r.action === 'ban')!;
  const t0 = Date.parse(summary.firstTime!) / 1000;
  const simStart = t0 + Math.ceil((at - t0) / SPEED); // the flood's first simulated second
  const latency = (ban.sim_time as number) - simStart;
  t.diagnostic(`flood of 50 req/s banned ${latency} simulated s after it started (rule ${ban.rule}, rate ${ban.rate}, baseline ${ban.baseline} +/- ${ban.baseline_stddev})`);
  assert.ok(latency <= 10, `latency ${latency}`);
  const original = await replay({ variant: 'original', inject: { ip: '203.0.113.66', at, durationSec: 30, rate: 50 } });
  t.diagnostic(`the original's rules ban: [${original.summary.bannedIps.join(', ')}] (its skipped idle seconds inflate the mean)`);
});

test('a multi-day log of 120k lines replays in seconds', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-replay-'));
  try {
    // The 4-day log 12 times over, each copy shifted by 4 days: 48 days, 120,000 lines.
    const text = readFileSync(file, 'utf8');
    const big = join(dir, 'big.log');
    const parts: string[] = [];
    for (let k = 0; k < 12; k++) {
      const day = (d: string) => String(Number(d) + 4 * k);
      parts.push(k === 0 ? text : text.replace(/\[(\d\d)\/May\/2015/g, (_m, d: string) => {
        const n = Number(day(d));
        const date = new Date(Date.UTC(2015, 4, n));
        const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][date.getUTCMonth()];
        return `[${String(date.getUTCDate()).padStart(2, '0')}/${mon}/${date.getUTCFullYear()}`;
      }));
    }
    writeFileSync(big, parts.join(''));
    const started = performance.now();
    const summary = await runReplay({ file: big, config, hostAddresses: [], out: () => {} });
    const ms = performance.now() - started;
    t.diagnostic(`120k lines over ${(summary.logSeconds / 86400).toFixed(1)} days at speed 1: ${ms.toFixed(0)} ms, ${summary.bans} bans`);
    assert.equal(summary.requests, 120000);
    assert.ok(summary.logSeconds > 47 * 86400);
    assert.ok(ms < 15000, `${ms} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
