// Per-client windows: incremental sums of five signals over the main and short windows, requests over 10 min and 1 h
// per minute, late counts, forgetting idle clients after an hour, forgiveness and slot reuse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientWindows } from '../../enforcer/core/client-windows.js';

test('sums slide with the window and idle IPs are forgotten', () => {
  const w = new ClientWindows(3, 1, 2);
  w.add(100, 'a', [5, 1]);
  w.add(101, 'a', [2, 0]);
  w.add(101, 'b', [1, 1]);
  w.add(101, 'c', [0, 0]); // nothing: not added
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
  assert.equal(w.requests(w.slotOf('a')), 0);
  assert.equal(w.hour(w.slotOf('a'), 105), 7, 'the last hour still remembers it');
  w.advance(105 + 3600);
  assert.equal(w.slotOf('a'), -1, 'an hour of silence: forgotten');
  assert.equal(w.remembered, 0);
  // Freed slots are reused; arrays grow past the initial capacity.
  for (let i = 0; i < 10; i++) w.add(3705, `ip${i}`, [1, 0]);
  assert.equal(w.size, 10);
  assert.ok(w.limit <= 10);
});

test('late counts inside the window add up; older ones are dropped', () => {
  const w = new ClientWindows(60, 1);
  w.add(1000, 'a', [5, 0]);
  w.advance(1001);
  assert.equal(w.add(1000, 'a', [5, 0]), true);
  assert.equal(w.requests(w.slotOf('a')), 10);
  w.advance(1070);
  assert.equal(w.add(1000, 'a', [5, 0]), false);
  assert.equal(w.requests(w.slotOf('a')), 0);
  assert.equal(w.size, 0);
});

test('forgive zeroes an IP and ignores its old entries when they leave', () => {
  const w = new ClientWindows(10, 1);
  w.add(100, 'a', [50, 5]);
  w.add(101, 'a', [50, 5]);
  w.advance(102);
  w.forgive('a');
  assert.equal(w.requests(w.slotOf('a')), 0);
  assert.equal(w.add(101, 'a', [9, 0]), false); // late counts of forgiven seconds stay forgiven
  w.add(102, 'a', [3, 0]);
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

test('five signals over the main and the short window; missing protocol-v1 fields read 0', () => {
  const w = new ClientWindows(10, 3);
  w.add(100, 'a', [10, 4, 1, 2, 3]);
  w.add(101, 'a', [5, 0, 0, 1, 0]);
  w.add(101, 'b', [7, 1, 2]);
  w.advance(102);
  const a = w.slotOf('a');
  const b = w.slotOf('b');
  assert.deepEqual([0, 1, 2, 3, 4].map((k) => w.main(a, k)), [15, 4, 1, 3, 3]);
  assert.deepEqual([0, 1, 2, 3, 4].map((k) => w.short(a, k)), [15, 4, 1, 3, 3]);
  assert.deepEqual([0, 1, 2, 3, 4].map((k) => w.main(b, k)), [7, 1, 2, 0, 0]);
  assert.equal(w.errors(a), 5);
  w.advance(104); // second 100 leaves the short window (3 s), not the main one
  assert.deepEqual([0, 1, 2, 3, 4].map((k) => w.short(a, k)), [5, 0, 0, 1, 0]);
  assert.equal(w.main(a, 3), 3);
  // A late count for second 100 no longer enters the short window, and is not subtracted from it later.
  w.add(100, 'a', [1, 0, 0, 1, 0]);
  assert.equal(w.short(a, 3), 1);
  assert.equal(w.main(a, 3), 4);
  w.advance(105);
  assert.deepEqual([0, 1, 2, 3, 4].map((k) => w.short(a, k)), [0, 0, 0, 0, 0]);
  w.advance(111); // second 100 leaves the main window
  assert.deepEqual([0, 1, 2, 3, 4].map((k) => w.main(a, k)), [5, 0, 0, 1, 0]);
  // A jump over a long idle stretch empties both.
  w.add(111, 'a', [2, 0, 0, 0, 2]);
  w.advance(500);
  assert.equal(w.short(a, 4), 0);
  assert.equal(w.main(a, 4), 0);
});

test('10 min and 1 h windows: per-minute request counts that slide minute by minute', () => {
  const w = new ClientWindows(60, 5);
  const M = 60 * 1000; // minute 1000 starts here
  for (let m = 0; m < 70; m++) {
    w.add(M + m * 60, 'a', [m + 1]);
    w.advance(M + m * 60 + 1);
  }
  const a = w.slotOf('a');
  const now = M + 69 * 60 + 1;
  // The current minute (69, 70 requests) and the 9 before: 61..70; the hour: minutes 10..69, 11..70 requests.
  assert.equal(w.tenMinutes(a, now), (61 + 70) * 10 / 2);
  assert.equal(w.hour(a, now), (11 + 70) * 60 / 2);
  // Silence: the sums decay minute by minute without new counts, and the hour forgets the client.
  assert.equal(w.tenMinutes(a, now + 5 * 60), (66 + 70) * 5 / 2);
  assert.equal(w.hour(a, now + 59 * 60), 70);
  assert.equal(w.tenMinutes(a, now + 10 * 60), 0);
  w.advance(now + 60 * 60);
  assert.equal(w.slotOf('a'), -1);
});

test('forgive empties the long windows too; late counts of an older minute still count in the hour', () => {
  const w = new ClientWindows(60, 5);
  w.add(6000, 'a', [30]);
  w.add(6060, 'a', [30]);
  w.advance(6061);
  const a = w.slotOf('a');
  assert.equal(w.hour(a, 6061), 60);
  w.add(6059, 'a', [5]); // a late second of the previous minute
  assert.equal(w.tenMinutes(a, 6061), 65);
  w.forgive('a');
  assert.equal(w.hour(a, 6061), 0);
  assert.equal(w.tenMinutes(a, 6061), 0);
});

test('100k clients in the windows: memory stays bounded (typed arrays, no per-client objects)', () => {
  const w = new ClientWindows(60, 5);
  for (let i = 0; i < 100_000; i++) w.add(1000, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, [1, 0, 0, 0, 0]);
  w.advance(1001);
  assert.equal(w.size, 100_000);
  assert.equal(w.remembered, 100_000);
});

test('a client-second\'s 4xx, 5xx, auth and probe counts are capped at 65,535 (16-bit); the total is not', () => {
  const w = new ClientWindows(10, 5);
  w.add(100, 'a', [70_000, 70_000, 0, 0, 70_000]);
  w.advance(101);
  const a = w.slotOf('a');
  assert.deepEqual([0, 1, 2, 3, 4].map((k) => w.main(a, k)), [70_000, 65_535, 0, 0, 65_535]);
  w.advance(111);
  assert.deepEqual([0, 1, 2, 3, 4].map((k) => w.main(a, k)), [0, 0, 0, 0, 0], 'subtracted exactly as added');
});

test('a client\'s requests in one minute of the long windows are capped at 65,535 (16-bit ring)', () => {
  const w = new ClientWindows(60, 5);
  for (let s = 0; s < 60; s++) w.add(6000 + s, 'a', [2000]); // 120,000 requests in minute 100
  w.advance(6060);
  const a = w.slotOf('a');
  assert.equal(w.main(a, 0), 120_000, 'the main window is exact');
  assert.equal(w.hour(a, 6060), 65_535);
  assert.equal(w.tenMinutes(a, 6060), 65_535);
  assert.equal(w.tenMinutes(a, 6060 + 600), 0, 'and it leaves the window whole');
});

test('slotForId + addAt sum exactly as add(); a stale or wrong id hint still finds the key\'s own slot', () => {
  const byKey = new ClientWindows(3, 1, 2);
  const byId = new ClientWindows(3, 1, 2);
  const feed = (t: number, rows: Array<[string, number, number[]]>) => {
    const counts = new Float64Array(rows.length * 5 + 5);
    rows.forEach(([key, id, c], i) => {
      counts.set(c, i * 5 + 5); // an offset of one row: addAt reads from `off`
      byKey.add(t, key, c);
      if (t >= byId.windowStart && c[0] > 0) byId.addAt(byId.slotForId(id, key), t, counts, i * 5 + 5);
    });
  };
  const same = (now: number) => {
    for (const k of ['a', 'b', 'c', 'd']) {
      const s1 = byKey.slotOf(k);
      const s2 = byId.slotOf(k);
      assert.equal(s1 >= 0, s2 >= 0, k);
      if (s1 < 0) continue;
      for (let sig = 0; sig < 5; sig++) {
        assert.equal(byId.main(s2, sig), byKey.main(s1, sig), `${k} main ${sig}`);
        assert.equal(byId.short(s2, sig), byKey.short(s1, sig), `${k} short ${sig}`);
      }
      assert.equal(byId.tenMinutes(s2, now), byKey.tenMinutes(s1, now), k);
    }
    assert.equal(byId.size, byKey.size);
  };
  feed(100, [['a', 0, [5, 1, 0, 2, 0]], ['b', 1, [2, 0, 1, 0, 1]]]);
  byKey.advance(101);
  byId.advance(101);
  same(101);
  // A wrong id (b's) for c, and an id never seen for a: both end up in the key's own slot.
  feed(101, [['c', 1, [3, 0, 0, 0, 0]], ['a', 9, [1, 0, 0, 0, 70_000]]]);
  byKey.advance(102);
  byId.advance(102);
  same(102);
  // Forgiven: counts of seconds up to the forgiven one are dropped through addAt too.
  byKey.forgive('a');
  byId.forgive('a');
  feed(101, [['a', 0, [4, 0, 0, 0, 0]]]);
  feed(102, [['a', 0, [6, 0, 0, 0, 0]]]);
  byKey.advance(103);
  byId.advance(103);
  same(103);
  // Everyone leaves, an hour passes: slots are freed and reused by other keys; the old hints must not mislead.
  byKey.advance(103 + 3700);
  byId.advance(103 + 3700);
  assert.equal(byId.slotOf('a'), -1);
  feed(3803, [['d', 5, [1, 0, 0, 0, 0]], ['b', 0, [2, 0, 0, 0, 0]], ['a', 1, [7, 0, 0, 0, 0]]]);
  byKey.advance(3804);
  byId.advance(3804);
  same(3804);
  assert.equal(byId.keyAt(byId.slotForId(1, 'a')), 'a');
});
