// Rule brute_force: a bot failing a login every 2 s is caught within 22 s (12 s in a surge); a person mistyping a
// password three or four times never is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import bruteForce, { authSurge, bruteForceThreshold } from '../../../enforcer/core/rules/brute-force.js';
import { client, context, crowd, settingsOf, type Sums } from './rule-context.js';

const s = settingsOf(bruteForce);

test('defaults', () => {
  assert.deepEqual(s, { maxFailures: 10, minFailures: 4, surgeClients: 10, surgeFactor: 0.5 });
});

test('one bot failing every 2 s: 11 failures (22 s) are over 10; a person with 4 mistypes is not', () => {
  const sums: Sums = {
    bot: { main: { total: 11, auth: 11 } },
    person: { main: { total: 20, auth: 4 } },
    bot10: { main: { total: 10, auth: 10 } },
  };
  const ctx = context(sums);
  assert.equal(authSurge(s, ctx), false);
  assert.deepEqual(bruteForce.judge(client(sums, 'bot'), ctx, s, 1), { value: 11, threshold: 10 });
  assert.equal(bruteForce.judge(client(sums, 'bot10'), ctx, s, 1), null);
  assert.equal(bruteForce.judge(client(sums, 'person'), ctx, s, 1), null);
  const gates = bruteForce.gates(s, ctx, 1);
  assert.deepEqual(gates.map((g) => [g.signal, g.window, Math.ceil(g.min)]), [['auth', 'main', 11]]);
});

test('a botnet of 200 addresses failing together lowers the threshold to 5, never to or below 4', () => {
  const sums: Sums = {
    ...crowd(200, { main: { total: 6, auth: 6 } }, '198.18'),
    person: { main: { total: 20, auth: 4 } },
  };
  const ctx = context(sums);
  assert.equal(authSurge(s, ctx), true);
  assert.equal(bruteForceThreshold(s, ctx), 5);
  assert.deepEqual(bruteForce.judge(client(sums, '198.18.0.7'), ctx, s, 1), { value: 6, threshold: 5 });
  assert.equal(bruteForce.judge(client(sums, 'person'), ctx, s, 1), null);
  assert.equal(bruteForceThreshold({ ...s, surgeFactor: 0.1 }, ctx), 4);
  // Nine clients failing is no surge.
  assert.equal(authSurge(s, context(crowd(9, { main: { total: 6, auth: 6 } }))), false);
});
