// Shared pieces of the end-to-end tests: a temp directory, a daemon config pointing at a test nginx, load generators.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { parseConfig } from '../../enforcer/config/load.js';
import type { Config } from '../../enforcer/config/schema.js';

/** A fresh temp directory and its removal. */
export function tempDir(prefix = 'warden-e2e-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A validated config for a daemon under test: its files in `dir`, API on a free port, quiet logs. */
export function testConfig(dir: string, raw: Record<string, unknown>): Config {
  const base = { log_level: 'warn', storage: { database: join(dir, 'warden.db'), audit_log: join(dir, 'audit.log') },
    api: { listen: '127.0.0.1:0' }, nginx: { secret_file: join(dir, 'secret.conf') } };
  const merged: Record<string, unknown> = { ...base, ...raw };
  for (const k of ['storage', 'api', 'nginx'] as const) merged[k] = { ...base[k], ...(raw[k] as object | undefined) };
  return parseConfig(merged);
}

/**
 * Runs `ab` (apache2-utils) with keep-alive and resolves with its exit code; bounded by `n` requests.
 * @example await ab('http://127.0.0.1:8080/', 2000, 8, ['X-Forwarded-For: 203.0.113.9']);
 */
export function ab(url: string, n: number, concurrency: number, headers: string[] = [], prefix: string[] = []): Promise<number> {
  const args = ['-q', '-k', '-n', String(n), '-c', String(concurrency), '-s', '5', ...headers.flatMap((h) => ['-H', h]), url];
  const cmd = prefix.length ? prefix[0] : 'ab';
  const argv = prefix.length ? [...prefix.slice(1), 'ab', ...args] : args;
  return new Promise((resolve) => {
    const p = spawn(cmd, argv, { stdio: 'ignore' });
    p.on('exit', (code) => resolve(code ?? 1));
    p.on('error', () => resolve(127));
  });
}

/** Sends one request every `everyMs` with the given X-Forwarded-For until stopped; counts answers by status. */
export function steadyClient(url: string, ip: string, everyMs: number): { stop: () => Promise<Record<number, number>> } {
  const seen: Record<number, number> = {};
  let stopped = false;
  const run = (async () => {
    while (!stopped) {
      try {
        const r = await fetch(url, { headers: { 'X-Forwarded-For': ip }, signal: AbortSignal.timeout(2000) });
        await r.arrayBuffer();
        seen[r.status] = (seen[r.status] ?? 0) + 1;
      } catch {
        seen[0] = (seen[0] ?? 0) + 1;
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return { stop: async () => { stopped = true; await run; return seen; } };
}

/** Waits until `cond()` is true, checking every `stepMs`; resolves with the time it became true, or null on timeout. */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, stepMs = 10): Promise<number | null> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return Date.now();
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return null;
}
