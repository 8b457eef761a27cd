// The engine on the registry: per-rule modes (ban, alert, off), the throttled rule_alert decision, the modifier in mode
// alert, and the pre-filter derived from the rules' gates (a low-rate rule registered from here is never skipped).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeEngine, step, run, only, at } from './helpers.js';
import { defineRule } from '../../enforcer/core/rules/types.js';
import { registerRule, unregisterRule } from '../../enforcer/core/rules/registry.js';
import { positiveInt } from '../../enforcer/config/fields.js';

const T0 = at(10);
const A = '203.0.113.10';
const B = '203.0.113.20';

test('mode alert: the rule decides and a rule_alert is given, never a ban; again only after alert_cooldown', () => {
  const engine = makeEngine({ detection: { rules: { zscore: { mode: 'alert' }, multiplier: { mode: 'alert' } }, max_ip_rate: 0, alert_cooldown: 30 } });
  const ds = run(engine, T0, T0 + 50, () => ({ ips: { [A]: 10 } })); // 10 req/s: z > 3 after 16 s, > 5x the mean after 31 s
  assert.equal(only(ds, 'ban').length, 0);
  const alerts = only(ds, 'rule_alert');
  assert.equal(alerts.length, 2, JSON.stringify(alerts.map((a) => a.at - T0)));
  assert.deepEqual(alerts.map((a) => [a.ip, a.rule]), [[A, 'zscore'], [A, 'zscore']]);
  assert.equal(alerts[1].at - alerts[0].at, 30);
  assert.ok(alerts[0].value > alerts[0].threshold && alerts[0].threshold === 3);
  assert.equal(engine.isBanned(A), false);
});

test('mode alert on one rule does not stop a rule in mode ban from banning the same client', () => {
  const engine = makeEngine({ detection: { rules: { zscore: { mode: 'alert' } } } });
  const ds = run(engine, T0, T0 + 40, () => ({ ips: { [A]: 10 } })); // z > 3 after 16 s (alert), 5x the mean after 31 s
  const bans = only(ds, 'ban');
  assert.equal(bans.length, 1);
  assert.equal(bans[0].rule, 'multiplier');
  const alerts = only(ds, 'rule_alert');
  assert.deepEqual(alerts.map((a) => [a.rule, a.at - T0]), [['zscore', 16]], 'alerted while only the rule in mode alert fired');
  assert.equal(bans[0].at - T0, 31);
});

test('mode off: the rule never runs; every client rule off bans nobody', () => {
  const off = { mode: 'off' };
  const engine = makeEngine({ detection: { rules: { zscore: off, multiplier: off, ceiling: off } } });
  const ds = run(engine, T0, T0 + 70, () => ({ ips: { [A]: 100 } }));
  assert.deepEqual(only(ds, 'ban'), []);
  assert.deepEqual(only(ds, 'rule_alert'), []);
  const s = engine.status(T0 + 70);
  assert.deepEqual(s.rules.map((r) => [r.name, r.mode]), [['zscore', 'off'], ['multiplier', 'off'], ['ceiling', 'off'], ['error_surge', 'ban'], ['global_surge', 'alert']]);
  assert.equal(s.banRate, Infinity);
});

test('error_surge in mode alert: a ban only the tightening made becomes an alert; a ban without it stays a ban', () => {
  const engine = makeEngine({ detection: { rules: { error_surge: { mode: 'alert' } } } });
  // A: 2 req/s, all 404: z = 2 < 3, but tightened (1.5) it would fire. B: 4 req/s of 200: z = 6, a ban.
  const ds = run(engine, T0, T0 + 60, () => ({ ips: { [A]: [2, 2, 0], [B]: 4 } }));
  const bans = only(ds, 'ban');
  assert.deepEqual(bans.map((b) => b.ip), [B]);
  assert.equal(bans[0].tightened, false);
  const alerts = only(ds, 'rule_alert');
  assert.equal(alerts.length, 1);
  assert.deepEqual([alerts[0].ip, alerts[0].rule, alerts[0].tightened], [A, 'zscore', true]);
  // With the modifier in mode ban the same A is banned (tightened).
  const strict = makeEngine();
  const ds2 = run(strict, T0, T0 + 60, () => ({ ips: { [A]: [2, 2, 0] } }));
  assert.deepEqual(only(ds2, 'ban').map((b) => [b.ip, b.tightened]), [[A, true]]);
});

test('global_surge off: no global alert however large the surge', () => {
  const engine = makeEngine({ detection: { rules: { global_surge: { mode: 'off' } }, hourly_slots: false } });
  const ds = run(engine, T0, T0 + 400, (t) => ({ background: t < T0 + 330 ? 1 : 500 }));
  assert.deepEqual(only(ds, 'global_alert'), []);
  const on = makeEngine({ detection: { hourly_slots: false } });
  const ds2 = run(on, T0, T0 + 400, (t) => ({ background: t < T0 + 330 ? 1 : 500 }));
  assert.equal(only(ds2, 'global_alert').length, 1);
  assert.equal(only(ds2, 'global_alert')[0].by, 'global_surge');
});

/** A low-rate rule: 5 auth failures in the short window, whatever the total. */
const authToy = defineRule({
  name: 'toy_auth',
  scope: 'client',
  title: 'toy auth failures',
  summary: 'at least `failures` auth failures in the short window',
  defaultMode: 'ban',
  tightenable: false,
  keys: { failures: { schema: positiveInt().default(5), doc: 'auth failures that fire', shown: '`5`' } },
  settings: (d) => ({ failures: d.rules.toy_auth.failures as number }),
  reads: { signals: ['auth'], windows: ['short'] },
  thresholds: (s) => `auth failures >= ${s.failures} in the short window`,
  gates: (s) => [{ signal: 'auth', window: 'short', min: s.failures }],
  judge: (c, _ctx, s) => (c.sum('auth', 'short') >= s.failures ? { value: c.sum('auth', 'short'), threshold: s.failures } : null),
});

test('the pre-filter comes from the rules: 5 auth failures in 5 s are judged and banned though the total is far under every rate gate', () => {
  registerRule(authToy);
  try {
    const engine = makeEngine({ detection: { rules: { toy_auth: { failures: 5 } } } });
    const quiet = run(engine, T0, T0 + 3, () => ({ ips: { [A]: [1, 1, 0, 1, 0], [B]: [1, 0, 0, 0, 0] } }));
    assert.deepEqual(only(quiet, 'ban'), []);
    const ds = [...quiet, ...step(engine, T0 + 3, { [A]: [2, 2, 0, 2, 0] })]; // 5 failures in the last 5 s, 5 requests in all
    const bans = only(ds, 'ban');
    assert.deepEqual(bans.map((b) => [b.ip, b.rule, b.value, b.threshold]), [[A, 'toy_auth', 5, 5]]);
    assert.equal(engine.status(T0 + 4).rules.find((r) => r.name === 'toy_auth')?.thresholds, 'auth failures >= 5 in the short window');
  } finally {
    unregisterRule('toy_auth');
  }
});
