// Rule probing: a scanner at 2 probes/s is over 10 in about 6 s; a page with broken links stays far below.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import probing from '../../../enforcer/core/rules/probing.js';
import { client, context, settingsOf, type Sums } from './rule-context.js';

const s = settingsOf(probing);

test('defaults, and the scanner / broken-link cases', () => {
  assert.deepEqual(s, { maxProbes: 10 });
  const sums: Sums = {
    scanner: { main: { total: 11, probe: 11 } },
    // A page whose script polls a missing endpoint every 10 s: 6 a minute.
    brokenPage: { main: { total: 40, probe: 6 } },
    // A slow scanner, one probe every 5 s: 12 a minute.
    slow: { main: { total: 12, probe: 12 } },
  };
  const ctx = context(sums);
  assert.deepEqual(probing.judge(client(sums, 'scanner'), ctx, s, 1), { value: 11, threshold: 10 });
  assert.equal(probing.judge(client(sums, 'brokenPage'), ctx, s, 1), null);
  assert.deepEqual(probing.judge(client(sums, 'slow'), ctx, s, 1), { value: 12, threshold: 10 });
  assert.deepEqual(probing.gates(s, ctx, 1).map((g) => [g.signal, g.window, Math.ceil(g.min)]), [['probe', 'main', 11]]);
});
