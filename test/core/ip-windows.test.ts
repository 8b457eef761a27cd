// Per-IP sliding windows: incremental sums, late counts, forgetting idle IPs, forgiveness and slot reuse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IpWindows } from '../../enforcer/core/ip-windows.js';

test('sums slide with the window and idle IPs are forgotten', () => {
  const w = new IpWindows(3, 2);
  w.add(100, 'a', 5, 1);
  w.add(101, 'a', 2, 0);
  w.add(101, 'b', 1, 1);
  w.add(101, 'c', 0, 0); // nothing: not added
  w.advance(102);
  assert.equal(w.size, 2);
  assert.equal(w.requests(w.slotOf('a')), 7);
  assert.equal(w.errors(w.slotOf('b')), 1);
  w.advance(103);
  assert.equal(w.requests(w.slotOf('a')), 7);
  w.advance(104); // second 100 leaves
  assert.equal(w.requests(w.slotOf('a')), 2);
  assert.equal(w.errors(w.slotOf('a')), 0);
  w.advance(105);
  assert.equal(w.size, 0);
  assert.equal(w.slotOf('a'), -1);
  // Freed slots are reused; arrays grow past the initial capacity.
  for (let i = 0; i < 10; i++) w.add(105, `ip${i}`, 1, 0);
  assert.equal(w.size, 10);
  assert.ok(w.limit <= 10);
});

test('late counts inside the window add up; older ones are dropped', () => {
  const w = new IpWindows(60);
  w.add(1000, 'a', 5, 0);
  w.advance(1001);
  assert.equal(w.add(1000, 'a', 5, 0), true);
  assert.equal(w.requests(w.slotOf('a')), 10);
  w.advance(1070);
  assert.equal(w.add(1000, 'a', 5, 0), false);
  assert.equal(w.slotOf('a'), -1);
});

test('forgive zeroes an IP and ignores its old entries when they leave', () => {
  const w = new IpWindows(10);
  w.add(100, 'a', 50, 5);
  w.add(101, 'a', 50, 5);
  w.advance(102);
  w.forgive('a');
  assert.equal(w.requests(w.slotOf('a')), 0);
  assert.equal(w.add(101, 'a', 9, 0), false); // late counts of forgiven seconds stay forgiven
  w.add(102, 'a', 3, 0);
  w.advance(111); // seconds 100 leaves: not subtracted from the new sum
  assert.equal(w.requests(w.slotOf('a')), 3);
  const seen: number[] = [];
  const marks = new Uint8Array(w.limit);
  marks[w.slotOf('a')] = 1;
  w.forEachCounted(marks, (t, r) => seen.push(t, r));
  assert.deepEqual(seen, [102, 3]);
  w.advance(113);
  assert.equal(w.size, 0);
});
