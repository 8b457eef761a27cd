// Rule probing: a scanner at 2 probes/s is over 10 in about 6 s; a page with broken links stays far below.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import probing from '../../../enforcer/core/rules/probing.js';
import { client, context, settingsOf, type Sums } from './rule-context.js';

const s = settingsOf(probing);

test('defaults, and the scanner / broken-link cases', () => {
  assert.deepEqual(s, { maxProbes: 16 });
  const sums: Sums = {
    scanner: { main: { total: 17, probe: 17 } }, // 2 probes/s: 8.5 s
    // A page whose script polls a missing endpoint every 10 s: 6 a minute.
    brokenPage: { main: { total: 40, probe: 6 } },
    // A crawler following dead links (the real log's 144.76.95.39: 13 in a minute).
    crawler: { main: { total: 27, probe: 13 } },
    // A slow scanner, one probe every 3 s: 20 a minute.
    slow: { main: { total: 20, probe: 20 } },
  };
  const ctx = context(sums);
  assert.deepEqual(probing.judge(client(sums, 'scanner'), ctx, s, 1), { value: 17, threshold: 16 });
  assert.equal(probing.judge(client(sums, 'brokenPage'), ctx, s, 1), null);
  assert.equal(probing.judge(client(sums, 'crawler'), ctx, s, 1), null);
  assert.deepEqual(probing.judge(client(sums, 'slow'), ctx, s, 1), { value: 20, threshold: 16 });
  assert.deepEqual(probing.gates(s, ctx, 1).map((g) => [g.signal, g.window, Math.ceil(g.min)]), [['probe', 'main', 17]]);
});
