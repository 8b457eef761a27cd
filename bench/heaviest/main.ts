// Benchmark of the dashboard's heaviest-clients view (engine.heaviest: three top-10 lists over every client's current,
// 10-minute and 1-hour volume) next to the status' top IPs (engine.status), with 1k, 10k and 100k active clients.
// The dashboard asks for it every 5 s per open page. Run: npm run bench -- heaviest
import { parseConfig } from '../../enforcer/config/load.js';
import { createEngine, engineConfigFrom } from '../../enforcer/core/engine.js';
import type { Counts } from '../../enforcer/core/types.js';
import { buildMatcher } from '../../enforcer/net/cidr.js';

const config = parseConfig({}, {});
const T0 = Date.UTC(2026, 0, 1, 12) / 1000;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

function time(fn: () => unknown, runs: number): { p50: number; p95: number } {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    ms.push(performance.now() - t0);
  }
  return { p50: pct(ms, 0.5), p95: pct(ms, 0.95) };
}

console.log('clients   heaviest(10) p50/p95 ms   status(10) p50/p95 ms');
for (const n of [1_000, 10_000, 100_000]) {
  const engine = createEngine(engineConfigFrom(config), { isAllowed: buildMatcher(['127.0.0.0/8', '::1', '10.0.0.0/24']) });
  const ips = Array.from({ length: n }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  // 120 s of traffic: every client once every 10 s (so each second holds n/10 clients), so all are in the windows.
  for (let t = T0 - 120; t < T0; t++) {
    const per: Record<string, Counts> = {};
    let total = 0;
    for (let i = t % 10; i < n; i += 10) { per[ips[i]] = [1 + (i % 5), 0, 0]; total += 1 + (i % 5); }
    engine.ingest([{ t, global: [total, 0, 0], ips: per }]);
    engine.tick(t + 1);
  }
  const h = time(() => engine.heaviest(T0, 10), 20);
  const s = time(() => engine.status(T0, 10), 20);
  console.log(`${String(n).padStart(7)}   ${h.p50.toFixed(2).padStart(8)} / ${h.p95.toFixed(2).padEnd(8)}        ${s.p50.toFixed(2).padStart(8)} / ${s.p95.toFixed(2)}`);
}
