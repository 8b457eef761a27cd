// Loaded into the daemon by the soak only (`node --expose-gc --import gc-probe.js cli/main.js start ...`): on SIGUSR2
// runs a full garbage collection and appends process.memoryUsage() as one JSON line to $SOAK_GC_FILE. The heap left
// after a full collection is what a leak grows; heapUsed sampled at random times also holds garbage V8 has not
// collected yet, which climbs for minutes between major collections in a process that allocates little.
import { appendFileSync } from 'node:fs';

const file = process.env.SOAK_GC_FILE;
// Installed in any case: without a handler SIGUSR2 would end the process.
process.on('SIGUSR2', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!file || !gc) return;
  const t0 = performance.now();
  gc();
  const gcMs = performance.now() - t0;
  appendFileSync(file, JSON.stringify({ at: Date.now(), gcMs, ...process.memoryUsage() }) + '\n');
});
