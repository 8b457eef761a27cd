// runReplay end to end on small temp logs: text and JSON output, speed, injected floods, the summary, the allow-list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../enforcer/config/load.js';
import { runReplay } from '../../enforcer/replay/run-replay.js';
import { floodEvents } from '../../enforcer/replay/inject-flood.js';

const START = Date.UTC(2026, 0, 1, 12, 0, 0) / 1000;
const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
function line(ip: string, t: number, status = 200): string {
  const d = new Date(t * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${ip} - - [${p(d.getUTCDate())}/${MON[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000] "GET / HTTP/1.1" ${status} 1 "-" "-"`;
}

function withLog(lines: string[], fn: (file: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-replay-'));
  const file = join(dir, 'access.log');
  writeFileSync(file, lines.join('\n') + '\n');
  return fn(file).finally(() => rmSync(dir, { recursive: true, force: true }));
}

/** 10 minutes of one request every 5 s from 192.0.2.1, and a 200-request burst from 203.0.113.9 at +300 s (out of order). */
function sample(): string[] {
  const out: string[] = [];
  for (let t = START; t < START + 600; t += 5) out.push(line('192.0.2.1', t));
  for (let k = 0; k < 200; k++) out.push(line('203.0.113.9', START + 300 + (k % 2), 404));
  return out.reverse();
}

test('text output: one line per decision, audit-log style, then the summary', async () => {
  await withLog(sample(), async (file) => {
    const out: string[] = [];
    // The original rules alone (no burst or probing rule, no learning period): the tightened z-score line.
    const original = parseConfig({ detection: { learning_period: 0, rules: { burst: { mode: 'off' }, probing: { mode: 'off' } } } }, {});
    const s = await runReplay({ file, config: original, hostAddresses: [], out: (l) => out.push(l) });
    assert.match(out[0], /^\[2026-01-01T12:05:02Z\] BAN 203\.0\.113\.9 \| zscore=\d+\.\d\d>1\.5 \(tightened: errors \d+\.\d\d\/s\) \| rate=3\.33 \| baseline=1\.00 \| duration=10m \| step=1$/);
    assert.ok(out.some((l) => /^summary: 320 requests \(0 injected\) from 2 addresses, 320 lines, 0 skipped$/.test(l)), out.join('\n'));
    assert.ok(out.some((l) => l.startsWith('summary: 1 ban(s) of 1 address(es): 203.0.113.9;')), out.join('\n'));
    assert.equal(s.bans, 1);
    assert.equal(s.activeBansAtEnd, 1); // the log ends before the 10 min ban runs out
    assert.equal(s.logSeconds, 596);
    // With the defaults the probing rule bans it first: its 404s on a page path are probes, 100 in the first second.
    const def: string[] = [];
    await runReplay({ file, config: parseConfig({}, {}), hostAddresses: [], out: (l) => def.push(l) });
    assert.equal(def[0], '[2026-01-01T12:05:01Z] BAN 203.0.113.9 | probing=100.00 probes>16.0 | rate=1.67 | baseline=1.00 | duration=10m | step=1');
  });
});

test('JSON output and speed: time is log time, durations in simulated seconds', async () => {
  await withLog(sample(), async (file) => {
    const out: string[] = [];
    const s = await runReplay({ file, config: parseConfig({}, {}), hostAddresses: [], json: true, speed: 2, out: (l) => out.push(l) });
    const recs = out.map((l) => JSON.parse(l));
    const ban = recs.find((r) => r.action === 'ban');
    assert.equal(ban.ip, '203.0.113.9');
    assert.equal(ban.duration, 600);
    assert.equal(ban.time, '2026-01-01T12:05:02Z');
    assert.equal(ban.sim_time, START + 151);
    assert.equal(s.simulatedSeconds, 298);
    assert.deepEqual(Object.keys(recs.at(-1)), ['summary']);
  });
});

test('allow-list from config and the host addresses; unbans when a ban runs out inside the log', async () => {
  const lines = sample();
  for (let t = START + 600; t < START + 1300; t += 5) lines.push(line('192.0.2.1', t));
  await withLog(lines, async (file) => {
    const out: string[] = [];
    const s = await runReplay({ file, config: parseConfig({}, {}), hostAddresses: [], json: true, out: (l) => out.push(l) });
    assert.deepEqual(out.map((l) => JSON.parse(l)).filter((r) => r.action).map((r) => [r.action, r.time]), [
      ['ban', '2026-01-01T12:05:01Z'], ['unban', '2026-01-01T12:15:01Z'],
    ]);
    assert.equal(s.activeBansAtEnd, 0);
    const allowed = await runReplay({ file, config: parseConfig({ allowlist: ['203.0.113.0/24'] }, {}), hostAddresses: [], out: () => {} });
    assert.equal(allowed.bans, 0);
    const self = await runReplay({ file, config: parseConfig({}, {}), hostAddresses: ['203.0.113.9'], out: () => {} });
    assert.equal(self.bans, 0);
  });
});

test('injected flood, and floodEvents compresses into `rate` per simulated second', async () => {
  const ev = floodEvents({ ip: '::ffff:198.51.100.1', at: START + 7, durationSec: 3, rate: 4 }, 10, START, START + 100);
  assert.equal(ev.length, 12);
  assert.deepEqual([...new Set(ev.map((e) => e.t))], [START + 10, START + 20, START + 30]);
  assert.equal(ev[0].ip, '198.51.100.1');
  assert.throws(() => floodEvents({ ip: 'nope' }, 1, 0, 1), /not an IP address/);
  const lines: string[] = [];
  for (let t = START; t < START + 600; t += 5) lines.push(line('192.0.2.1', t));
  await withLog(lines, async (file) => {
    const s = await runReplay({ file, config: parseConfig({}, {}), hostAddresses: [], inject: { ip: '203.0.113.50', rate: 100, durationSec: 5 }, out: () => {} });
    assert.equal(s.injected, 500);
    assert.deepEqual(s.bannedIps, ['203.0.113.50']);
  });
});

test('an empty log and a bad speed', async () => {
  await withLog(['# nothing here', ''], async (file) => {
    const s = await runReplay({ file, config: parseConfig({}, {}), hostAddresses: [], out: () => {} });
    assert.equal(s.requests, 0);
    assert.equal(s.firstTime, null);
    await assert.rejects(runReplay({ file, config: parseConfig({}, {}), speed: 0, out: () => {} }), /speed must be a number > 0/);
  });
  await assert.rejects(runReplay({ file: '/nonexistent/access.log', config: parseConfig({}, {}), hostAddresses: [], out: () => {} }), /cannot read access log/);
});
