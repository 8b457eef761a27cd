// Shared machinery of the kernel firewall backends (ipset, nftables, iptables): running a command with retries and
// clear errors, the per-IP change queue, and bisecting a failed batch down to the entries that really fail.
import { spawn } from 'node:child_process';
import type { Clock } from '../../core/types.js';
import { normaliseBanKey } from '../../net/cidr.js';
import { systemClock } from '../clock.js';
import type { Logger } from '../logger.js';
import { BackendUnavailableError, type BanEntry, type CommitResult, type FirewallBackend } from './port.js';

/** What create-backends passes to every kernel firewall backend. */
export interface FirewallOptions {
  /** Base name of the project's sets/chains/tables (config `enforcement.name`, default `warden`). */
  name: string;
  /** iptables chains that jump to the project's chain (default `['INPUT']`; `DOCKER-USER` for Docker-published ports). */
  hookChains: string[];
  /** How many times a failed command is retried. */
  retries: number;
  /** Command prefix: `[]` in production, `['ip', 'netns', 'exec', NS]` in tests. */
  prefix: string[];
  log: Logger;
  /** Clock for turning `until` into timeouts (default: the system clock). */
  clock?: Clock;
  /** Timeout of one command in ms (default 30 000). */
  timeoutMs?: number;
}

/** Largest per-entry timeout ipset accepts (s, ~24.8 days); longer bans are stored as permanent and unbanned by the daemon. */
export const MAX_TIMEOUT_S = 2147483;

/** A firewall command that ran and failed: carries the command line, exit status and stderr. */
export class CommandError extends Error {
  constructor(
    public readonly command: string,
    public readonly status: number | null,
    public readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(`\`${command}\` failed (exit ${status ?? 'signal'}): ${stderr.trim().split('\n').slice(0, 3).join(' | ') || 'no error output'}`, options);
    this.name = 'CommandError';
  }
}

/** Package that provides a firewall binary, for the "not found" message. */
const packageOf: Record<string, string> = {
  ipset: 'ipset', nft: 'nftables', iptables: 'iptables', ip6tables: 'iptables',
  'iptables-restore': 'iptables', 'ip6tables-restore': 'iptables', 'iptables-save': 'iptables',
};

interface RawResult { status: number | null; stdout: string; stderr: string; spawnError?: NodeJS.ErrnoException }

function runOnce(argv: string[], input: string | undefined, timeoutMs: number): Promise<RawResult> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let done = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const finish = (r: RawResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => { /* the command exited before reading its input: its status says why */ });
    // A spawn failure (ENOENT, EACCES) emits 'error' and may never emit 'close'.
    child.on('error', (e) => finish({ status: null, stdout: '', stderr: '', spawnError: e as NodeJS.ErrnoException }));
    child.on('close', (status) => {
      const stderr = Buffer.concat(err).toString('utf8') + (timedOut ? `\nkilled after the ${timeoutMs} ms timeout` : '');
      finish({ status, stdout: Buffer.concat(out).toString('utf8'), stderr });
    });
    child.stdin.end(input ?? '');
  });
}

/** Why a failed run means the backend cannot work at all (binary missing, no permission), or null. */
function unavailableReason(cmd: string, r: RawResult): string | null {
  const hint = `\`${cmd}\` not found: apt-get install ${packageOf[cmd] ?? cmd}`;
  if (r.spawnError?.code === 'ENOENT') return hint;
  if (r.spawnError?.code === 'EACCES' || r.spawnError?.code === 'EPERM') return `cannot run \`${cmd}\`: needs root or CAP_NET_ADMIN`;
  if (r.status === 127 || /exec of ".*" failed: No such file/.test(r.stderr) || /^env: .*No such file/m.test(r.stderr)) return hint;
  if (/Operation not permitted|Permission denied|you must be root|must be run as root/i.test(r.stderr)) {
    return `\`${cmd}\` was refused (${r.stderr.trim().split('\n')[0]}): needs root or CAP_NET_ADMIN`;
  }
  return null;
}

/**
 * Runs `cmd args` (after `fw.prefix`) with optional stdin, retrying `fw.retries` times; returns stdout.
 * Throws BackendUnavailableError (not retried) when the binary is missing or not permitted, CommandError otherwise.
 * @example const out = await runCommand(fw, 'ipset', 'ipset', ['save', 'warden4']);
 */
export async function runCommand(fw: FirewallOptions, backend: string, cmd: string, args: string[],
  opts: { input?: string; retries?: number } = {}): Promise<string> {
  const argv = [...fw.prefix, cmd, ...args];
  const retries = opts.retries ?? fw.retries;
  const shown = [cmd, ...args].join(' ');
  let last: CommandError | null = null;
  for (let attempt = 0; attempt <= retries; attempt++) {
    const r = await runOnce(argv, opts.input, fw.timeoutMs ?? 30_000);
    if (r.status === 0 && !r.spawnError) return r.stdout;
    const why = unavailableReason(cmd, r);
    const failure = new CommandError(shown, r.status, r.stderr || r.spawnError?.message || '', { cause: r.spawnError });
    if (why) throw new BackendUnavailableError(backend, why, { cause: failure });
    last = failure;
    if (attempt < retries) await new Promise((res) => setTimeout(res, 50 * (attempt + 1)));
  }
  throw last as CommandError;
}

/** Like runCommand without retries, but a plain failure (exit status != 0) is returned instead of thrown. */
export async function tryCommand(fw: FirewallOptions, backend: string, cmd: string, args: string[], input?: string):
  Promise<{ ok: true; stdout: string } | { ok: false; error: CommandError }> {
  try {
    return { ok: true, stdout: await runCommand(fw, backend, cmd, args, { input, retries: 0 }) };
  } catch (err) {
    if (err instanceof CommandError) return { ok: false, error: err };
    throw err;
  }
}

/** One pending change for an address or a network (`ip` is canonical: `2001:db8:1:2::/64`); the last change per key wins. */
export type Change = { ip: string; family: 4 | 6; op: 'add'; until: number | null } | { ip: string; family: 4 | 6; op: 'remove' };

/**
 * The change queue every kernel backend uses: addresses and networks normalised (normaliseBanKey), the last change per
 * key wins, invalid keys reported as failures instead of breaking the batch.
 * @example const q = createChangeQueue(); q.add([{ ip: '198.18.1.1', until: null }]); const { changes, invalid } = q.take();
 */
export function createChangeQueue(): {
  add(entries: BanEntry[]): void;
  remove(ips: string[]): void;
  take(): { changes: Change[]; invalid: CommitResult['failed'] };
} {
  let pending = new Map<string, Change>();
  let invalid: CommitResult['failed'] = [];
  const put = (raw: string, op: 'add' | 'remove', until: number | null) => {
    const ip = normaliseBanKey(raw);
    if (ip === null) {
      invalid.push({ ip: String(raw), op, error: 'not an IP address or CIDR' });
      return;
    }
    const family = ip.includes(':') ? 6 : 4;
    pending.delete(ip); // re-insert so the order of the last change is kept
    pending.set(ip, op === 'add' ? { ip, family, op, until } : { ip, family, op });
  };
  return {
    add(entries) { for (const e of entries) put(e.ip, 'add', e.until); },
    remove(ips) { for (const ip of ips) put(ip, 'remove', null); },
    take() {
      const out = { changes: [...pending.values()], invalid };
      pending = new Map();
      invalid = [];
      return out;
    },
  };
}

/**
 * Seconds left until `until` (epoch s) for a kernel timeout: null = permanent (also for bans beyond MAX_TIMEOUT_S,
 * which the daemon unbans itself), 0 = already over (skip it).
 * @example timeoutFor(1000, 400) === 600; timeoutFor(null, 400) === null; timeoutFor(300, 400) === 0
 */
export function timeoutFor(until: number | null, nowS: number): number | null {
  if (until === null) return null;
  const left = Math.ceil(until - nowS);
  if (left <= 0) return 0;
  return left > MAX_TIMEOUT_S ? null : left;
}

/**
 * Applies `changes` with `apply` (one batch). When the batch fails (after its retries) it is split in halves until the
 * failing entries are found; those are returned with their error, every other entry is applied. Never throws.
 * @example const failed = await applyBisecting(changes, (part) => runCommand(fw, 'ipset', 'ipset', ['restore', '-exist'], { input: lines(part) }));
 */
export async function applyBisecting<T extends { ip: string; op: 'add' | 'remove' }>(changes: T[],
  apply: (part: T[], first: boolean) => Promise<unknown>): Promise<CommitResult['failed']> {
  const failed: CommitResult['failed'] = [];
  const step = async (part: T[], first: boolean): Promise<void> => {
    if (!part.length) return;
    try {
      await apply(part, first);
    } catch (err) {
      if (part.length === 1 || err instanceof BackendUnavailableError) {
        // A missing binary or permission fails the whole part at once: no point splitting it.
        for (const c of part) failed.push({ ip: c.ip, op: c.op, error: (err as Error).message });
        return;
      }
      const mid = part.length >> 1;
      await step(part.slice(0, mid), false);
      await step(part.slice(mid), false);
    }
  };
  await step(changes, true);
  return failed;
}

/** Current time in epoch seconds from the backend's clock. */
export function nowSeconds(fw: FirewallOptions): number {
  return (fw.clock ?? systemClock).nowMs() / 1000;
}

/**
 * Runs `fn` after every earlier call finished, so two commits never interleave their commands.
 * @example const serial = serializer(); await serial(() => commitOnce());
 */
export function serializer(): <R>(fn: () => Promise<R>) => Promise<R> {
  let tail: Promise<unknown> = Promise.resolve();
  return <R>(fn: () => Promise<R>) => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

/**
 * The add/remove/commit of a kernel backend: changes wait in a change queue; each commit hands them to `apply` with
 * the time, one commit after another. Invalid addresses join `apply`'s failures, and every failure is logged.
 * @example return { name, init, ...batchingMethods(fw, 'ipset', async (changes, now) => ...), list, shutdown, destroy };
 */
export function batchingMethods(fw: FirewallOptions, backend: string,
  apply: (changes: Change[], nowS: number) => Promise<CommitResult>): Pick<FirewallBackend, 'add' | 'remove' | 'commit'> {
  const queue = createChangeQueue();
  const serial = serializer();
  return {
    add(entries) { queue.add(entries); },
    remove(ips) { queue.remove(ips); },
    commit() {
      return serial(async (): Promise<CommitResult> => {
        const { changes, invalid } = queue.take();
        const r = await apply(changes, nowSeconds(fw));
        const failed = [...invalid, ...r.failed];
        for (const f of failed) fw.log.warn(`backend ${backend}: ${f.op} ${f.ip} failed: ${f.error}`);
        return { added: r.added, removed: r.removed, failed };
      });
    },
  };
}

/**
 * What a batch applied: the adds still in force at `nowS` and the removes, leaving out the failed addresses.
 * @example appliedCounts(changes, failed, now) // { added: 3, removed: 1 }
 */
export function appliedCounts(changes: Change[], failed: CommitResult['failed'], nowS: number): { added: number; removed: number } {
  const bad = new Set(failed.map((f) => f.ip));
  let added = 0;
  let removed = 0;
  for (const c of changes) {
    if (bad.has(c.ip)) continue;
    if (c.op === 'remove') removed++;
    else if (timeoutFor(c.until, nowS) !== 0) added++;
  }
  return { added, removed };
}
