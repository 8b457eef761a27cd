// The real warden daemon for bench/compare: `warden start` inside the server namespace with the defaults, except
// paths, ports and `dry_run: false` (ipset backend, the default), against the nginx of the run.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../test/harness/nginx.js';
import type { BenchNetwork } from './network.js';
import type { BanLine } from './outcome.js';

/** A running daemon. */
export interface RunningWarden {
  pid: number;
  config: string;
  banned(): Set<string>;
  /** Ban lines of the audit log: epoch ms, address, the line. */
  banLog(): BanLine[];
  /**
   * The daemon's own `banned IP` log lines, with millisecond times: each is written once the ban's firewall batch was
   * committed (the audit log's times are whole seconds).
   */
  banTimes(): BanLine[];
  output(): string;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The generated config: defaults except these lines (printed into docs/benchmarks.md). */
export function wardenConfig(dir: string, internalPort: number | string, apiPort: number | string, secretFile: string): string {
  return [
    'dry_run: false',
    `nginx: { url: "http://127.0.0.1:${internalPort}", secret_file: "${secretFile}" }`,
    `storage: { database: "${dir}/warden.db", audit_log: "${dir}/audit.log" }`,
    `api: { listen: "127.0.0.1:${apiPort}" }`,
    '',
  ].join('\n');
}

/**
 * Starts `node dist/enforcer/cli/main.js start --config <generated>` in the server namespace; resolves once its API
 * answers.
 * @example const w = await startWarden(net, dir, ng); try { ... } finally { await w.stop(); }
 */
export async function startWarden(net: BenchNetwork, dir: string, ng: { internalPort: number; secretFile: string }, apiPort = 18181): Promise<RunningWarden> {
  const config = wardenConfig(dir, ng.internalPort, apiPort, ng.secretFile);
  const file = join(dir, 'warden.yaml');
  writeFileSync(file, config);
  const cli = join(repoRoot, 'dist/enforcer/cli/main.js');
  let out = '';
  const child: ChildProcess = spawn('ip', ['netns', 'exec', net.serverNs, process.execPath, cli, 'start', '--config', file],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (b) => (out += b));
  child.stderr!.on('data', (b) => (out += b));
  let exited = false;
  child.on('exit', () => (exited = true));
  const stop = async () => {
    if (exited || !child.pid) return;
    process.kill(child.pid, 'SIGTERM');
    for (let i = 0; i < 100 && !exited; i++) await sleep(50);
    if (!exited) process.kill(child.pid, 'SIGKILL');
    for (let i = 0; i < 40 && !exited; i++) await sleep(50);
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = spawnSync('ip', ['netns', 'exec', net.serverNs, 'curl', '-sf', '-m', '1', `http://127.0.0.1:${apiPort}/healthz`]);
    if (r.status === 0) break;
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`warden did not start:\n${out}`);
    }
    await sleep(200);
  }
  return {
    pid: child.pid!,
    config,
    banned() {
      const save = net.exec(net.serverNs, 'ipset', ['save']);
      return new Set(save.split('\n').filter((l) => l.startsWith('add ')).map((l) => l.split(' ')[2]));
    },
    banLog() {
      let text = '';
      try {
        text = readFileSync(join(dir, 'audit.log'), 'utf8');
      } catch {
        return [];
      }
      return [...text.matchAll(/^\[(\S+)\] BAN (\S+) .*$/gm)].map((m) => ({ atMs: Date.parse(m[1]), ip: m[2], line: m[0] }));
    },
    banTimes: () => [...out.matchAll(/^(\S+) INFO banned (\S+) .*$/gm)].map((m) => ({ atMs: Date.parse(m[1]), ip: m[2], line: m[0] })),
    output: () => out,
    stop,
  };
}
