// The engine's operator views with a frozen clock: the heaviest clients by rate, 10-minute and 1-hour volume
// (allow-listed ones marked), lifting at once the bans an allow-list change covers, and why a rule alerted (mode or
// learning period).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeEngine, run, only, at, step } from './helpers.js';
import { buildMatcher } from '../../enforcer/net/cidr.js';

const T0 = at(10);
const OFF = { mode: 'off' };

test('heaviest: three top lists, heaviest first, bounded; rates per second over each window; allowed clients marked', () => {
  const engine = makeEngine({ allowlist: ['192.0.2.0/24'] });
  // 30 minutes: a steady sync client (2 req/s), an allowed monitor (3 req/s); in the last minute a burst client (20 req/s).
  const start = T0 - 1800;
  run(engine, start, T0, (t) => ({ ips: {
    '198.51.100.1': 2, '192.0.2.5': 3, ...(t >= T0 - 60 ? { '203.0.113.9': 20 } : {}), ...(t % 100 === 0 ? { '198.51.100.200': 1 } : {}),
  } }));
  const h = engine.heaviest(T0, 3);
  assert.equal(h.now, T0);
  assert.deepEqual(h.byRate.map((c) => c.ip), ['203.0.113.9', '192.0.2.5', '198.51.100.1']);
  assert.deepEqual(h.by1h.map((c) => c.ip), ['192.0.2.5', '198.51.100.1', '203.0.113.9']);
  const sync = h.by1h[1];
  assert.ok(Math.abs(sync.rate - 2) < 0.1, String(sync.rate));
  assert.ok(Math.abs(sync.rate10m - 2) < 0.1, String(sync.rate10m));
  assert.ok(Math.abs(sync.rate1h - 1800 * 2 / 3540) < 0.05, String(sync.rate1h)); // 30 of the 59 whole minutes (T0 starts a minute)
  assert.deepEqual(h.by1h.map((c) => c.allowed), [true, false, false]);
  assert.equal(engine.heaviest(T0, 1).by10m.length, 1);
  assert.deepEqual(engine.heaviest(T0, 0), { now: T0, byRate: [], by10m: [], by1h: [] });
  assert.equal(engine.heaviest(T0, 1e9).by1h.length, 4, 'n is capped at 100, and only clients with traffic are listed');
});

test('liftAllowed: the bans an allow-list change covers are lifted at once (an address, a network holding it), others stay', () => {
  const engine = makeEngine();
  engine.manualBan('203.0.113.9', T0, 3600, 'x');
  engine.manualBan('2001:db8:1:2::/64', T0, 3600, 'x');
  engine.manualBan('198.51.100.1', T0, 3600, 'x');
  assert.deepEqual(engine.liftAllowed(T0 + 1), [], 'nothing allowed yet');
  engine.setAllow(buildMatcher(['127.0.0.0/8', '::1', '203.0.113.9', '2001:db8:1:2::5']));
  const lifted = engine.liftAllowed(T0 + 2);
  assert.deepEqual(lifted, [
    { kind: 'unban', ip: '203.0.113.9', at: T0 + 2, reason: 'allowlisted' },
    { kind: 'unban', ip: '2001:db8:1:2::/64', at: T0 + 2, reason: 'allowlisted' },
  ]);
  assert.deepEqual(engine.status(T0 + 2).activeBans.map((b) => b.ip), ['198.51.100.1']);
  // The next tick does not lift them a second time.
  assert.deepEqual(only(step(engine, T0 + 2), 'unban'), []);
});

test('rule_alert says why: mode alert, or a relative rule during the learning period', () => {
  const noisy = { burst: OFF, population: OFF, brute_force: OFF, probing: OFF, volume: OFF, spread: OFF };
  const learning = makeEngine({ detection: { rules: { ...noisy, ceiling: { mode: 'alert' } }, max_ip_rate: 0 } });
  const a = only(run(learning, T0, T0 + 40, () => ({ ips: { '203.0.113.10': 10 } })), 'rule_alert');
  assert.ok(a.length > 0);
  assert.deepEqual([...new Set(a.map((d) => `${d.rule}:${d.cause}`))], ['zscore:learning']);
  const mode = makeEngine({ detection: { learning_period: 0, rules: { ...noisy, zscore: { mode: 'alert' }, multiplier: OFF }, max_ip_rate: 0 } });
  const b = only(run(mode, T0, T0 + 40, () => ({ ips: { '203.0.113.10': 10 } })), 'rule_alert');
  assert.ok(b.length > 0);
  assert.deepEqual([...new Set(b.map((d) => `${d.rule}:${d.cause}`))], ['zscore:mode']);
});
