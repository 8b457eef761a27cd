import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHostStats } from '../../enforcer/adapters/host-stats.js';

test('host-stats returns sane numbers, and CPU% reflects work done between samples', async () => {
  const hs = createHostStats();
  const first = hs.sample();
  const end = Date.now() + 200;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(x + 1); // busy ~200 ms
  assert.ok(x > 0);
  const s = hs.sample();
  for (const v of [first, s]) {
    assert.ok(v.host.cpuPct >= 0 && v.host.cpuPct <= 100, `host cpu ${v.host.cpuPct}`);
    assert.ok(v.host.memTotal > 64 * 2 ** 20 && v.host.memUsed > 0 && v.host.memUsed < v.host.memTotal);
    assert.ok(v.host.load1 >= 0);
    assert.ok(v.process.rss > 10 * 2 ** 20 && v.process.heapUsed > 0 && v.process.heapUsed < v.process.rss);
    assert.ok(v.uptimeSec >= 0 && Number.isInteger(v.uptimeSec));
  }
  // A busy loop uses one core: most of the wall time (the machine is shared, so be lenient).
  assert.ok(s.process.cpuPct > 30 && s.process.cpuPct <= 200, `process cpu ${s.process.cpuPct}`);
  assert.ok(s.host.cpuPct > 0, `host cpu ${s.host.cpuPct}`);
  await new Promise((r) => setTimeout(r, 200));
  const idle = hs.sample();
  assert.ok(idle.process.cpuPct < s.process.cpuPct, `idle ${idle.process.cpuPct} vs busy ${s.process.cpuPct}`);
});
