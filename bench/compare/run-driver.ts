// Starting bench traffic in the client namespace, shared by bench/compare and bench/live-flood: the driver process
// (driver.ts) for one role, and a reachability check before traffic starts.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../test/harness/nginx.js';
import type { BenchNetwork } from './network.js';
import type { DriverResult } from './outcome.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs the driver (dist/bench/compare/driver.js) in the client namespace for one role (`['replay']` or
 * `['attack', 'i']`) of the plan in `planFile`, with its clock starting at `start` (epoch ms); resolves with its
 * per-address results. Aborting `signal` kills the driver (the promise then rejects).
 * @example const r = await runDriver(net, planFile, Date.now() + 3000, url, ['attack', '0']);
 */
export function runDriver(net: BenchNetwork, planFile: string, start: number, url: string, role: string[], signal?: AbortSignal): Promise<DriverResult> {
  const js = join(repoRoot, 'dist/bench/compare/driver.js');
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', net.clientNs, process.execPath, js, planFile, String(start), url, ...role],
      { stdio: ['ignore', 'pipe', 'pipe'], signal });
    child.on('error', reject);
    let out = '';
    let err = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (err += b));
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`driver ${role.join(' ')} exited ${code}: ${err}`));
      else resolve(JSON.parse(out) as DriverResult);
    });
  });
}

/**
 * Waits (at most 10 s) until nginx answers `from` (an address in the client namespace); a health check with curl.
 * @example await waitReachable(net, `http://${net.serverV4}:${ng.port}/`, '198.18.0.2');
 */
export async function waitReachable(net: BenchNetwork, url: string, from: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = spawnSync('ip', ['netns', 'exec', net.clientNs, 'curl', '-sf', '-m', '1', '--interface', from, '-o', '/dev/null', url]);
    if (r.status === 0) return;
    if (Date.now() > deadline) throw new Error(`nginx at ${url} does not answer ${from} from the client namespace`);
    await sleep(100);
  }
}
