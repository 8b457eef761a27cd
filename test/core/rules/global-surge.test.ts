// Rule global_surge: the site's rate against its own baseline, only once the baseline has five windows of samples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import globalSurge from '../../../enforcer/core/rules/global-surge.js';
import { baseline, contextOf, settingsOf, windowsWith } from './helpers.js';

test('global_surge: z-score first, then the multiple; nothing before the warm-up; alert or off only', () => {
  if (globalSurge.scope !== 'global') return assert.fail('global rule');
  const s = settingsOf(globalSurge);
  const w = windowsWith({});
  const learned = baseline({ samples: 300 });
  assert.deepEqual(globalSurge.judge(contextOf(w, learned, { rate: 10, errorRate: 0 }), s), { condition: 'zscore', value: 18, threshold: 3, z: 18 });
  assert.equal(globalSurge.judge(contextOf(w, learned, { rate: 2, errorRate: 0 }), s), null);
  const wide = baseline({ samples: 300, stddev: 10 });
  assert.deepEqual(globalSurge.judge(contextOf(w, wide, { rate: 6, errorRate: 0 }), s), { condition: 'multiplier', value: 6, threshold: 5, z: 0.5 });
  assert.equal(globalSurge.judge(contextOf(w, baseline({ samples: 299 }), { rate: 10, errorRate: 0 }), s), null, 'warm-up');
  assert.equal(globalSurge.cooldown(s), 120);
  assert.deepEqual(globalSurge.modes, ['alert', 'off']);
});
