// Modifier error_surge: a client's error rate over error_surge x the site's error rate gives tighten_factor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import errorSurge from '../../../enforcer/core/rules/error-surge.js';
import { contextOf, settingsOf, spread, viewOf, windowsWith } from './helpers.js';

test('error_surge: factor 0.5 strictly above 3x the baseline error rate (0.3/s on the floors), else 1', () => {
  if (errorSurge.scope !== 'modifier') return assert.fail('modifier');
  const s = settingsOf(errorSurge);
  const w = windowsWith({ at: spread(18, 60, (c) => [c, c, 0]), over: spread(20, 60, (c) => [c, 0, c]), ok: spread(100) });
  const ctx = contextOf(w);
  assert.equal(errorSurge.factor(viewOf(w, 'at'), ctx, s), 1);
  assert.equal(errorSurge.factor(viewOf(w, 'over'), ctx, s), 0.5, '5xx count as errors too');
  assert.equal(errorSurge.factor(viewOf(w, 'ok'), ctx, s), 1);
  assert.equal(errorSurge.minFactor(settingsOf(errorSurge, { tighten_factor: 0.25 })), 0.25);
});
