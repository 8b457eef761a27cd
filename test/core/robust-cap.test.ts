// The poisoning guard's cap: median + k robust sigmas, with a Poisson spread and an absolute floor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { robustCap } from '../../enforcer/core/robust-cap.js';

test('the cap sits k robust sigmas above the median, whatever the outliers', () => {
  const v = new Float64Array(1000);
  for (let i = 0; i < 1000; i++) v[i] = i < 990 ? 100 + (i % 21) - 10 : 1e6; // 1% huge outliers
  const cap = robustCap(v, 1000, { sigmas: 5, floor: 1 });
  // median 100, MAD 5 -> sigma 7.41 (> sqrt(100) = 10? no: 10 wins)
  assert.ok(Math.abs(cap - 150) < 1e-9, `cap ${cap}`);
});

test('a steady count uses the Poisson spread; the floor holds on quiet sites; 0 sigmas or no data is no cap', () => {
  assert.equal(robustCap(Float64Array.from([16, 16, 16, 16]), 4, { sigmas: 10, floor: 1 }), 56);
  assert.equal(robustCap(Float64Array.from([0, 0, 0, 31]), 4, { sigmas: 10, floor: 50 }), 50);
  assert.equal(robustCap(Float64Array.from([1, 2]), 2, { sigmas: 0, floor: 50 }), Infinity);
  assert.equal(robustCap(new Float64Array(4), 0, { sigmas: 10, floor: 50 }), Infinity);
  // Only the first n values are read.
  assert.equal(robustCap(Float64Array.from([4, 4, 4, 999]), 3, { sigmas: 1, floor: 0 }), 6);
});

test('the MAD from one sort equals the MAD from sorting the deviations, odd and even counts', () => {
  let seed = 11;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let trial = 0; trial < 200; trial++) {
    const n = 1 + Math.floor(rnd() * 40);
    const v = Float64Array.from({ length: n }, () => Math.floor(rnd() * 30) * (rnd() < 0.1 ? 50 : 1));
    const s = Float64Array.from(v).sort();
    const median = n % 2 ? s[n >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
    const dev = Float64Array.from(s, (x) => Math.abs(x - median)).sort();
    const mad = n % 2 ? dev[n >> 1] : (dev[n / 2 - 1] + dev[n / 2]) / 2;
    const expected = Math.max(1, median + 2 * Math.max(mad * 1.4826, Math.sqrt(median)));
    assert.equal(robustCap(v, n, { sigmas: 2, floor: 1 }), expected, `values ${Array.from(v)}`);
  }
});
