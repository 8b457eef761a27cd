// The pure rules: z-score, multiplier, error-surge tightening, min_requests, global surge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeIp, judgeGlobal, banRate, zOf } from '../../enforcer/core/rules.js';

const t = { zscore: 3, multiplier: 5, maxIpRate: 0, errorSurge: 3, tightenFactor: 0.5, minRequests: 10 };
const floors = { mean: 1, stddev: 0.5, errorMean: 0.1 };

test('judgeIp: thresholds are strict, z-score is reported before multiplier', () => {
  assert.equal(judgeIp(150, 0, 60, floors, t).ban, false); // z = 3 exactly
  assert.deepEqual(judgeIp(151, 0, 60, floors, t).rule, 'zscore');
  assert.deepEqual(judgeIp(400, 0, 60, { mean: 1, stddev: 5, errorMean: 0.1 }, t).rule, 'multiplier');
  assert.equal(judgeIp(9, 0, 1, floors, t).ban, false); // under min_requests however fast
});

test('judgeIp: an error surge halves both thresholds', () => {
  const v = judgeIp(100, 20, 60, floors, t); // 1.67 req/s: z = 1.33; errors 0.33/s > 0.3
  assert.equal(v.tightened, true);
  assert.equal(v.ban, false);
  const w = judgeIp(100, 20, 60, { ...floors, stddev: 0.4 }, t); // z = 1.67 > 1.5
  assert.deepEqual([w.ban, w.rule, w.tightened], [true, 'zscore', true]);
});

test('zOf without spread, banRate and judgeGlobal', () => {
  assert.equal(zOf(2, { mean: 1, stddev: 0 }), Infinity);
  assert.equal(zOf(1, { mean: 1, stddev: 0 }), 0);
  assert.equal(banRate(floors, t), 2.5);
  assert.equal(banRate({ mean: 2, stddev: 10 }, t), 10);
  assert.deepEqual(judgeGlobal(10, floors, t), { surge: true, rule: 'zscore', z: 18, threshold: 3 });
  assert.deepEqual(judgeGlobal(2, floors, t), { surge: false, rule: null, z: 2 });
});

test('verdicts carry the threshold in force, tightened by an error surge, for audit lines and alerts', () => {
  const floors = { mean: 1, stddev: 0.5, errorMean: 0.1 };
  const t = { zscore: 3, multiplier: 5, maxIpRate: 0, errorSurge: 3, tightenFactor: 0.5, minRequests: 10 };
  assert.equal(judgeIp(600, 0, 60, floors, t).threshold, 3);
  assert.equal(judgeIp(120, 60, 60, floors, t).threshold, 1.5);
  assert.equal(judgeIp(400, 0, 60, { mean: 1, stddev: 5, errorMean: 0.1 }, t).threshold, 5);
  assert.equal(judgeIp(20, 0, 60, floors, t).threshold, undefined);
});

test('judgeIp: the ceiling bans a fast address whatever the baseline, halved by an error surge; 0 turns it off', () => {
  const busy = { mean: 360, stddev: 40, errorMean: 5 }; // a busy site: the relative rules ban only above 480 req/s
  const c = { ...t, maxIpRate: 30 };
  assert.equal(judgeIp(1800, 0, 60, busy, c).ban, false); // 30 req/s exactly
  assert.deepEqual(judgeIp(1801, 0, 60, busy, c), { ban: true, rule: 'ceiling', z: (1801 / 60 - 360) / 40, tightened: false, threshold: 30 });
  assert.equal(judgeIp(12000, 0, 60, busy, t).ban, false, 'off: 200 req/s passes on this site');
  const s = judgeIp(960, 960, 60, { ...busy, errorMean: 1 }, c); // 16 req/s, all errors: ceiling 15
  assert.deepEqual([s.ban, s.rule, s.tightened, s.threshold], [true, 'ceiling', true, 15]);
  // Relative rules still fire first when they are lower.
  assert.equal(judgeIp(1801, 0, 60, { mean: 1, stddev: 0.5, errorMean: 0.1 }, c).rule, 'zscore');
  assert.equal(banRate(busy, c), 30);
  assert.equal(banRate({ mean: 1, stddev: 0.5 }, c), 2.5);
});
