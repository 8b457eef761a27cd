// Test harness: a real redis-server (Debian's, or valkey-server when installed) started by the test on its own port
// and folder, on loopback or inside a test namespace, stopped by pid. Saves on a clean stop (so a stop and start
// keeps the data, as a real server's restart does).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The server binary, or null. */
export function redisServerBinary(): string | null {
  for (const b of ['/usr/bin/valkey-server', '/usr/bin/redis-server', '/usr/local/bin/valkey-server', '/usr/local/bin/redis-server']) {
    if (existsSync(b)) return b;
  }
  return null;
}

/** Why fleet tests are skipped here, or false. */
export function redisSkipReason(): string | false {
  return redisServerBinary() ? false : 'needs redis-server or valkey-server (apt-get install redis-server; CI installs it)';
}

/** Options of startRedis. */
export interface StartRedisOptions {
  port: number;
  /** Address to listen on (default 127.0.0.1). */
  bind?: string;
  /** Run inside this network namespace. */
  netns?: string;
  /** ACL lines (`user NAME on >PASSWORD ~* &* +@all`) to add; the default user stays as it is unless listed. */
  acl?: string[];
}

/** A running server. */
export interface RunningRedis {
  url: string;
  port: number;
  bind: string;
  pid(): number;
  /** redis-cli inside the same namespace; returns stdout. */
  cli(...args: string[]): string;
  /** SIGTERM (the server saves), then waits for the exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and folder. */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  destroy(): Promise<void>;
}

/**
 * Starts redis-server; resolves once it answers PING.
 * @example const r = await startRedis({ port: 16379 }); ... await r.destroy();
 */
export async function startRedis(opts: StartRedisOptions): Promise<RunningRedis> {
  const bin = redisServerBinary();
  if (!bin) throw new Error('no redis-server or valkey-server');
  const dir = mkdtempSync(join(tmpdir(), 'warden-redis-'));
  const bind = opts.bind ?? '127.0.0.1';
  const wrap = (cmd: string, args: string[]): [string, string[]] => (opts.netns ? ['ip', ['netns', 'exec', opts.netns, cmd, ...args]] : [cmd, args]);
  let child: ChildProcess | null = null;
  const cli = (...args: string[]) => {
    const [c, a] = wrap('redis-cli', ['-h', bind, '-p', String(opts.port), '--no-auth-warning', ...args]);
    return execFileSync(c, a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  };
  const start = async () => {
    const args = ['--port', String(opts.port), '--bind', bind, '--dir', dir, '--save', '3600 1', '--appendonly', 'no',
      '--protected-mode', 'no', '--daemonize', 'no', '--logfile', join(dir, 'redis.log')];
    for (const line of opts.acl ?? []) {
      args.push('--user');
      for (const word of line.replace(/^user /, '').split(' ')) args.push(word);
    }
    const [c, a] = wrap(bin, args);
    child = spawn(c, a, { stdio: 'ignore' });
    const end = Date.now() + 10_000;
    while (Date.now() < end) {
      try {
        if (cli('PING').trim() === 'PONG' || /NOAUTH/.test(cli('PING'))) return;
      } catch {
        /* not yet */
      }
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server did not start on ${bind}:${opts.port}`);
  };
  const stop = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      // `ip netns exec` execs the server, so this pid is the server's.
      c.kill('SIGTERM');
    });
  };
  await start();
  return {
    url: `redis://${bind.includes(':') ? `[${bind}]` : bind}:${opts.port}`,
    port: opts.port,
    bind,
    pid: () => child?.pid ?? 0,
    cli,
    stop,
    start,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
