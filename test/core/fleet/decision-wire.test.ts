// Checks of received fleet decisions (every refusal reason a forged or broken decision can hit) and the stand rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FLEET_WIDEST, checkWire, fleetWidest, fromWire, toWire, widerThanFleet } from '../../../enforcer/core/fleet/decision-wire.js';
import { incomingWins } from '../../../enforcer/core/fleet/ban-winner.js';
import { buildMatcher } from '../../../enforcer/net/cidr.js';
import type { BanDecision } from '../../../enforcer/core/types.js';

const allowed = buildMatcher(['127.0.0.0/8', '::1/128', '198.51.100.0/24', '192.0.2.200']);
const ban: BanDecision = { kind: 'ban', ip: '203.0.113.9', at: 1000, until: 1600, durationSec: 600, step: 1, rule: 'ceiling', rate: 75,
  errorRate: 0, z: 12.5, baseline: { mean: 3, stddev: 1, errorMean: 0.1, rawMean: 3, rawStddev: 1, samples: 60, source: 'rolling', computedAt: 990 },
  tightened: false, source: 'auto' };
const wire = toWire(ban, { id: 'web2:1:0', node: 'web2', mode: 'fleet', ep: 7 });
const text = (over: Record<string, unknown>) => JSON.stringify({ ...wire, ...over });

test('a decision made by a node passes the checks and comes back as the same ban, with its node and id', () => {
  const c = checkWire(JSON.stringify(wire), allowed);
  assert.ok(c.ok);
  const d = fromWire(c.decision) as BanDecision;
  assert.equal(d.ip, '203.0.113.9');
  assert.equal(d.until, 1600);
  assert.equal(d.durationSec, 600);
  assert.equal(d.node, 'web2');
  assert.equal(d.fleetId, 'web2:1:0');
  assert.equal(d.rule, 'ceiling');
});

test('a network ban (an IPv6 client\'s /64, an operator\'s /24) passes in canonical form', () => {
  for (const [ip, want] of [['2001:DB8:1:2::9/64', '2001:db8:1:2::/64'], ['203.0.113.7/24', '203.0.113.0/24'], ['2001:db8:7::/48', '2001:db8:7::/48']]) {
    const c = checkWire(text({ ip }), allowed);
    assert.ok(c.ok, JSON.stringify(c));
    if (c.ok) assert.equal(c.decision.ip, want);
  }
  // With detection.ipv6_prefix 40 an IPv6 client is a /40: the nodes take that wide.
  assert.ok(checkWire(text({ ip: '2001:db8::/40' }), allowed, fleetWidest(40)).ok);
  assert.deepEqual(fleetWidest(64), { 4: 24, 6: 48 });
});

test('a network wider than the rules decide (/24, /48) is refused from the fleet: whoever writes to Valkey cannot shut out a provider', () => {
  for (const ip of ['203.0.0.0/16', '203.0.112.0/23', '2001:db8::/32', '2001:db8::/47']) {
    const c = checkWire(text({ ip }), allowed);
    assert.equal(c.ok, false, ip);
    if (!c.ok) assert.match(c.reason, /wider than a fleet decision may be \(\/24 for IPv4, \/48 for IPv6\)/, ip);
  }
  assert.equal(widerThanFleet('203.0.0.0/16', FLEET_WIDEST), true);
  assert.equal(widerThanFleet('203.0.113.0/24', FLEET_WIDEST), false);
  assert.equal(widerThanFleet('203.0.113.9', FLEET_WIDEST), false);
});

test('refused: wide networks, networks holding an allow-listed address, unspecified, loopback, allow-listed, bad syntax and ranges', () => {
  const cases: Array<[string, RegExp]> = [
    [text({ ip: '0.0.0.0/0' }), /`0\.0\.0\.0\/0` is too wide a network/],
    [text({ ip: '::/0' }), /`::\/0` is too wide a network/],
    [text({ ip: '10.0.0.0/8' }), /too wide a network/],
    [text({ ip: '2001::/16' }), /too wide a network/],
    [text({ ip: '198.51.100.0/24' }), /network `198\.51\.100\.0\/24` holds an address of this node's allow-list/],
    [text({ ip: '192.0.2.0/24' }), /holds an address of this node's allow-list/],
    [text({ ip: '127.0.0.0/24' }), /holds an address of this node's allow-list/],
    [text({ ip: '::/64' }), /holds an address of this node's allow-list|not a client address/],
    [text({ ip: '224.0.0.0/24' }), /not a client address \(it is a multicast/],
    [text({ ip: '203.0.113.0/33' }), /not an IP address/],
    [text({ ip: '0.0.0.0' }), /not a client address/],
    [text({ ip: '::' }), /not a client address/],
    [text({ ip: '127.0.0.1' }), /loopback|allow-list/],
    [text({ ip: '198.51.100.7' }), /on this node's allow-list/],
    [text({ ip: '192.0.2.200' }), /on this node's allow-list/],
    [text({ ip: 'nonsense' }), /not an IP address/],
    [text({ v: 2 }), /unknown version/],
    [text({ kind: 'wipe' }), /unknown kind/],
    [text({ until: 900 }), /until is not after at/],
    [text({ step: 0 }), /bad step/],
    [text({ rule: 'drop-table' }), /unknown rule/],
    [text({ node: 'a b' }), /bad or missing node/],
    [text({ id: '' }), /bad or missing id/],
    [text({ at: 1e12 }), /bad or missing at/],
    [text({ bl: null }), /bad bl/],
    ['[1,2]', /not a JSON object/],
    ['{"v":1', /not JSON/],
    ['x'.repeat(5000), /longer than 4096/],
  ];
  for (const [t, re] of cases) {
    const c = checkWire(t, allowed);
    assert.equal(c.ok, false, t.slice(0, 80));
    if (!c.ok) assert.match(c.reason, re, t.slice(0, 80));
  }
});

test('an unban of an allow-listed address is accepted (lifting a ban is always safe); a bad reason is not', () => {
  const u = { v: 1, id: 'u1', kind: 'unban', ip: '198.51.100.7', at: 1000, reason: 'manual', node: 'a', mode: 'manual', ep: 0 };
  assert.equal(checkWire(JSON.stringify(u), allowed).ok, true);
  assert.equal(checkWire(JSON.stringify({ ...u, reason: 'because' }), allowed).ok, false);
});

test('the stand rule: longer wins, permanent longest, a tie to the smaller id, the same id never replaces itself', () => {
  assert.equal(incomingWins({ id: 'b', until: 200 }, { id: 'a', until: 100 }), true);
  assert.equal(incomingWins({ id: 'a', until: 100 }, { id: 'b', until: 200 }), false);
  assert.equal(incomingWins({ id: 'b', until: null }, { id: 'a', until: 1e9 }), true);
  assert.equal(incomingWins({ id: 'a', until: 100 }, { id: 'b', until: 100 }), true);
  assert.equal(incomingWins({ id: 'b', until: 100 }, { id: 'a', until: 100 }), false);
  assert.equal(incomingWins({ id: 'a', until: 100 }, { id: 'a', until: 50 }), false);
});
