import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { createHostStats } from '../../enforcer/adapters/host-stats.js';

test('host-stats returns sane numbers, and process CPU% matches the CPU time used between samples', async () => {
  const hs = createHostStats();
  const first = hs.sample();
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  const end = Date.now() + 200;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(x + 1); // busy ~200 ms
  assert.ok(x > 0);
  const c1 = process.cpuUsage(c0);
  const expected = (100 * (c1.user + c1.system)) / 1000 / (performance.now() - w0);
  const s = hs.sample();
  for (const v of [first, s]) {
    assert.ok(v.host.cpuPct >= 0 && v.host.cpuPct <= 100, `host cpu ${v.host.cpuPct}`);
    assert.ok(v.host.memTotal > 64 * 2 ** 20 && v.host.memUsed > 0 && v.host.memUsed < v.host.memTotal);
    assert.ok(v.host.load1 >= 0);
    assert.ok(v.process.rss > 10 * 2 ** 20 && v.process.heapUsed > 0 && v.process.heapUsed < v.process.rss);
    assert.ok(v.uptimeSec >= 0 && Number.isInteger(v.uptimeSec));
  }
  // The machine is shared, so the busy loop may get little of a core; the sample must agree with what it got.
  assert.ok(s.process.cpuPct > 0, `process cpu ${s.process.cpuPct}`);
  assert.ok(Math.abs(s.process.cpuPct - expected) < 10 + expected * 0.2, `process cpu ${s.process.cpuPct}, measured ${expected.toFixed(1)}`);
  assert.ok(s.host.cpuPct > 0, `host cpu ${s.host.cpuPct}`);
});
