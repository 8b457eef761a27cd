// engineConfigFrom picks the core's settings from the validated config; originalVariant is the hng-stage3 baseline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../enforcer/config/load.js';
import { engineConfigFrom, originalVariant } from '../../enforcer/core/engine-config.js';

test('engineConfigFrom maps every detection and ban setting', () => {
  const cfg = engineConfigFrom(parseConfig({
    detection: { window: '90s', baseline_window: '1h', recompute_interval: 30, zscore: 2.5, tighten_factor: 0.25, hourly_slots: false },
    bans: { ladder: ['1m', 'permanent'], offence_memory: '7d' },
  }, {}));
  const { detection, ...rest } = cfg;
  assert.deepEqual(rest, {
    window: 90, shortWindow: 5, baselineWindow: 3600, recomputeInterval: 30, hourlySlots: false, hourSlotMinSamples: 600,
    hourSlotMaxSamples: 7 * 3600, meanFloor: 1, stddevFloor: 0.5, errorMeanFloor: 0.1, minRequests: 10, alertCooldown: 600,
    ladder: [60, null], offenceMemory: 7 * 86400, skipIdle: false,
  });
  // The rules read their settings from the section itself.
  assert.equal(detection.zscore, 2.5);
  assert.equal(detection.tighten_factor, 0.25);
  assert.equal(detection.rules.ceiling.mode, 'ban');
});

test('windows are whole seconds and the baseline window is at least the window', () => {
  const cfg = engineConfigFrom(parseConfig({ detection: { window: 0.4, baseline_window: 30, recompute_interval: 0.2 } }, {}));
  assert.equal(cfg.window, 1);
  assert.equal(cfg.baselineWindow, 30);
  assert.equal(cfg.recomputeInterval, 1);
  assert.equal(engineConfigFrom(parseConfig({ detection: { window: 120, baseline_window: 60 } }, {})).baselineWindow, 120);
});

test('originalVariant skips idle seconds and drops the stddev floor and every rule the original did not have', () => {
  const base = engineConfigFrom(parseConfig({}, {}));
  const o = originalVariant(base);
  assert.deepEqual({ ...o, detection: base.detection }, { ...base, skipIdle: true, stddevFloor: 0 });
  assert.equal(o.detection.max_ip_rate, 0);
  assert.deepEqual(Object.fromEntries(Object.entries(o.detection.rules).map(([k, v]) => [k, v.mode])), {
    zscore: 'ban', multiplier: 'ban', ceiling: 'off', error_surge: 'ban', global_surge: 'alert',
  });
  assert.equal(base.detection.rules.ceiling.mode, 'ban', 'the base config is not changed');
});

test('short_window is whole seconds within 1..window', () => {
  assert.equal(engineConfigFrom(parseConfig({ detection: { short_window: 300 } }, {})).shortWindow, 60);
  assert.equal(engineConfigFrom(parseConfig({ detection: { short_window: 2.4 } }, {})).shortWindow, 2);
});
