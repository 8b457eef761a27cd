// Rule zscore: strict threshold, min_requests, tightening factor, gate just below the threshold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import zscore from '../../../enforcer/core/rules/zscore.js';
import { baseline, contextOf, settingsOf, spread, viewOf, windowsWith } from './helpers.js';

const s = settingsOf(zscore);

test('zscore: fires strictly above the threshold (2.5 req/s is z = 3 on the floors)', () => {
  const w = windowsWith({ at: spread(150), over: spread(151) });
  const ctx = contextOf(w);
  assert.equal(zscore.scope, 'client');
  if (zscore.scope !== 'client') return;
  assert.equal(zscore.judge(viewOf(w, 'at'), ctx, s, 1), null);
  const hit = zscore.judge(viewOf(w, 'over'), ctx, s, 1);
  assert.ok(hit);
  assert.equal(hit.threshold, 3);
  assert.ok(Math.abs(hit.value - (151 / 60 - 1) / 0.5) < 1e-12);
});

test('zscore: under min_requests nothing fires however fast; the factor halves the threshold', () => {
  if (zscore.scope !== 'client') return;
  const w = windowsWith({ a: [[9, 0, 0]], b: spread(100) });
  assert.equal(zscore.judge(viewOf(w, 'a'), contextOf(w, baseline({ mean: 0.01, stddev: 0.01 })), s, 1), null);
  // 1.67 req/s: z = 1.33 < 3, but > 1.5 with stddev 0.4 ... and with the factor 0.5
  const ctx = contextOf(w, baseline({ stddev: 0.4 }));
  assert.equal(zscore.judge(viewOf(w, 'b'), ctx, s, 1), null);
  assert.deepEqual(zscore.judge(viewOf(w, 'b'), ctx, s, 0.5)?.threshold, 1.5);
});

test('zscore: its gate is the request count at its threshold (never above min_requests), lowered by the factor', () => {
  if (zscore.scope !== 'client') return;
  const ctx = contextOf(windowsWith({}));
  const [g] = zscore.gates(s, ctx, 1);
  assert.deepEqual([g.signal, g.window], ['total', 'main']);
  assert.ok(g.min <= 150 && g.min > 149.99);
  assert.ok(zscore.gates(s, ctx, 0.5)[0].min < 105 && zscore.gates(s, ctx, 0.5)[0].min > 104.99);
  assert.equal(zscore.gates(s, contextOf(windowsWith({}), baseline({ mean: 0.01, stddev: 0.01 })), 1)[0].min, 10);
});

test('zscore: with no spread (stddev 0, the original variant) any rate above the mean is infinitely far', () => {
  if (zscore.scope !== 'client') return;
  const w = windowsWith({ a: spread(120) });
  assert.equal(zscore.judge(viewOf(w, 'a'), contextOf(w, baseline({ stddev: 0 })), s, 1)?.value, Infinity);
  assert.equal(zscore.judge(viewOf(w, 'a'), contextOf(w, baseline({ stddev: 0, mean: 2 })), s, 1), null);
});
