// The baseline tracker on its own: settled seconds, idle zeros, floors, hour slots, forgetting and restore.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BaselineTracker, hourOf, withFloors, type BaselineOptions } from '../../enforcer/core/baseline.js';

const opts: BaselineOptions = {
  baselineWindow: 100, window: 10, hourlySlots: true, hourSlotMinSamples: 50, hourSlotMaxSamples: 1000,
  meanFloor: 1, stddevFloor: 0.5, errorMeanFloor: 0.1, skipIdle: false, learnCapSigmas: 0, learnCapFloor: 50,
};
const H = 3600 * 24 * 1000 + 3600 * 5; // 05:00 UTC on some day

test('hourOf is the UTC hour of day', () => {
  assert.equal(hourOf(H), 5);
  assert.equal(hourOf(H + 3599), 5);
  assert.equal(hourOf(H + 3600 * 19), 0);
});

test('rolling uses only settled seconds (older than the per-IP window) and counts idle seconds as zeros', () => {
  const b = new BaselineTracker(opts);
  b.observeFrom(H);
  for (let t = H; t < H + 20; t += 2) b.add(t, 6, 3);
  // At H + 20, settled seconds are [H, H + 10): 5 of 6, 5 idle.
  const r = b.rolling(H + 20);
  assert.deepEqual(r, { samples: 10, mean: 3, stddev: 3, errorMean: 1.5 });
  const skip = new BaselineTracker({ ...opts, skipIdle: true });
  for (let t = H; t < H + 20; t += 2) skip.add(t, 6, 3);
  assert.deepEqual(skip.rolling(H + 20), { samples: 5, mean: 6, stddev: 0, errorMean: 3 });
  // Late counts add up; traffic can be taken back out.
  b.add(H, 4, 0);
  b.add(H, -10, -3);
  assert.equal(b.sum(H, H + 1).total, 0);
  assert.deepEqual(b.sum(H, H + 20), { total: 54, errors: 27 });
});

test('withFloors raises what is under the floors and says so', () => {
  const f = withFloors({ samples: 10, mean: 0.4, stddev: 0.1, errorMean: 0 }, 'rolling', opts, 7);
  assert.deepEqual(f, { mean: 1, stddev: 0.5, errorMean: 0.1, rawMean: 0.4, rawStddev: 0.1, samples: 10, source: 'floor', computedAt: 7 });
  const h = withFloors({ samples: 10, mean: 4, stddev: 2, errorMean: 1 }, 'hour_slot', opts, 7, 5);
  assert.equal(h.source, 'hour_slot');
  assert.equal(h.hour, 5);
});

test('hour slots: settled seconds feed them; the slot is preferred from min samples; a long jump adds zeros in bulk', () => {
  const b = new BaselineTracker(opts);
  b.observeFrom(H);
  for (let t = H; t < H + 60; t++) b.add(t, 2, 0);
  b.complete(H, H + 40);
  assert.equal(b.slot(5).samples, 40);
  assert.equal(b.compute(H + 50).source, 'rolling');
  b.complete(H + 40, H + 60);
  const c = b.compute(H + 70);
  assert.equal(c.source, 'hour_slot');
  assert.equal(c.mean, 2);
  // Jump two days: 60 seconds of data, everything else idle; each slot gets its hours' zeros (capped at 1000 samples).
  b.complete(H + 60, H + 2 * 86400);
  const slots = b.slots();
  assert.equal(slots[5].samples, 1000);
  assert.ok(slots[5].mean === 0); // the day's 05:00 zeros replaced the 60 samples of 2
  assert.equal(slots[6].samples, 1000);
  assert.equal(slots[6].mean, 0);
});

test('restoreSlots puts saved slots back', () => {
  const b = new BaselineTracker(opts);
  b.restoreSlots([{ hour: 5, mean: 3, stddev: 1, samples: 600, errorMean: 0.2 }]);
  const s = b.slot(5);
  assert.equal(s.samples, 600);
  assert.ok(Math.abs(s.mean - 3) < 1e-9 && Math.abs(s.stddev - 1) < 1e-9 && Math.abs(s.errorMean - 0.2) < 1e-9);
  assert.equal(b.compute(H).source, 'hour_slot');
});

test('poisoning guard: a spray from thousands of addresses is learned at the cap, ordinary seconds as they came', () => {
  const o: BaselineOptions = { ...opts, baselineWindow: 1800, window: 60, hourSlotMinSamples: 600, hourSlotMaxSamples: 7 * 3600, learnCapSigmas: 10 };
  const guarded = new BaselineTracker(o);
  const open = new BaselineTracker({ ...o, learnCapSigmas: 0 });
  // 30 minutes of a steady 20 req/s site (18..22), then 2 minutes of a 2,500 req/s spray (300,000 requests).
  const T = H;
  const feed = (t: number, n: number) => { guarded.add(t, n, 0); open.add(t, n, 0); };
  for (let t = T; t < T + 1800; t++) feed(t, 18 + (t % 5));
  guarded.complete(T, T + 1800 - 60);
  open.complete(T, T + 1800 - 60);
  const cap = guarded.updateCap(T + 1800);
  // median 20, MAD 1 (x1.48 < sqrt(20) = 4.47): cap = 20 + 10 x 4.47 = 64.7
  assert.ok(Math.abs(cap - (20 + 10 * Math.sqrt(20))) < 1e-9, `cap ${cap}`);
  for (let t = T + 1800; t < T + 1920; t++) feed(t, 2500);
  for (let t = T + 1920; t < T + 2400; t++) feed(t, 18 + (t % 5));
  guarded.complete(T + 1740, T + 2340);
  open.complete(T + 1740, T + 2340);
  const g = guarded.slot(hourOf(T));
  const u = open.slot(hourOf(T));
  // Unguarded, the spray teaches a mean of ~145 and a stddev of ~590; guarded, the slot stays near the site's own.
  assert.ok(u.mean > 140 && u.stddev > 500, `unguarded ${u.mean} ${u.stddev}`);
  assert.ok(g.mean < 23 && g.stddev < 10, `guarded ${g.mean} ${g.stddev}`);
  // The rolling history is clipped the same way, and the spray did not move the cap (it is under half the history).
  assert.ok(guarded.rolling(T + 2400).mean < 26);
  assert.ok(open.rolling(T + 2400).mean > 150);
  assert.ok(guarded.compute(T + 2400).rawMean < 23);
  assert.ok(guarded.learnCap < 70);
});

test('poisoning guard: a quiet site keeps its spiky page-load seconds (the cap has a floor)', () => {
  const b = new BaselineTracker({ ...opts, learnCapSigmas: 10, learnCapFloor: 50 });
  b.observeFrom(H);
  // Mostly idle, a page load of 31 requests every 10 s.
  for (let t = H; t < H + 200; t += 10) b.add(t, 31, 0);
  assert.equal(b.updateCap(H + 200), 50);
  assert.equal(b.rolling(H + 200).mean, 3.1);
  assert.equal(b.observedSeconds(H + 200), 190);
  assert.equal(new BaselineTracker(opts).observedSeconds(H), 0);
});
