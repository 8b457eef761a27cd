// Golden traffic cases: each test/fixtures/golden/*.log carries its expected outcome in `# expectJSON:` (fail2ban
// `# failJSON:` style) and is replayed through the real engine with the default config plus the case's `configJSON`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../enforcer/config/load.js';
import { runReplay } from '../../enforcer/replay/run-replay.js';
import { parseLine } from '../../enforcer/replay/parse-line.js';
import { minOf } from '../../enforcer/core/arrays.js';

const root = process.env.WARDEN_ROOT ?? process.cwd();
const dir = join(root, 'test/fixtures/golden');

interface Expect {
  banned: string[];
  rules?: Record<string, string>;
  tightened?: Record<string, boolean>;
  durations?: Record<string, Array<number | null>>;
  withinSec?: Record<string, number>;
  globalAlerts?: { min?: number; max?: number };
  skipped?: number;
}

/** The `# key: {json}` header values of a case file. */
function header(text: string, key: string): unknown {
  const m = new RegExp(`^# ${key}: (.*)$`, 'm').exec(text);
  return m ? JSON.parse(m[1]) : undefined;
}

const cases = readdirSync(dir).filter((f) => f.endsWith('.log')).sort();

test('there are golden cases', () => {
  assert.ok(cases.length >= 8, cases.join(', '));
});

for (const name of cases) {
  test(`golden: ${name}`, async () => {
    const file = join(dir, name);
    const text = readFileSync(file, 'utf8');
    const expect = header(text, 'expectJSON') as Expect;
    assert.ok(expect, `${name} has no # expectJSON: line`);
    const config = parseConfig((header(text, 'configJSON') as object | undefined) ?? {}, {});
    const replay = (header(text, 'replayJSON') as { speed?: number } | undefined) ?? {};
    const lines: string[] = [];
    const summary = await runReplay({ file, json: true, config, speed: replay.speed, hostAddresses: [], out: (l) => lines.push(l) });
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => !('summary' in r));
    const bans = records.filter((r) => r.action === 'ban');
    const why = () => lines.filter((l) => !l.includes('"summary"')).join('\n');

    assert.deepEqual(summary.bannedIps, expect.banned, why());
    for (const [ip, rule] of Object.entries(expect.rules ?? {})) assert.equal(bans.find((b) => b.ip === ip)?.rule, rule, why());
    for (const [ip, t] of Object.entries(expect.tightened ?? {})) assert.equal(bans.find((b) => b.ip === ip)?.tightened, t, why());
    for (const [ip, ds] of Object.entries(expect.durations ?? {})) assert.deepEqual(bans.filter((b) => b.ip === ip).map((b) => b.duration), ds, why());
    for (const [ip, max] of Object.entries(expect.withinSec ?? {})) {
      const first = minOf(text.split('\n').map(parseLine).filter((e) => e?.ip === ip).map((e) => e!.t));
      const at = bans.find((b) => b.ip === ip)?.sim_time as number;
      assert.ok(at - first <= max, `${ip} banned ${at - first}s after its first request (at most ${max})`);
    }
    const alerts = records.filter((r) => r.action === 'global_alert').length;
    if (expect.globalAlerts?.min !== undefined) assert.ok(alerts >= expect.globalAlerts.min, `${alerts} global alerts\n${why()}`);
    if (expect.globalAlerts?.max !== undefined) assert.ok(alerts <= expect.globalAlerts.max, `${alerts} global alerts\n${why()}`);
    if (expect.skipped !== undefined) assert.equal(summary.skipped, expect.skipped);
    // Every JSON line has the documented fields.
    for (const r of records) for (const k of ['time', 'action', 'ip', 'rule', 'rate', 'baseline', 'duration']) assert.ok(k in r, `${k} missing in ${JSON.stringify(r)}`);
  });
}
