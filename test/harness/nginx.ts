// Test harness: finds an nginx with njs >= 0.8 (WARDEN_NGINX, a system nginx, or a Debian trixie root built once with
// mmdebstrap), starts it on free loopback ports with a generated config that includes the REAL top-level nginx.conf and
// the BUILT dist/njs/warden.js, and stops it by pid. Also a tiny upstream server for proxied/502 tests.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (WARDEN_ROOT from the test runner, else two levels above dist/test/harness). */
export const repoRoot: string = process.env.WARDEN_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), '../../..');

/** How to run nginx: a binary on this host, or one inside a chroot root. */
export interface NginxBinary {
  /** Path of the binary as seen inside `root` (or on the host when root is ''). */
  bin: string;
  /** The chroot root, '' for none. */
  root: string;
  /** The `load_module` line the config needs ('' when njs is built in or loaded elsewhere). */
  loadModule: string;
  /** `nginx -v` output. */
  version: string;
}

const jsModuleCandidates = [
  '/usr/lib/nginx/modules/ngx_http_js_module.so',
  '/usr/lib64/nginx/modules/ngx_http_js_module.so',
  '/usr/share/nginx/modules/ngx_http_js_module.so',
  '/etc/nginx/modules/ngx_http_js_module.so',
  '/usr/local/nginx/modules/ngx_http_js_module.so',
];

function hostPath(root: string, p: string): string {
  return root ? join(root, p) : p;
}

function run(b: { bin: string; root: string }, args: string[], ns?: string): { status: number; out: string } {
  const argv = b.root ? ['chroot', b.root, b.bin, ...args] : [b.bin, ...args];
  const full = ns ? ['ip', 'netns', 'exec', ns, ...argv] : argv;
  const r = spawnSync(full[0], full.slice(1), { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status ?? 1, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** Checks that `bin` (in `root`) loads a config with js_shared_dict_zone (njs >= 0.8); returns the binary or a reason. */
function probe(bin: string, root: string): NginxBinary | string {
  const v = run({ bin, root }, ['-v']);
  if (v.status !== 0) return `\`${bin}\` does not run: ${v.out.trim()}`;
  const mod = jsModuleCandidates.find((p) => existsSync(hostPath(root, p)));
  const dirIn = `/tmp/warden-probe-${process.pid}-${Date.now()}`;
  const dirHost = hostPath(root, dirIn);
  mkdirSync(dirHost, { recursive: true });
  try {
    const tryConf = (loadModule: string) => {
      writeFileSync(join(dirHost, 'nginx.conf'),
        `${loadModule}\nerror_log ${dirIn}/error.log;\npid ${dirIn}/nginx.pid;\nevents {}\nhttp { js_shared_dict_zone zone=probe:64k; }\n`);
      return run({ bin, root }, ['-t', '-p', `${dirIn}/`, '-c', `${dirIn}/nginx.conf`]);
    };
    const lines = mod ? [`load_module ${mod};`, ''] : [''];
    let last = '';
    for (const lm of lines) {
      const r = tryConf(lm);
      if (r.status === 0) return { bin, root, loadModule: lm, version: v.out.trim() };
      last = r.out.trim();
    }
    return `\`${bin}\` has no njs >= 0.8 (js_shared_dict_zone refused): ${last.split('\n')[0]}`;
  } finally {
    rmSync(dirHost, { recursive: true, force: true });
  }
}

/** The cached trixie root: <repo>/.cache/nginx-trixie. */
export const trixieRoot: string = join(repoRoot, '.cache/nginx-trixie');

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Builds the trixie root once (temp dir + rename, guarded by a lock directory); returns a reason on failure. */
function buildTrixieRoot(): string | false {
  const nginxIn = join(trixieRoot, 'usr/sbin/nginx');
  if (existsSync(nginxIn)) return false;
  const lock = `${trixieRoot}.lock`;
  mkdirSync(dirname(trixieRoot), { recursive: true });
  const deadline = Date.now() + 600_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(nginxIn)) return false;
      if (Date.now() > deadline) return `timed out waiting for ${lock} (remove it if no build is running)`;
      sleepSync(1000);
    }
  }
  try {
    if (existsSync(nginxIn)) return false;
    const tmp = `${trixieRoot}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    const r = spawnSync('mmdebstrap', ['--variant=apt', '--include=nginx,libnginx-mod-http-js', 'trixie', tmp],
      { encoding: 'utf8', timeout: 600_000 });
    if (r.status !== 0) {
      rmSync(tmp, { recursive: true, force: true });
      return `mmdebstrap failed (install it with apt-get install mmdebstrap): ${(r.stderr || String(r.error)).trim().split('\n').slice(-3).join(' ')}`;
    }
    rmSync(trixieRoot, { recursive: true, force: true });
    renameSync(tmp, trixieRoot);
    return false;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

let found: NginxBinary | string | undefined;

/**
 * Finds an nginx with njs >= 0.8, or the reason there is none (memoised).
 * Order: WARDEN_NGINX (`/path/to/nginx` or `chroot:ROOT`), a system nginx with njs >= 0.8, the trixie root (built
 * with mmdebstrap when missing and running as root).
 * @example const n = findNginx(); if (typeof n === 'string') console.log('skip:', n);
 */
export function findNginx(): NginxBinary | string {
  if (found !== undefined) return found;
  const env = process.env.WARDEN_NGINX;
  if (env) {
    found = env.startsWith('chroot:') ? probe('/usr/sbin/nginx', env.slice(7)) : probe(env, '');
    if (typeof found === 'string') found = `WARDEN_NGINX=${env}: ${found}`;
    return found;
  }
  const reasons: string[] = [];
  for (const p of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx', '/usr/bin/nginx']) {
    if (!existsSync(p)) continue;
    const r = probe(p, '');
    if (typeof r !== 'string') return (found = r);
    reasons.push(r);
  }
  const isRoot = process.getuid?.() === 0;
  if (!isRoot && !existsSync(join(trixieRoot, 'usr/sbin/nginx'))) {
    reasons.push('not root: cannot use or build a Debian trixie root (set WARDEN_NGINX)');
    return (found = `no nginx with njs >= 0.8: ${reasons.join('; ')}`);
  }
  const built = buildTrixieRoot();
  if (built) return (found = `no nginx with njs >= 0.8: ${[...reasons, built].join('; ')}`);
  const r = probe('/usr/sbin/nginx', trixieRoot);
  return (found = typeof r === 'string' ? `trixie root: ${r}` : r);
}

/** Why nginx tests are skipped here, or false when they can run (for `test(name, { skip: nginxSkipReason() })`). */
export function nginxSkipReason(): string | false {
  const n = findNginx();
  return typeof n === 'string' ? n : false;
}

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

/** One server block of the generated config. */
export interface ServerSpec {
  /** Directives inside `server {}` (locations etc.); `{dir}` becomes the config directory as nginx sees it. */
  body: string;
  /** listen arguments; `{port}` becomes this server's port. Default `['127.0.0.1:{port}']`. */
  listen?: string[];
}

/** Options of startNginx. */
export interface StartNginxOptions {
  /** worker_processes, default 2. */
  workers?: number;
  /** Extra directives in http {} after the warden include. */
  httpExtra?: string;
  /** Directives in the main context (e.g. `worker_rlimit_nofile 4096;`). */
  mainExtra?: string;
  /**
   * Server blocks; each gets its own free port. A string is a body with the default listen.
   * `include {dir}/nginx-server.conf;` adds the real per-server ban snippet.
   */
  servers: Array<ServerSpec | string>;
  /** Run inside this network namespace (`ip netns exec NS ...`). */
  netns?: string;
  /** Include the warden nginx.conf (default true); false gives the same nginx without warden (benchmarks). */
  warden?: boolean;
  /** listen argument of the internal listener; `{port}` is a free port. Default `127.0.0.1:{port}`. */
  internalListen?: string;
  /** Edits the text of the warden nginx.conf before use (e.g. smaller zones). */
  editWardenConf?: (text: string) => string;
  /** error_log level, default `notice`. */
  errorLogLevel?: string;
}

/** A running nginx. */
export interface RunningNginx {
  /** Port of the first server, and of every server in order. */
  port: number;
  ports: number[];
  /** Internal listener port (0 without warden). */
  internalPort: number;
  /** `http://127.0.0.1:<port><path>` of server `i` (default 0). */
  url(path?: string, i?: number): string;
  /** Internal listener base URL and its counters endpoint. */
  internalUrl: string;
  countersUrl: string;
  /** Master pid (stop by this pid). */
  pid: number;
  /** Worker pids right now. */
  workers(): number[];
  /** The config directory on the host, and as nginx sees it (differs when chrooted). */
  dir: string;
  dirInNginx: string;
  /** nginx's error log so far. */
  errorLog(): string;
  /** `nginx -T` of this config. */
  dumpConfig(): string;
  /** Rewrites the config files (optional) and sends HUP; resolves when a new set of workers runs. */
  reload(newServers?: Array<ServerSpec | string>): Promise<void>;
  /** Stops nginx (SIGTERM, then SIGKILL) and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function listening(ports: number[], ns?: string): boolean {
  const argv = ['ss', '-Hltn'];
  const r = ns ? spawnSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8' }) : spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  const out = r.stdout ?? '';
  return ports.every((p) => new RegExp(`:${p}\\s`).test(out));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The warden nginx.conf with its js_path and internal listen rewritten for a test directory. Throws when the file
 * no longer has the lines it rewrites.
 */
export function wardenConfFor(dirInNginx: string, internalListen: string, edit?: (t: string) => string): string {
  let text = readFileSync(join(repoRoot, 'nginx.conf'), 'utf8');
  const jsPath = /^js_path\s+"[^"]*";/m;
  const listen = /^(\s*)listen 127\.0\.0\.1:9181;/m;
  if (!jsPath.test(text) || !listen.test(text)) throw new Error('nginx.conf: expected `js_path "...";` and `listen 127.0.0.1:9181;` lines');
  text = text.replace(jsPath, `js_path "${dirInNginx}/";`).replace(listen, `$1listen ${internalListen};`);
  return edit ? edit(text) : text;
}

/**
 * Starts nginx with a generated config in a fresh directory (inside the chroot root when chrooted).
 * @example
 *   const ng = await startNginx({ servers: ['location / { return 200 "ok\\n"; }'] });
 *   try { await fetch(ng.url('/')); } finally { await ng.stop(); }
 */
export async function startNginx(opts: StartNginxOptions): Promise<RunningNginx> {
  const nb = findNginx();
  if (typeof nb === 'string') throw new Error(nb);
  const bundle = join(repoRoot, 'dist/njs/warden.js');
  const warden = opts.warden !== false;
  if (warden && !existsSync(bundle)) throw new Error(`${bundle} missing: run \`node build.mjs --only njs\` first`);
  const parentHost = nb.root ? join(nb.root, 'srv') : join(repoRoot, '.cache');
  mkdirSync(parentHost, { recursive: true });
  const dir = mkdtempSync(join(parentHost, 'warden-test-'));
  const dirInNginx = nb.root ? `/srv/${dir.slice(parentHost.length + 1)}` : dir;
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const norm = (s: ServerSpec | string): ServerSpec => (typeof s === 'string' ? { body: s } : s);
  let servers = opts.servers.map(norm);
  const ports: number[] = [];
  for (let i = 0; i < servers.length; i++) ports.push(await freePort());
  const fixedInternal = opts.internalListen && !opts.internalListen.includes('{port}') ? /:(\d+)$/.exec(opts.internalListen) : null;
  const internalPort = warden ? (fixedInternal ? Number(fixedInternal[1]) : await freePort()) : 0;
  const internalListen = (opts.internalListen ?? '127.0.0.1:{port}').replace('{port}', String(internalPort));
  const writeConfig = () => {
    const blocks = servers.map((s, i) => {
      const listens = (s.listen ?? ['127.0.0.1:{port}']).map((l) => `    listen ${l.replace('{port}', String(ports[i]))};`).join('\n');
      return `  server {\n${listens}\n${s.body.split('{dir}').join(dirInNginx)}\n  }`;
    });
    if (warden) {
      copyFileSync(bundle, join(dir, 'warden.js'));
      copyFileSync(join(repoRoot, 'dist/njs/warden-internal.js'), join(dir, 'warden-internal.js'));
      writeFileSync(join(dir, 'warden.conf'), wardenConfFor(dirInNginx, internalListen, opts.editWardenConf));
      copyFileSync(join(repoRoot, 'nginx-server.conf'), join(dir, 'nginx-server.conf'));
    }
    const t = `${dirInNginx}/tmp`;
    writeFileSync(join(dir, 'nginx.conf'), [
      nb.loadModule,
      `worker_processes ${opts.workers ?? 2};`,
      'daemon off;',
      'master_process on;',
      `pid ${dirInNginx}/nginx.pid;`,
      `error_log ${dirInNginx}/error.log ${opts.errorLogLevel ?? 'notice'};`,
      opts.mainExtra ?? '',
      'events { worker_connections 4096; }',
      'http {',
      `  client_body_temp_path ${t}/body; proxy_temp_path ${t}/proxy; fastcgi_temp_path ${t}/fcgi;`,
      `  uwsgi_temp_path ${t}/uwsgi; scgi_temp_path ${t}/scgi;`,
      '  default_type text/plain;',
      warden ? `  include ${dirInNginx}/warden.conf;` : '',
      opts.httpExtra ?? '',
      ...blocks,
      '}',
      '',
    ].join('\n'));
  };
  writeConfig();
  const confIn = `${dirInNginx}/nginx.conf`;
  const argv = [...(nb.root ? ['chroot', nb.root] : []), nb.bin, '-p', `${dirInNginx}/`, '-c', confIn];
  const full = opts.netns ? ['ip', 'netns', 'exec', opts.netns, ...argv] : argv;
  const child: ChildProcess = spawn(full[0], full.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  child.on('exit', () => (exited = true));
  const errorLog = () => {
    try {
      return readFileSync(join(dir, 'error.log'), 'utf8');
    } catch {
      return '';
    }
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (!exited && child.pid) {
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
      for (let i = 0; i < 100 && !exited; i++) await sleep(50);
      if (!exited) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
        for (let i = 0; i < 40 && !exited; i++) await sleep(50);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const waitPorts = [...ports, ...(warden ? [internalPort] : [])];
  const deadline = Date.now() + 15_000;
  while (!(listening(waitPorts, opts.netns) && childrenOf(child.pid ?? 0).length >= (opts.workers ?? 2))) {
    if (exited || Date.now() > deadline) {
      const log = errorLog();
      await stop();
      throw new Error(`nginx did not start: ${stderr.trim()}\n${log}`);
    }
    await sleep(30);
  }
  const pid = child.pid as number;
  const internalUrl = `http://127.0.0.1:${internalPort}`;
  return {
    port: ports[0],
    ports,
    internalPort,
    url: (path = '/', i = 0) => `http://127.0.0.1:${ports[i]}${path}`,
    internalUrl,
    countersUrl: `${internalUrl}/counters`,
    pid,
    workers: () => childrenOf(pid),
    dir,
    dirInNginx,
    errorLog,
    dumpConfig: () => {
      const r = run(nb, ['-T', '-p', `${dirInNginx}/`, '-c', confIn], opts.netns);
      if (r.status !== 0) throw new Error(`nginx -T failed: ${r.out}`);
      return r.out;
    },
    async reload(newServers) {
      if (newServers) servers = newServers.map(norm);
      writeConfig();
      const before = new Set(childrenOf(pid));
      process.kill(pid, 'SIGHUP');
      const until = Date.now() + 15_000;
      for (;;) {
        const now = childrenOf(pid).filter((p) => !before.has(p));
        if (now.length >= (opts.workers ?? 2)) return;
        if (exited || Date.now() > until) throw new Error(`nginx reload failed:\n${errorLog()}`);
        await sleep(30);
      }
    },
    stop,
  };
}

/**
 * Runs `fn` with a started nginx; prints nginx's error log when `fn` throws (a failing test), always stops nginx.
 * @example await withNginx({ servers: ['location / { return 200; }'] }, async (ng) => { ... });
 */
export async function withNginx<T>(opts: StartNginxOptions, fn: (ng: RunningNginx) => Promise<T>): Promise<T> {
  const ng = await startNginx(opts);
  try {
    return await fn(ng);
  } catch (err) {
    console.error(`--- nginx error log (${ng.dir}/error.log) ---\n${ng.errorLog()}--- end of nginx error log ---`);
    throw err;
  } finally {
    await ng.stop();
  }
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
