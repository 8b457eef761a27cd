// The real `warden` binary (bin/warden.mjs of the tree under test) run as a user would, for the CLI tests: no config
// or token from the environment unless a test gives one.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = process.env.WARDEN_ROOT ?? process.cwd();
/** The `warden` entry point under test. */
export const wardenBin = join(root, 'bin/warden.mjs');

/**
 * Runs `warden ARGS` to its end (20 s at most); `env` adds to (or overrides) the cleaned environment.
 * @example const r = runWarden(['check', '--config', path]); r.code === 0
 */
export function runWarden(args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [wardenBin, ...args], {
    encoding: 'utf8', env: { ...process.env, WARDEN_CONFIG: '', WARDEN_TOKEN: '', ...env }, timeout: 20_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
