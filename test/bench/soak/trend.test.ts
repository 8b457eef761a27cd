// The soak's memory-trend maths (bench/soak/trend.ts): slope, thirds' medians, the flatness rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isFlat, median, trend, type Sample } from '../../../bench/soak/trend.js';

const series = (n: number, f: (t: number) => number): Sample[] => Array.from({ length: n }, (_, i) => ({ t: i * 5, v: f(i * 5) }));

test('trend: a flat series with GC saw-teeth has slope ~0 and ratio ~1 after the warm-up; a leak does not', () => {
  // 100 MB with a 4 MB saw-tooth, after a warm-up climb from 60 MB that the first 60 s hold.
  const flat = series(120, (t) => (t < 60 ? 60e6 + t * 600e3 : 100e6 + ((t / 5) % 4) * 1e6));
  const f = trend(flat, 60);
  assert.equal(f.n, 108);
  assert.ok(Math.abs(f.slopePerMin) < 0.1e6, `slope ${f.slopePerMin}`);
  assert.ok(Math.abs(f.ratio - 1) < 0.03, `ratio ${f.ratio}`);
  assert.equal(isFlat(f, 0.1, 5e6), true);
  // 2 MB a minute on top: over 10 minutes the last third's median ends ~12 MB (11%) above the first third's.
  const leak = series(120, (t) => 100e6 + ((t / 5) % 4) * 1e6 + (t / 60) * 2e6);
  const l = trend(leak, 60);
  assert.ok(Math.abs(l.slopePerMin - 2e6) < 0.1e6, `slope ${l.slopePerMin}`);
  assert.equal(isFlat(l, 0.1, 5e6), false);
  // Small processes: a few MB of jitter pass on the absolute allowance.
  assert.equal(isFlat({ ...l, firstMedian: 20e6, lastMedian: 24e6 }, 0.1, 5e6), true);
});

test('trend: too few samples is not flat; median of an even list is the upper middle', () => {
  const t = trend([{ t: 0, v: 1 }, { t: 70, v: 1 }], 60);
  assert.equal(t.n, 1);
  assert.equal(isFlat(t, 0.1, 5e6), false);
  assert.equal(median([4, 1, 3, 2]), 3);
  assert.ok(Number.isNaN(median([])));
});
