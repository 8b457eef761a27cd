// Rule brute_force: a bot failing a login every 2 s is caught within 20 s (10 s in a surge); a person mistyping a
// password three or four times never is; a slow guesser is caught over 10 minutes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import bruteForce, { authSurge, bruteForceThresholds } from '../../../enforcer/core/rules/brute-force.js';
import { client, context, crowd, settingsOf, type Sums } from './rule-context.js';

const s = settingsOf(bruteForce);

test('defaults', () => {
  assert.deepEqual(s, { maxFailures: 10, maxFailures10m: 30, minFailures: 4, surgeClients: 10, surgeFactor: 0.5 });
});

test('one bot failing every 2 s: 11 failures (22 s) are over 10; a person with 4 mistypes is not', () => {
  const sums: Sums = {
    bot: { main: { total: 11, auth: 11 }, '10m': { auth: 11 } },
    person: { main: { total: 20, auth: 4 }, '10m': { auth: 4 } },
    bot10: { main: { total: 10, auth: 10 }, '10m': { auth: 10 } },
  };
  const ctx = context(sums);
  assert.equal(authSurge(s, ctx), false);
  assert.deepEqual(bruteForce.judge(client(sums, 'bot'), ctx, s, 1), { value: 11, threshold: 10 });
  assert.equal(bruteForce.judge(client(sums, 'bot10'), ctx, s, 1), null);
  assert.equal(bruteForce.judge(client(sums, 'person'), ctx, s, 1), null);
});

test('a botnet of 200 addresses failing together lowers the thresholds to 5 / 15, never to or below 4', () => {
  const sums: Sums = {
    ...crowd(200, { main: { total: 6, auth: 6 }, '10m': { auth: 6 } }, '198.18'),
    person: { main: { total: 20, auth: 4 }, '10m': { auth: 4 } },
  };
  const ctx = context(sums);
  assert.equal(authSurge(s, ctx), true);
  assert.deepEqual(bruteForceThresholds(s, ctx), [5, 15]);
  assert.deepEqual(bruteForce.judge(client(sums, '198.18.0.7'), ctx, s, 1), { value: 6, threshold: 5 });
  assert.equal(bruteForce.judge(client(sums, 'person'), ctx, s, 1), null);
  assert.deepEqual(bruteForceThresholds({ ...s, surgeFactor: 0.1 }, ctx), [4, 4]);
});

test('a slow guesser (one failure every 15 s) is caught over 10 minutes; gates cover both windows', () => {
  const sums: Sums = { slow: { main: { total: 4, auth: 4 }, '10m': { auth: 31 } } };
  const ctx = context(sums);
  assert.deepEqual(bruteForce.judge(client(sums, 'slow'), ctx, s, 1), { value: 31, threshold: 30 });
  const gates = bruteForce.gates(s, ctx, 1);
  assert.deepEqual(gates.map((g) => [g.signal, g.window, Math.ceil(g.min)]), [['auth', 'main', 11], ['auth', '10m', 31]]);
});
