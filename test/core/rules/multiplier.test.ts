// Rule multiplier: rate over `multiplier` x mean, reported as a multiple; tightening; gate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import multiplier from '../../../enforcer/core/rules/multiplier.js';
import { baseline, contextOf, settingsOf, spread, viewOf, windowsWith } from './helpers.js';

const s = settingsOf(multiplier);

test('multiplier: fires strictly above multiplier x mean and reports the multiple', () => {
  if (multiplier.scope !== 'client') return assert.fail('client rule');
  const w = windowsWith({ at: spread(300), over: spread(330) });
  const ctx = contextOf(w, baseline({ stddev: 5 }));
  assert.equal(multiplier.judge(viewOf(w, 'at'), ctx, s, 1), null);
  assert.deepEqual(multiplier.judge(viewOf(w, 'over'), ctx, s, 1), { value: 5.5, threshold: 5 });
  assert.deepEqual(multiplier.judge(viewOf(w, 'at'), ctx, s, 0.5), { value: 5, threshold: 2.5 });
  assert.equal(multiplier.unit, 'x');
});

test('multiplier: gate at multiplier x mean x window requests; measure recomputes the multiple from a decision', () => {
  if (multiplier.scope !== 'client') return assert.fail('client rule');
  const ctx = contextOf(windowsWith({}), baseline({ mean: 2 }));
  const [g] = multiplier.gates(s, ctx, 1);
  assert.ok(g.min <= 600 && g.min > 599.99);
  assert.equal(multiplier.measure?.({ z: 0, rate: 40, baseline: { mean: 4 } }), 10);
  assert.equal(multiplier.measure?.({ z: 0, rate: 40, baseline: { mean: 0 } }), Infinity);
});
