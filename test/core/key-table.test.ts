// The key table the counters decoder interns client keys in: canonical IPv4 addresses found by number, anything else by
// string, ids and string objects stable from one answer to the next, growth past its first size, and trimming.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyTable, ipv4At } from '../../enforcer/core/key-table.js';
import { prng } from '../../bench/prng.js';

test('ipv4At reads canonical dotted IPv4 only: anything another string would not equal is -1', () => {
  assert.equal(ipv4At('10.0.0.1', 0, 8), 167772161);
  assert.equal(ipv4At('k255.255.255.255 5', 1, 16), 4294967295);
  assert.equal(ipv4At('0.0.0.0', 0, 7), 0);
  assert.equal(ipv4At('x1.2.3.4y', 1, 8), 0x01020304);
  for (const bad of ['010.0.0.1', '10.00.0.1', '1.2.3.256', '1.2.3', '1.2.3.4.5', '1..2.3', '.1.2.3', '1.2.3.', '1.2.3.4/32',
    '::1', '2001:db8::/64', 'a.b.c.d', '1234', '', '1.2.3.04', '1000.2.3.4']) {
    assert.equal(ipv4At(bad, 0, bad.length), -1, bad);
  }
});

test('a key keeps its id and its string object; IPv4 by number and by string agree; other keys by string', () => {
  const t = new KeyTable();
  const text = 'A10.0.0.1 5\nB10.0.0.1 7\n';
  const a = t.idOfIPv4(ipv4At(text, 1, 9), text, 1, 9);
  const b = t.idOfIPv4(ipv4At(text, 13, 21), text, 13, 21);
  assert.equal(a, b);
  assert.equal(t.key(a), '10.0.0.1');
  assert.equal(t.idOf('10.0.0.1'), a, 'the string path finds the IPv4 entry');
  const s1 = t.key(a);
  t.idOfIPv4(167772161, 'C10.0.0.1 1', 1, 9);
  assert.ok(Object.is(t.key(a), s1), 'the same string object every time');
  const v6 = t.idOf('2001:db8:1:2::/64');
  assert.notEqual(v6, a);
  assert.equal(t.idOf('2001:db8:1:2::/64'), v6);
  assert.notEqual(t.idOf('010.0.0.1'), a, 'a non-canonical spelling is another key');
  assert.equal(t.size, 3);
});

test('thousands of addresses: every one found again after the table grew, none mixed up', () => {
  const t = new KeyTable();
  const rnd = prng(7);
  const keys = new Map<string, number>();
  for (let i = 0; i < 20_000; i++) {
    // Addresses that differ only in their high octets too (a hash of the low bits alone would pile them up).
    const k = i % 2 === 0 ? `${i % 256}.${(i >> 8) & 255}.0.1` : `${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}`;
    const id = t.idOf(k);
    if (keys.has(k)) assert.equal(id, keys.get(k), k);
    else keys.set(k, id);
  }
  assert.equal(t.size, keys.size);
  for (const [k, id] of keys) {
    assert.equal(t.key(id), k);
    const text = `Z${k} 1`;
    assert.equal(t.idOfIPv4(ipv4At(text, 1, text.length - 2), text, 1, text.length - 2), id, k);
  }
});

test('trim forgets everything once the table holds more than its limit, and only then', () => {
  const t = new KeyTable(4);
  for (let i = 0; i < 4; i++) t.idOf(`192.0.2.${i}`);
  assert.equal(t.trim(), false, 'at the limit: kept');
  assert.equal(t.idOf('192.0.2.3'), 3);
  t.idOf('2001:db8::/64');
  assert.equal(t.trim(), true);
  assert.equal(t.size, 0);
  assert.equal(t.idOf('2001:db8::/64'), 0, 'ids start again from 0');
  assert.equal(t.idOf('192.0.2.3'), 1);
});
