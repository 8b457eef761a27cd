// The engine's tick with the detection rules of issue 11 on and off: 100,000 IPv4 clients, each sending one request
// every 10 s, 80 ticks, the last 60 measured (median, p95, max). Run: npm run bench -- rules-tick
import { parseConfig } from '../../enforcer/config/load.js';
import { createEngine, engineConfigFrom } from '../../enforcer/core/engine.js';
import type { Counts } from '../../enforcer/core/types.js';
import { buildMatcher } from '../../enforcer/net/cidr.js';

const N = 100_000;
const T0 = Date.UTC(2026, 0, 1, 12) / 1000;
const ips = Array.from({ length: N }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
const OFF = { mode: 'off' };

/** Tick times (ms) of an engine with these detection overrides. */
function measure(detection: Record<string, unknown>): { median: number; p95: number; max: number } {
  const engine = createEngine(engineConfigFrom(parseConfig({ detection }, {})), { isAllowed: buildMatcher(['127.0.0.0/8']) });
  const times: number[] = [];
  for (let s = 0; s < 80; s++) {
    const per: Record<string, Counts> = {};
    let total = 0;
    for (let i = s % 10; i < N; i += 10) {
      per[ips[i]] = [1, 0, 0];
      total++;
    }
    engine.ingest([{ t: T0 + s, global: [total, 0, 0], ips: per }]);
    const t = performance.now();
    engine.tick(T0 + s + 1);
    times.push(performance.now() - t);
  }
  const last = times.slice(20).sort((a, b) => a - b);
  return { median: last[last.length >> 1], p95: last[Math.floor(last.length * 0.95)], max: last[last.length - 1] };
}

const cases: Array<[string, Record<string, unknown>]> = [
  ['original rules only', { rules: { burst: OFF, population: OFF, volume: OFF, brute_force: OFF, probing: OFF, spread: OFF } }],
  ['defaults, spread off', { rules: { spread: OFF } }],
  ['defaults', {}],
];
console.log(`engine tick, ${N.toLocaleString()} clients (one request each every 10 s), last 60 of 80 ticks`);
console.log('rules                  median ms   p95 ms   max ms');
for (const [name, d] of cases) {
  const r = measure(d);
  console.log(`${name.padEnd(22)} ${r.median.toFixed(1).padStart(9)} ${r.p95.toFixed(1).padStart(8)} ${r.max.toFixed(1).padStart(8)}`);
}
