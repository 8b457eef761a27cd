// Benchmark of the API: latency of GET /api/v1/status (app.request, bearer token) with 10k active bans, over the real
// service, store and engine. Run: node build.mjs --only node && node dist/bench/api/main.js
import { performance } from 'node:perf_hooks';
import { createApp } from '../../enforcer/api/app.js';
import { hashPassword } from '../../enforcer/api/password.js';
import { createServiceFixture } from '../../test/api/service-fixture.js';

const BANS = Number(process.env.BANS ?? 10_000);
const RUNS = Number(process.env.RUNS ?? 300);
const TOKEN = 'bench-token-0123456789abcdef';

const fx = createServiceFixture();
try {
  const now = Math.floor(fx.clock.nowMs() / 1000);
  for (let i = 0; i < BANS; i++) {
    const ip = i % 10 === 9 ? `2001:db8::${i.toString(16)}` : `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    fx.engine.manualBan(ip, now, 3600, 'bench');
  }
  const app = createApp(fx.service, {
    auth: { passwordHash: await hashPassword('bench password'), tokens: [TOKEN], sessionTtlSec: 3600, loginAttemptsPerMinute: 5 },
    clock: fx.clock,
  });
  const headers = { authorization: `Bearer ${TOKEN}` };
  let bytes = 0;
  for (let i = 0; i < 20; i++) bytes = (await (await app.request('/api/v1/status', { headers })).text()).length;
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const res = await app.request('/api/v1/status', { headers });
    await res.text();
    times.push(performance.now() - t0);
  }
  const svc: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    fx.service.status();
    svc.push(performance.now() - t0);
  }
  svc.sort((a, b) => a - b);
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(2);
  console.log(`GET /api/v1/status with ${BANS} active bans, ${RUNS} requests, body ${(bytes / 1024).toFixed(0)} KB`);
  console.log(`median ${q(0.5)} ms  p95 ${q(0.95)} ms  max ${q(1)} ms`);
  console.log(`of which service.status() alone (engine view + host figures): median ${svc[Math.floor(svc.length / 2)].toFixed(2)} ms`);
  console.log(`target: median under 5 ms -> ${Number(q(0.5)) < 5 ? 'met' : 'NOT met'}`);
} finally {
  fx.close();
}
