// Rule ceiling: an absolute rate, whatever the baseline; tightening; 0 turns it off (no gate: never judged).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ceiling from '../../../enforcer/core/rules/ceiling.js';
import { baseline, contextOf, settingsOf, spread, viewOf, windowsWith } from './helpers.js';

const busy = baseline({ mean: 360, stddev: 40, errorMean: 5 }); // the relative rules ban only above 480 req/s here

test('ceiling: bans a fast client whatever the baseline, strictly above max_ip_rate', () => {
  if (ceiling.scope !== 'client') return assert.fail('client rule');
  const s = settingsOf(ceiling);
  const w = windowsWith({ at: spread(1800), over: spread(1801) });
  const ctx = contextOf(w, busy);
  assert.equal(ceiling.judge(viewOf(w, 'at'), ctx, s, 1), null);
  assert.deepEqual(ceiling.judge(viewOf(w, 'over'), ctx, s, 1), { value: 1801 / 60, threshold: 30 });
  const w2 = windowsWith({ e: spread(960, 60, (c) => [c, c, 0]) }); // 16 req/s, all errors: ceiling 15 when tightened
  assert.deepEqual(ceiling.judge(viewOf(w2, 'e'), contextOf(w2, busy), s, 0.5), { value: 16, threshold: 15 });
});

test('ceiling: max_ip_rate 0 is off: no gate, no hit', () => {
  if (ceiling.scope !== 'client') return assert.fail('client rule');
  const s = settingsOf(ceiling, { max_ip_rate: 0 });
  const w = windowsWith({ a: spread(12000) });
  assert.deepEqual(ceiling.gates(s, contextOf(w, busy), 1), []);
  assert.equal(ceiling.judge(viewOf(w, 'a'), contextOf(w, busy), s, 1), null);
  assert.equal(ceiling.thresholds(s), 'off (max_ip_rate 0)');
});
