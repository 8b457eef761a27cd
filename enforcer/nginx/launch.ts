// Runs an nginx found by locate.ts on a config directory: the directory where nginx can see it (inside the chroot root
// when chrooted), the warden include rewritten for it, start in the foreground, wait for its ports, stop by pid.
// Used by `warden demo` and by the test harness.
import { ensureSecret, secretFileText } from './secret-file.js';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { nginxArgv, type NginxBinary } from './locate.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A free TCP port on the host's loopback (probe: listen on 0, close). */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** True when nothing listens on 127.0.0.1:`port` (we can bind it right now). */
export async function portIsFree(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const s = createNetServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** Child pids of `pid` (nginx: its workers). */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** True when every port in `ports` has a listening TCP socket (optionally inside network namespace `ns`). */
export function listening(ports: number[], ns?: string): boolean {
  const argv = ['ss', '-Hltn'];
  const r = ns ? spawnSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8' }) : spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  const out = r.stdout ?? '';
  return ports.every((p) => new RegExp(`:${p}\\s`).test(out));
}

/** A fresh config directory for `nb`: on the host under `hostParent`, or under <root>/srv when chrooted. */
export function makeNginxDir(nb: NginxBinary, hostParent: string, prefix: string): { dir: string; dirInNginx: string } {
  const parentHost = nb.root ? join(nb.root, 'srv') : hostParent;
  mkdirSync(parentHost, { recursive: true });
  const dir = mkdtempSync(join(parentHost, prefix));
  const dirInNginx = nb.root ? `/srv/${dir.slice(parentHost.length + 1)}` : dir;
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  mkdirSync(join(dir, 'logs'), { recursive: true });
  return { dir, dirInNginx };
}

/**
 * The warden nginx.conf with its js_path and internal listen rewritten for a directory. Throws when the file no
 * longer has the lines it rewrites.
 */
export function wardenConfFor(pkgRoot: string, dirInNginx: string, internalListen: string, edit?: (t: string) => string): string {
  let text = readFileSync(join(pkgRoot, 'nginx.conf'), 'utf8');
  const jsPath = /^js_path\s+"[^"]*";/m;
  const listen = /^(\s*)listen 127\.0\.0\.1:9181;/m;
  const secret = /^include \/etc\/nginx\/warden\/secret\.con\[f\];/m;
  if (!jsPath.test(text) || !listen.test(text)) throw new Error('nginx.conf: expected `js_path "...";` and `listen 127.0.0.1:9181;` lines');
  text = text.replace(jsPath, `js_path "${dirInNginx}/";`).replace(listen, `$1listen ${internalListen};`)
    .replace(secret, `include ${dirInNginx}/secret.con[f];`);
  return edit ? edit(text) : text;
}

/**
 * Copies the built njs bundles, the rewritten include (as warden.conf) and nginx-server.conf into `dir`, and writes a
 * new warden secret there (secret.conf, which the include includes); returns the secret and its file (host path).
 * @example const { secretFile } = installWardenFiles(root, dir, dirInNginx, '127.0.0.1:9181'); // `include <dirInNginx>/warden.conf;`
 */
export function installWardenFiles(pkgRoot: string, dir: string, dirInNginx: string, internalListen: string,
  edit?: (t: string) => string, useSecret?: string): { secret: string; secretFile: string } {
  copyFileSync(join(pkgRoot, 'dist/njs/warden.js'), join(dir, 'warden.js'));
  copyFileSync(join(pkgRoot, 'dist/njs/warden-internal.js'), join(dir, 'warden-internal.js'));
  writeFileSync(join(dir, 'warden.conf'), wardenConfFor(pkgRoot, dirInNginx, internalListen, edit));
  copyFileSync(join(pkgRoot, 'nginx-server.conf'), join(dir, 'nginx-server.conf'));
  const secretFile = join(dir, 'secret.conf');
  if (useSecret) writeFileSync(secretFile, secretFileText(useSecret), { mode: 0o600 });
  const { secret } = ensureSecret(secretFile);
  return { secret, secretFile };
}

/** Options of launchNginx. */
export interface LaunchOptions {
  nb: NginxBinary;
  /** The config directory on the host and as nginx sees it; nginx.conf, error.log and nginx.pid live there. */
  dir: string;
  dirInNginx: string;
  /** Ports that must listen before the launch counts as done. */
  waitPorts: number[];
  /** Workers that must run before the launch counts as done. */
  workers: number;
  /** Run inside this network namespace. */
  netns?: string;
  /** Default 15 s. */
  timeoutMs?: number;
  /** Remove `dir` when stopped (default true). */
  removeDir?: boolean;
}

/** A running nginx master (`daemon off`, a child of this process). */
export interface LaunchedNginx {
  pid: number;
  child: ChildProcess;
  exited(): boolean;
  /** nginx's error log so far. */
  errorLog(): string;
  /** Stops nginx (SIGTERM, then SIGKILL after 5 s) and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts nginx on `<dirInNginx>/nginx.conf` (which must say `daemon off;`) and waits for its ports and workers.
 * Throws with nginx's stderr and error log when it does not come up (and leaves nothing running).
 * @example const ng = await launchNginx({ nb, dir, dirInNginx, waitPorts: [8088], workers: 1 }); await ng.stop();
 */
export async function launchNginx(o: LaunchOptions): Promise<LaunchedNginx> {
  const argv = nginxArgv(o.nb, ['-p', `${o.dirInNginx}/`, '-c', `${o.dirInNginx}/nginx.conf`], o.netns);
  const child: ChildProcess = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  child.on('exit', () => (exited = true));
  child.on('error', (err) => {
    exited = true;
    stderr += String(err);
  });
  const errorLog = () => {
    try {
      return readFileSync(join(o.dir, 'error.log'), 'utf8');
    } catch {
      return '';
    }
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
      if (exited || !child.pid) break;
      try {
        process.kill(child.pid, sig);
      } catch {
        /* gone */
      }
      for (let i = 0; i < 100 && !exited; i++) await sleep(50);
    }
    if (o.removeDir !== false) rmSync(o.dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (o.timeoutMs ?? 15_000);
  while (!(listening(o.waitPorts, o.netns) && childrenOf(child.pid ?? 0).length >= o.workers)) {
    if (exited || Date.now() > deadline) {
      const log = errorLog();
      await stop();
      throw new Error(`nginx did not start: ${stderr.trim()}\n${log}`);
    }
    await sleep(30);
  }
  return { pid: child.pid as number, child, exited: () => exited, errorLog, stop };
}

/** A small upstream HTTP server on 127.0.0.1. */
export interface Upstream {
  port: number;
  close(): Promise<void>;
}

/**
 * Starts a tiny HTTP server on 127.0.0.1 (port 0); default answer 200 "upstream ok".
 * @example const up = await startUpstream(); // proxy_pass http://127.0.0.1:${up.port};
 */
export async function startUpstream(handler?: (req: IncomingMessage, res: ServerResponse) => void): Promise<Upstream> {
  const srv: Server = createServer(handler ?? ((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('upstream ok\n');
  }));
  srv.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => {
      srv.closeAllConnections();
      srv.close(() => r());
    }),
  };
}
