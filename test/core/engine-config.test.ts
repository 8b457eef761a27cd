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
  assert.deepEqual(cfg, {
    window: 90, baselineWindow: 3600, recomputeInterval: 30, hourlySlots: false, hourSlotMinSamples: 600,
    hourSlotMaxSamples: 7 * 3600, meanFloor: 1, stddevFloor: 0.5, errorMeanFloor: 0.1, zscore: 2.5, multiplier: 5, maxIpRate: 30,
    errorSurge: 3, tightenFactor: 0.25, minRequests: 10, globalCooldown: 120, ladder: [60, null], offenceMemory: 7 * 86400,
    skipIdle: false, learnCapSigmas: 10, learnCapFloor: 50, learningPeriod: 600,
  });
});

test('windows are whole seconds and the baseline window is at least the window', () => {
  const cfg = engineConfigFrom(parseConfig({ detection: { window: 0.4, baseline_window: 30, recompute_interval: 0.2 } }, {}));
  assert.equal(cfg.window, 1);
  assert.equal(cfg.baselineWindow, 30);
  assert.equal(cfg.recomputeInterval, 1);
  assert.equal(engineConfigFrom(parseConfig({ detection: { window: 120, baseline_window: 60 } }, {})).baselineWindow, 120);
});

test('originalVariant skips idle seconds and drops the stddev floor, the ceiling and the learning guards', () => {
  const base = engineConfigFrom(parseConfig({}, {}));
  assert.deepEqual(originalVariant(base), { ...base, skipIdle: true, stddevFloor: 0, maxIpRate: 0, learnCapSigmas: 0, learningPeriod: 0 });
});
