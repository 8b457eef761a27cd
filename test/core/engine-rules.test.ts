// The engine with the default rules (issue 11): a flood banned in its first second on a busy site, the learning period,
// a credential-stuffing botnet, a scanner, and the traps (page loads, sync client, office NAT, a reader on a quiet site).
import { maxOf } from '../../enforcer/core/arrays.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeEngine, step, run, only, at } from './helpers.js';
import type { Counts } from '../../enforcer/core/types.js';

const T0 = at(10);

/** 300 readers at 1.2 req/s each (page loads of 6 in one second every 5 s, staggered), each in its own /24. */
function readers(t: number, n = 300): Record<string, number> {
  const ips: Record<string, number> = {};
  for (let i = 0; i < n; i++) if ((t + i) % 5 === 0) ips[`10.${i >> 8}.${i & 255}.7`] = 6;
  return ips;
}

test('busy site: a 200 req/s flood is banned by burst at the first tick after its first second; no reader ever', () => {
  const engine = makeEngine({ detection: { hourly_slots: false } });
  const warm = run(engine, T0, T0 + 700, (t) => ({ ips: readers(t) }));
  assert.equal(only(warm, 'ban').length, 0);
  assert.equal(only(warm, 'rule_alert').length, 0);
  const out = step(engine, T0 + 700, { ...readers(T0 + 700), '203.0.113.99': 200 });
  const bans = only(out, 'ban');
  assert.deepEqual(bans.map((b) => [b.ip, b.rule]), [['203.0.113.99', 'burst']]);
  assert.equal(bans[0].value, 100); // 200 requests over the 2 s short window
  assert.equal(bans[0].threshold, 75);
});

test('page loads (a page and 30 assets in 2 s, three in 5 s), a sync client at 4 req/s and an office NAT are never banned', () => {
  const engine = makeEngine({ detection: { hourly_slots: false } });
  const ds = run(engine, T0, T0 + 900, (t) => {
    const ips: Record<string, number> = readers(t, 100);
    if (t % 20 < 2) ips['192.0.2.10'] = 16; // a page + 30 assets over two seconds, every 20 s
    if (t % 60 < 5) ips['192.0.2.11'] = 19; // three page loads (93 requests) in 5 s, once a minute
    ips['192.0.2.12'] = 4; // a sync client
    ips['192.0.2.13'] = t % 3 === 0 ? 8 : 2; // an office NAT: 20 people browsing, 4 req/s
    return { ips };
  });
  assert.deepEqual(only(ds, 'ban').map((b) => `${b.ip} ${b.rule}`), []);
});

test('learning period: on a cold start, zscore/multiplier only alert about a heavy real client; a flood is banned at once', () => {
  const engine = makeEngine();
  // An office NAT at 6 req/s from the first second: over the floors' 4 req/s (z = 5 against mean 1, stddev 1).
  const ds = run(engine, T0, T0 + 120, (t) => ({ ips: { ...readers(t, 50), '192.0.2.12': 6 } }));
  assert.equal(only(ds, 'ban').length, 0);
  const alerts = only(ds, 'rule_alert');
  assert.ok(alerts.length >= 1 && alerts.every((a) => a.ip === '192.0.2.12' && ['zscore', 'multiplier'].includes(a.rule)), JSON.stringify(alerts));
  assert.equal(engine.status(T0 + 120).learning.learning, true);
  const flood = only(step(engine, T0 + 120, { ...readers(T0 + 120, 50), '192.0.2.12': 6, '203.0.113.5': 200 }), 'ban');
  assert.deepEqual(flood.map((b) => [b.ip, b.rule]), [['203.0.113.5', 'burst']]);
  // After the learning period (600 s of settled history) the baseline holds the site, and the office is still fine.
  const later = run(engine, T0 + 121, T0 + 900, (t) => ({ ips: { ...readers(t, 50), '192.0.2.12': 6 } }));
  assert.equal(engine.status(T0 + 900).learning.learning, false);
  assert.deepEqual(only(later, 'ban').map((b) => `${b.ip} ${b.rule}`), []);
});

test('learning period: restored hour slots end it at once; learning_period 0 has none', () => {
  const engine = makeEngine();
  engine.restoreHourlySlots(Array.from({ length: 24 }, (_, hour) => ({ hour, mean: 50, stddev: 10, samples: 3600 })));
  engine.tick(T0);
  assert.deepEqual(engine.status(T0).learning, { learning: false, progress: 1, reason: 'hour_slot' });
  const none = makeEngine({ detection: { learning_period: 0 } });
  none.tick(T0);
  assert.deepEqual(none.status(T0).learning, { learning: false, progress: 1, reason: 'off' });
});

test('credential stuffing: 200 addresses each failing a login every 2 s are all banned within 60 s of their start', () => {
  const engine = makeEngine({ detection: { hourly_slots: false } });
  run(engine, T0, T0 + 300, (t) => ({ ips: readers(t, 100) }));
  const start = T0 + 300;
  const bannedAt = new Map<string, number>();
  for (let t = start; t < start + 60; t++) {
    const ips: Record<string, number | Counts> = readers(t, 100);
    for (let i = 0; i < 200; i++) {
      const ip = `100.64.${i >> 8}.${i & 255}`;
      if (!bannedAt.has(ip) && (t + i) % 2 === 0) ips[ip] = [1, 1, 0, 1, 0];
    }
    for (const b of only(step(engine, t, ips), 'ban')) {
      assert.ok(b.ip.startsWith('100.64.'), `a reader was banned: ${b.ip}`);
      assert.equal(b.rule, 'brute_force');
      bannedAt.set(b.ip, t + 1 - start);
    }
  }
  assert.equal(bannedAt.size, 200);
  const latest = maxOf([...bannedAt.values()]);
  assert.ok(latest <= 15, `latest ban after ${latest} s`);
});

test('a person mistyping a password four times, and one lone slow guesser, are not banned by brute_force', () => {
  const engine = makeEngine({ detection: { hourly_slots: false } });
  const ds = run(engine, T0, T0 + 300, (t) => {
    const ips: Record<string, number | Counts> = readers(t, 50);
    if (t >= T0 + 100 && t < T0 + 120 && t % 5 === 0) ips['192.0.2.20'] = [2, 1, 0, 1, 0];
    return { ips };
  });
  assert.deepEqual(only(ds, 'ban'), []);
});

test('a scanner at 2 probes/s is banned by probing within 9 s; a page with a broken non-static link is not', () => {
  const engine = makeEngine({ detection: { hourly_slots: false } });
  run(engine, T0, T0 + 300, (t) => ({ ips: readers(t, 50) }));
  let banned = -1;
  for (let s = 0; s < 30 && banned < 0; s++) {
    const t = T0 + 300 + s;
    const ips: Record<string, number | Counts> = { ...readers(t, 50), '203.0.113.77': [2, 2, 0, 0, 2] };
    if (s % 10 === 0) ips['192.0.2.30'] = [20, 1, 0, 0, 1];
    for (const b of only(step(engine, t, ips), 'ban')) {
      assert.equal(b.ip, '203.0.113.77');
      assert.equal(b.rule, 'probing');
      banned = s + 1;
    }
  }
  assert.equal(banned, 9);
});

test('quiet site: one reader with 160 requests in one minute is not banned (after learning, and during it)', () => {
  for (const warmup of [900, 60]) {
    const engine = makeEngine({ detection: { hourly_slots: false } });
    // Five readers, one request each every 20 s: 0.25 req/s in all.
    const quiet = (t: number): Record<string, number> => {
      const ips: Record<string, number> = {};
      for (let i = 0; i < 5; i++) if ((t + 4 * i) % 20 === 0) ips[`198.51.100.${i + 1}`] = 1;
      return ips;
    };
    run(engine, T0, T0 + warmup, (t) => ({ ips: quiet(t) }));
    // The reader: 160 requests in 60 s (a page and 15 assets every 6 s).
    const ds = run(engine, T0 + warmup, T0 + warmup + 120, (t) => {
      const ips = quiet(t);
      if (t < T0 + warmup + 60 && (t - T0) % 6 === 0) ips['192.0.2.40'] = 16;
      return { ips };
    });
    assert.deepEqual(only(ds, 'ban').map((b) => `${b.ip} ${b.rule} ${b.value}`), [], `warmup ${warmup}`);
  }
});

test('spread: 40 addresses of one /24 at 1 req/s each (40 together) alert once per cooldown; mode ban bans the /24', () => {
  for (const mode of ['alert', 'ban'] as const) {
    const engine = makeEngine({ detection: { hourly_slots: false, rules: { spread: { mode } } } });
    run(engine, T0, T0 + 300, (t) => ({ ips: readers(t, 100) }));
    const ds = run(engine, T0 + 300, T0 + 420, (t) => {
      const ips: Record<string, number> = readers(t, 100);
      for (let i = 1; i <= 40; i++) ips[`203.0.113.${i}`] = 1;
      return { ips };
    });
    const bans = only(ds, 'ban');
    const alerts = only(ds, 'rule_alert').filter((a) => a.rule === 'spread');
    if (mode === 'alert') {
      assert.deepEqual(bans, []);
      assert.equal(alerts.length, 1);
      assert.equal(alerts[0].ip, '203.0.113.0/24');
      assert.ok(alerts[0].value > 30 && alerts[0].value <= 40, String(alerts[0].value));
    } else {
      assert.deepEqual(bans.map((b) => [b.ip, b.rule]), [['203.0.113.0/24', 'spread']]);
      assert.ok(bans[0].at - (T0 + 300) <= 60, `banned after ${bans[0].at - (T0 + 300)} s`);
    }
  }
});

test('spread: ordinary readers spread over five /24s (12 req/s per /24) never fire it', () => {
  const engine = makeEngine({ detection: { hourly_slots: false } });
  // 60 readers in each of five /24s at 0.2 req/s (12 a minute each, 12 req/s per /24 together).
  const ds = run(engine, T0, T0 + 300, (t) => {
    const ips: Record<string, number> = {};
    for (let p = 0; p < 5; p++) for (let i = 0; i < 60; i++) if ((t + i) % 5 === 0) ips[`198.51.${p}.${i}`] = 1;
    return { ips };
  });
  assert.deepEqual(only(ds, 'rule_alert').filter((a) => a.rule === 'spread'), []);
  assert.deepEqual(only(ds, 'ban'), []);
});
