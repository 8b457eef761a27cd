// Benchmark of bulk loading and restarting with many bans, on the real daemon (dry-run backend, real SQLite file):
// 100,000 addresses through service.banMany (time, and the longest event-loop stall while it runs: polls must get
// through), then a restart with everything still active (time until the daemon is up, every ban restored).
// Run: npm run bench -- bulk   (BULK=100000)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startDaemon } from '../../enforcer/daemon/daemon.js';
import { parseConfig } from '../../enforcer/config/load.js';
import { createLogger } from '../../enforcer/adapters/logger.js';

const N = Number(process.env.BULK ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), 'warden-bench-bulk-'));
try {
  const config = parseConfig({
    log_level: 'warn', nginx: { url: 'http://127.0.0.1:9', poll_interval: 1 }, enforcement: { backends: ['dry-run'] },
    storage: { database: join(dir, 'warden.db'), audit_log: join(dir, 'audit.log') },
  }, {});
  const opts = { serveHttp: false, onGeneratedPassword: () => {}, hostAddresses: [], log: createLogger('error') };
  const d1 = await startDaemon(config, opts);
  const ips = Array.from({ length: N }, (_, i) => `11.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  let maxGap = 0;
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 10);
  const t0 = performance.now();
  const r = await d1.service.banMany(ips, 7200, 'bench', { addr: '', via: 'cli' });
  const loadMs = performance.now() - t0;
  clearInterval(ticker);
  await d1.stop();
  const t1 = performance.now();
  const d2 = await startDaemon(config, opts);
  const restartMs = performance.now() - t1;
  const restored = d2.service.metrics().bansActive;
  await d2.stop();
  console.log(`bulk load of ${N} addresses: ${(loadMs / 1000).toFixed(1)} s (${Math.round(N / (loadMs / 1000))}/s), ` +
    `${r.banned} banned, longest event-loop stall ${maxGap.toFixed(0)} ms`);
  console.log(`restart with ${restored} active bans: ${(restartMs / 1000).toFixed(1)} s until the daemon is up`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
