// Pins replay's whole output (text and JSON, default and `--variant original`) on the golden fixtures and the real
// semicomplete log, byte for byte, as captured before the rules moved onto the registry: a refactor of the rules must not
// change one decision or one word. Regenerate only for an intended change: WARDEN_UPDATE_PINNED=1 node scripts/run-tests.mjs pinned-output
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../enforcer/config/load.js';
import { runReplay, type ReplayOptions } from '../../enforcer/replay/run-replay.js';

const root = process.env.WARDEN_ROOT ?? process.cwd();
const pinned = join(root, 'test/fixtures/replay-pinned');
const golden = join(root, 'test/fixtures/golden');
const semicomplete = join(root, 'test/fixtures/semicomplete-2015-access.log');
const update = process.env.WARDEN_UPDATE_PINNED === '1';

function header(text: string, key: string): unknown {
  const m = new RegExp(`^# ${key}: (.*)$`, 'm').exec(text);
  return m ? JSON.parse(m[1]) : undefined;
}

/** Replay output with the only varying part (elapsed time) blanked. */
async function output(opts: Omit<ReplayOptions, 'out'>): Promise<string> {
  const lines: string[] = [];
  await runReplay({ ...opts, hostAddresses: [], out: (l) => lines.push(l) });
  return lines.join('\n').replace(/took \d+ ms/g, 'took N ms').replace(/"elapsedMs":\d+/g, '"elapsedMs":0').replace(/"file":"[^"]*"/g, '"file":"F"') + '\n';
}

function check(name: string, actual: string): void {
  const file = join(pinned, name);
  if (update) {
    writeFileSync(file, actual);
    return;
  }
  assert.ok(existsSync(file), `${name} is not pinned yet (WARDEN_UPDATE_PINNED=1 to create it)`);
  const expected = readFileSync(file, 'utf8');
  if (actual === expected) return;
  const a = actual.split('\n');
  const e = expected.split('\n');
  const i = a.findIndex((l, k) => l !== e[k]);
  assert.fail(`${name}: first difference at line ${i + 1}\n  expected: ${e[i]}\n  actual:   ${a[i]}`);
}

const variants = ['default', 'original'] as const;

/**
 * The config of a pinned run: per-address IPv6 (`ipv6_prefix: 128`), as every version before prefix clients judged,
 * so that the pins keep proving that moving the rules changed nothing. Prefix clients are tested on their own
 * (test/replay/, test/core/).
 */
function pinnedConfig(raw: object | undefined) {
  const r = (raw ?? {}) as { detection?: object };
  return parseConfig({ ...r, detection: { ...(r.detection ?? {}), ipv6_prefix: 128 } }, {});
}

for (const name of readdirSync(golden).filter((f) => f.endsWith('.log')).sort()) {
  test(`pinned replay output: golden ${name}`, async () => {
    const file = join(golden, name);
    const text = readFileSync(file, 'utf8');
    const config = pinnedConfig(header(text, 'configJSON') as object | undefined);
    const speed = (header(text, 'replayJSON') as { speed?: number } | undefined)?.speed;
    for (const variant of variants) {
      for (const json of [false, true]) {
        check(`golden-${name.replace(/\.log$/, '')}-${variant}.${json ? 'jsonl' : 'txt'}`, await output({ file, config, speed, variant, json }));
      }
    }
  });
}

test('pinned replay output: the semicomplete log, default and original, speeds 1 and 24, with and without a flood', async () => {
  const config = pinnedConfig({});
  const inject = { ip: '203.0.113.66', at: Date.UTC(2015, 4, 18, 12, 0, 0) / 1000, durationSec: 30, rate: 50 };
  for (const variant of variants) {
    for (const speed of [1, 24]) {
      check(`semicomplete-${variant}-speed${speed}.txt`, await output({ file: semicomplete, config, speed, variant }));
      check(`semicomplete-${variant}-speed${speed}.jsonl`, await output({ file: semicomplete, config, speed, variant, json: true }));
    }
    check(`semicomplete-${variant}-flood.txt`, await output({ file: semicomplete, config, speed: 24, variant, inject }));
  }
  // The ceiling alone (relative rules out of reach), plain and tightened by an error surge.
  const high = pinnedConfig({ detection: { zscore: 500, multiplier: 500 } });
  check('semicomplete-ceiling.txt', await output({ file: semicomplete, config: high, speed: 24, inject: { ...inject, rate: 40, durationSec: 120 } }));
  check('semicomplete-ceiling.jsonl', await output({ file: semicomplete, config: high, speed: 24, json: true, inject: { ...inject, rate: 40, durationSec: 120 } }));
  check('semicomplete-ceiling-tightened.txt', await output({ file: semicomplete, config: high, speed: 24, inject: { ...inject, rate: 20, durationSec: 120, status: 404 } }));
});
