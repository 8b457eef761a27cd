// The counters decoder's columns (SecondBucket.rows) against its `ips` and against the engine: the same counts in the
// same order as `ips` had them (repeated keys, signal-only clients, marks, odd spellings), and an engine fed the columns
// decides exactly what an engine fed plain `ips` buckets decides, over a long randomized flood with one decoder kept
// across answers (ids reused, the key table trimmed on the way).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CountersDecoder, decodeCounters } from '../../enforcer/adapters/counters-text.js';
import { KeyTable } from '../../enforcer/core/key-table.js';
import { createEngine, engineConfigFrom } from '../../enforcer/core/engine.js';
import { parseConfig } from '../../enforcer/config/load.js';
import type { Counts, SecondBucket } from '../../enforcer/core/types.js';
import { prng } from '../../bench/prng.js';

const T = 17179869184;
const U4 = 131072;
const AUTH = 67108864;
const TAGS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** The rows of a bucket as `ips` would list them (dead rows left out). */
function rowsAsIps(b: SecondBucket): Record<string, Counts> {
  const r = b.rows!;
  const out: Record<string, Counts> = {};
  for (let i = 0; i < r.n; i++) if (r.ids[i] >= 0) out[r.keys[i]] = Array.from(r.counts.subarray(i * 5, i * 5 + 5)) as Counts;
  return out;
}

test('columns hold what ips holds, in its order: a repeated key\'s last line at its first place, signals merged, signal-only clients last', () => {
  const d = decodeCounters([
    'warden-counters 2 130.2 0 0 64', // tag B is second 129, A is 128
    `B~192.0.2.5 ${2 * AUTH + 1}`,     // a signal before its main line
    `B192.0.2.1 ${3 * T + 2 * U4 + 1}`,
    `B010.0.0.1 ${T}`,                  // not canonical: another client than 10.0.0.1
    `B10.0.0.1 ${2 * T}`,
    `B192.0.2.5 ${4 * T}`,
    `A192.0.2.1 ${9 * T}`,              // the same client in another second
    `B192.0.2.1 ${5 * T + U4}`,         // repeated (never from nginx): the last line wins, at the first's place
    `B~192.0.2.1 ${AUTH}`,
    `B~192.0.2.1 ${3}`,                 // two signal lines add up
    `B~198.51.100.7 ${AUTH}`,           // a signal without a main line: a row of its own, total 0
    `B!192.0.2.9 ${7 * T}`,             // a marked key with an absurd value: kept as a key of its own, as ips had it
    `B2001:db8:1:2::/64 ${6 * T}`,
    '',
  ].join('\n'));
  const c = d.buckets.find((b) => b.t === 129)!;
  assert.ok(c.rows, 'columns');
  const expected = {
    '192.0.2.1': [5, 1, 0, 1, 3], '010.0.0.1': [1, 0, 0, 0, 0], '10.0.0.1': [2, 0, 0, 0, 0], '192.0.2.5': [4, 0, 0, 2, 1],
    '!192.0.2.9': [7, 0, 0, 0, 0], '2001:db8:1:2::/64': [6, 0, 0, 0, 0], '198.51.100.7': [0, 0, 0, 1, 0],
  };
  assert.deepEqual(c.ips, expected);
  assert.deepEqual(Object.keys(c.ips), Object.keys(expected));
  assert.deepEqual(rowsAsIps(c), expected);
  assert.deepEqual(Object.keys(rowsAsIps(c)), Object.keys(expected));
  assert.deepEqual(c.global, [3 + 1 + 2 + 4 + 5 + 7 + 6, 2 + 1, 1, 2 + 1 + 1, 1 + 3]);
  assert.deepEqual(d.buckets.find((b) => b.t === 128)!.ips, { '192.0.2.1': [9, 0, 0, 0, 0] });
  // A copy is a plain bucket (no columns), and setting ips drops the columns.
  const copy = { ...c };
  assert.equal(copy.rows, undefined);
  assert.deepEqual(copy.ips, expected);
  c.ips = { '192.0.2.1': [1, 0, 0] };
  assert.equal(c.rows, undefined);
});

test('a second with an all-digit key (an array index: ips lists it first) has no columns, only ips', () => {
  const d = decodeCounters(`warden-counters 2 130.2 0 0 64\nC192.0.2.1 ${T}\nC12345 ${2 * T}\n`);
  const b = d.buckets[0];
  assert.equal(b.rows, undefined);
  assert.deepEqual(Object.keys(b.ips), ['12345', '192.0.2.1']);
});

test('one decoder across answers: clients seen before are the same string objects; a trimmed table starts again', () => {
  const decoder = new CountersDecoder(new KeyTable(3));
  const one = decoder.decode(`warden-counters 2 130.2 0 0 64\nC192.0.2.1 ${T}\nC2001:db8::/64 ${T}\n`).buckets[0].rows!;
  const two = decoder.decode(`warden-counters 2 131.2 0 0 64\nD2001:db8::/64 ${T}\nD192.0.2.1 ${T}\nD192.0.2.2 ${T}\nD192.0.2.3 ${T}\n`).buckets[0].rows!;
  assert.ok(Object.is(two.keys[1], one.keys[0]) && two.ids[1] === one.ids[0]);
  assert.ok(Object.is(two.keys[0], one.keys[1]) && two.ids[0] === one.ids[1]);
  // Four keys > limit 3: the next answer starts a new table (ids from 0), counts still right.
  const three = decoder.decode(`warden-counters 2 132.2 0 0 64\nE192.0.2.3 ${2 * T}\nE192.0.2.1 ${T}\n`).buckets[0];
  assert.deepEqual(Array.from(three.rows!.ids), [0, 1]);
  assert.deepEqual(three.ips, { '192.0.2.3': [2, 0, 0, 0, 0], '192.0.2.1': [1, 0, 0, 0, 0] });
});

test('an engine fed the columns decides exactly what an engine fed plain ips decides (randomized floods, bans, unbans)', () => {
  const cfg = engineConfigFrom(parseConfig({ detection: { learning_period: 0 } }, {}));
  const allowed = (ip: string) => ip === '10.0.0.1';
  const fast = createEngine(cfg, { isAllowed: allowed });
  const plain = createEngine(cfg, { isAllowed: allowed });
  const decoder = new CountersDecoder(new KeyTable(1500));
  const rnd = prng(20261203);
  const pick = (n: number) => Math.floor(rnd() * n);
  const clients = Array.from({ length: 2000 }, (_, i) =>
    i % 7 === 0 ? `2001:db8:${i.toString(16)}::/64` : `10.${(i >> 8) & 255}.${i & 255}.${1 + (i % 3)}`);
  clients.push('10.0.0.1', '01.2.3.4');
  const t0 = 1_800_000_000;
  const fastOut: unknown[] = [];
  const plainOut: unknown[] = [];
  let banned = 0;
  for (let s = 0; s < 400; s++) {
    const now = t0 + s;
    const lines = [`warden-counters 2 ${now}.3 0 0 64`];
    // This second and sometimes the one before (late counts), flooders among background clients, in hash order.
    for (const age of s % 5 === 0 ? [1, 2] : [1]) {
      const tag = TAGS[(now - age) % 64];
      const n = 50 + pick(300);
      for (let k = 0; k < n; k++) {
        const flooder = k < 6 && s > 100 && s < 300;
        const ip = flooder ? clients[(s >> 4) * 6 + k] : clients[pick(clients.length)];
        const total = flooder ? 80 + pick(40) : 1 + pick(3);
        const c4 = pick(10) === 0 ? Math.min(total, 1 + pick(3)) : 0;
        lines.push(`${tag}${ip} ${total * T + c4 * U4}`);
        if (c4 > 0 || flooder) lines.push(`${tag}~${ip} ${pick(3) * AUTH + pick(4)}`);
      }
    }
    for (let k = lines.length - 1; k > 1; k--) {
      const j = 1 + pick(k);
      [lines[k], lines[j]] = [lines[j], lines[k]];
    }
    const d = decoder.decode(lines.join('\n') + '\n');
    assert.ok(d.buckets.every((b) => b.rows !== undefined));
    fast.ingest(d.buckets);
    plain.ingest(d.buckets.map((b) => JSON.parse(JSON.stringify({ t: b.t, global: b.global, ips: b.ips })) as SecondBucket));
    if (s === 250) {
      fastOut.push(fast.manualUnban(clients[(250 >> 4) * 6], now));
      plainOut.push(plain.manualUnban(clients[(250 >> 4) * 6], now));
    }
    const a = fast.tick(now);
    const b = plain.tick(now);
    for (const x of a) fastOut.push(x);
    for (const x of b) plainOut.push(x);
    banned += a.filter((x) => x.kind === 'ban').length;
  }
  assert.ok(banned >= 6, `the floods were banned (${banned})`);
  assert.deepEqual(fastOut, plainOut);
  assert.deepEqual(fast.status(t0 + 400, 20), plain.status(t0 + 400, 20));
});
