// The running demo's state file (var/demo/state.json): what `warden demo attack` needs to find the demo, and what a
// later `warden demo` needs to clean up after a demo that was killed without a chance to stop its nginx.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What a running demo writes about itself. */
export interface DemoState {
  /** pid of the `warden demo` process (daemon, upstream and nginx's parent). */
  pid: number;
  startedAt: string;
  siteUrl: string;
  dashboardUrl: string;
  internalUrl: string;
  /** The bearer token file the daemon writes for the local CLI. */
  tokenPath: string;
  /** Ban ladder of the demo config, e.g. ['1m', '2m', '5m', 'permanent']. */
  ladder: string[];
  nginx: { pid: number; dir: string; dirInNginx: string };
  /** Fleet demo (`warden demo --fleet N`): every node's site (the attack spreads its flood over them), the other nodes' nginx. */
  fleetSites?: string[];
  moreNginx?: Array<{ pid: number; dir: string; dirInNginx: string }>;
}

/** Where the state file is, given the demo's data folder (var/demo). */
export function statePath(varDir: string): string {
  return join(varDir, 'state.json');
}

/** Writes the state file (mode 0600). */
export function writeState(varDir: string, s: DemoState): void {
  writeFileSync(statePath(varDir), JSON.stringify(s, null, 2) + '\n', { mode: 0o600 });
}

/** Reads the state file, or null when there is none or it is unreadable. */
export function readState(varDir: string): DemoState | null {
  try {
    return JSON.parse(readFileSync(statePath(varDir), 'utf8')) as DemoState;
  } catch {
    return null;
  }
}

/** Removes the state file (no error when it is gone). */
export function removeState(varDir: string): void {
  rmSync(statePath(varDir), { force: true });
}

/** The command line of a live process, '' when it is gone. */
export function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/** True when `pid` is the `warden demo` process of a state file (alive and running `demo`). */
export function demoAlive(s: DemoState): boolean {
  if (s.pid === process.pid) return false;
  const cmd = cmdlineOf(s.pid);
  return /\bdemo\b/.test(cmd) && !/\bdemo attack\b/.test(cmd);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Cleans up after a demo that died without stopping: stops its nginx (only when that pid still runs nginx on the
 * recorded folder), removes the folder and the state file. Returns one line saying what it did.
 * @example const s = readState(varDir); if (s && !demoAlive(s)) console.log(await cleanStale(varDir, s));
 */
export async function cleanStale(varDir: string, s: DemoState): Promise<string> {
  const done: string[] = [];
  const isOurNginx = (pid: number) => {
    const cmd = cmdlineOf(pid);
    return cmd.includes('nginx') && cmd.includes(s.nginx.dirInNginx);
  };
  if (s.nginx.pid > 0 && isOurNginx(s.nginx.pid)) {
    for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
      try {
        process.kill(s.nginx.pid, sig);
      } catch {
        break;
      }
      for (let i = 0; i < 50 && isOurNginx(s.nginx.pid); i++) await sleep(100);
      if (!isOurNginx(s.nginx.pid)) break;
    }
    done.push(`stopped its nginx (pid ${s.nginx.pid})`);
  }
  if (s.nginx.dir && existsSync(s.nginx.dir)) {
    rmSync(s.nginx.dir, { recursive: true, force: true });
    done.push(`removed ${s.nginx.dir}`);
  }
  removeState(varDir);
  // A fleet demo's other nodes: the same clean-up for each of their nginx.
  for (const n of s.moreNginx ?? []) done.push(await cleanStale(varDir, { ...s, nginx: n, moreNginx: [] }));
  return `found a stale demo from a run that was killed (pid ${s.pid})${done.length ? `: ${done.join(', ')}` : ''}`;
}
