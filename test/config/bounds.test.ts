// Every number in the config schema is bounded: values `warden check` used to accept but that broke `start`
// (a 30-day poll interval overflowing the timer, a baseline window too large to allocate, port 99999) are errors
// naming the key; `__proto__`, `constructor` and `prototype` keys are errors, never silently dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseConfig } from '../../enforcer/config/load.js';

function errorOf(raw: unknown): string {
  try {
    parseConfig(raw, {});
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message;
  }
  assert.fail(`expected a ConfigError for ${JSON.stringify(raw)}`);
}

test('out-of-range numbers are errors naming the key and the range', () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ nginx: { poll_interval: '30d' } }, /`nginx\.poll_interval`.* from 0.05s to 1h/],
    [{ nginx: { timeout_ms: 1e9 } }, /`nginx\.timeout_ms`/],
    [{ detection: { baseline_window: 1e12 } }, /`detection\.baseline_window`.* to 1w/],
    [{ detection: { window: '30d' } }, /`detection\.window`/],
    [{ detection: { recompute_interval: '400d' } }, /`detection\.recompute_interval`/],
    [{ detection: { zscore: 1e300 } }, /`detection\.zscore`/],
    [{ detection: { multiplier: Infinity } }, /`detection\.multiplier`/],
    [{ detection: { max_ip_rate: 1e12 } }, /`detection\.max_ip_rate`/],
    [{ detection: { min_requests: 1e15 } }, /`detection\.min_requests`/],
    [{ detection: { hour_slot_min_samples: 1e9 } }, /`detection\.hour_slot_min_samples`/],
    [{ detection: { mean_floor: 1e12 } }, /`detection\.mean_floor`/],
    [{ detection: { global_cooldown: '40d' } }, /`detection\.global_cooldown`/],
    [{ bans: { ladder: ['10m', '600w'] } }, /`bans\.ladder\.1`/],
    [{ bans: { offence_memory: '1000w' } }, /`bans\.offence_memory`/],
    [{ bans: { retention: '1000w' } }, /`bans\.retention`/],
    [{ enforcement: { retries: 1e6 } }, /`enforcement\.retries`/],
    [{ enforcement: { retries: 1.5 } }, /`enforcement\.retries`/],
    [{ alerts: { timeout_ms: 1e10 } }, /`alerts\.timeout_ms`/],
    [{ alerts: { retries: 1e6 } }, /`alerts\.retries`/],
    [{ api: { session_ttl: '60d' } }, /`api\.session_ttl`/],
    [{ api: { login_attempts_per_minute: 1e9 } }, /`api\.login_attempts_per_minute`/],
    [{ api: { listen: '127.0.0.1:99999' } }, /`api\.listen`.*port/],
    [{ api: { listen: '127.0.0.1:65536' } }, /`api\.listen`/],
  ];
  for (const [raw, re] of cases) assert.match(errorOf(raw), re, JSON.stringify(raw));
  // The bounds leave every sensible value alone.
  const ok = parseConfig({
    nginx: { poll_interval: 0.5, timeout_ms: 800 }, detection: { window: '10m', baseline_window: '7d' },
    bans: { ladder: ['10m', '52w', 'permanent'], retention: '260w' }, api: { listen: '[::1]:65535', session_ttl: '7d' },
  }, {});
  assert.equal(ok.detection.baseline_window, 7 * 86400);
});

test('__proto__, constructor and prototype keys are errors naming the key (YAML and JSON)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-proto-'));
  try {
    const cases: Array<[string, string, RegExp]> = [
      ['a.yaml', '__proto__: { dry_run: true }\n', /`__proto__`/],
      ['b.yaml', 'nginx:\n  constructor: 1\n', /`nginx\.constructor`/],
      ['c.yaml', 'detection: { prototype: { zscore: 1 } }\n', /`detection\.prototype`/],
      ['d.json', '{"api": {"__proto__": {"listen": "0.0.0.0:80"}}}', /`api\.__proto__`/],
    ];
    for (const [name, text, re] of cases) {
      writeFileSync(join(dir, name), text);
      let msg = '';
      try {
        loadConfig(join(dir, name), {});
      } catch (err) {
        assert.ok(err instanceof ConfigError, String(err));
        msg = err.message;
      }
      assert.match(msg, re, name);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
