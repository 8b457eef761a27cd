// Test harness: finds an nginx with njs >= 0.8 through the product's locator (enforcer/nginx/locate.ts: WARDEN_NGINX,
// a system nginx, or a Debian trixie root built once with mmdebstrap), starts it through the product's launcher
// (enforcer/nginx/launch.ts) on free loopback ports with a generated config that includes the REAL top-level nginx.conf
// and the BUILT dist/njs/warden.js, and stops it by pid. Also a tiny upstream server for proxied/502 tests.
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { locateNginx, runNginx, type NginxBinary } from '../../enforcer/nginx/locate.js';
import { findEngine, type FoundEngine } from './engines.js';
import { signedFetch } from './signed-fetch.js';
import {
  childrenOf, freePort, installWardenFiles, launchNginx, makeNginxDir, startUpstream, wardenConfFor as wardenConfIn, type Upstream,
} from '../../enforcer/nginx/launch.js';

export type { NginxBinary };
export { freePort, startUpstream, type Upstream };

/** Repository root (WARDEN_ROOT from the test runner, else two levels above dist/test/harness). */
export const repoRoot: string = process.env.WARDEN_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The cached trixie root: <repo>/.cache/nginx-trixie. */
export const trixieRoot: string = join(repoRoot, '.cache/nginx-trixie');

let found: NginxBinary | string | undefined;
let engine: FoundEngine | undefined;

/**
 * Finds an nginx with njs >= 0.8, or the reason there is none (memoised): the engine WARDEN_TEST_ENGINE names
 * (engines.ts: `trixie-njs`, `sid-njs`, `sid-qjs`, set by scripts/run-tests.mjs for the engine matrix), else
 * locateNginx's (WARDEN_NGINX, a system nginx, the trixie root).
 * @example const n = findNginx(); if (typeof n === 'string') console.log('skip:', n);
 */
export function findNginx(): NginxBinary | string {
  if (found !== undefined) return found;
  const id = process.env.WARDEN_TEST_ENGINE;
  if (id && process.env.WARDEN_TEST_ENGINE_MISSING) {
    found = process.env.WARDEN_TEST_ENGINE_MISSING; // the runner found it missing already (scripts/run-tests.mjs)
  } else if (id) {
    const e = findEngine(id, join(repoRoot, '.cache'));
    if (typeof e === 'string') found = e;
    else {
      engine = e;
      found = e.nb;
    }
  } else {
    found = locateNginx({ trixieRoot });
  }
  return found;
}

/** The matrix engine the tests run on (WARDEN_TEST_ENGINE), or undefined for the default nginx. */
export function testEngine(): FoundEngine | undefined {
  findNginx();
  return engine;
}

/** Why nginx tests are skipped here, or false when they can run (for `test(name, { skip: nginxSkipReason() })`). */
export function nginxSkipReason(): string | false {
  const n = findNginx();
  return typeof n === 'string' ? n : false;
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
  /** Extra directives in http {} after the warden include; `{dir}` becomes the config directory as nginx sees it. */
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
  /**
   * A folder with another version's nginx.conf, nginx-server.conf, warden.js and warden-internal.js to install instead
   * of this checkout's (test/fixtures/njs-v1: the upgrade test).
   */
  wardenFiles?: string;
  /** The warden secret to install (default: a new one); a daemon's own (`readSecret(config.nginx.secret_file)`). */
  secret?: string;
  /** error_log level, default `notice`. */
  errorLogLevel?: string;
  /** Extra files written into the config directory before the start (name -> text), e.g. a test's own njs module. */
  files?: Record<string, string>;
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
  /** Internal listener base URL and its counters endpoint (protocol 2: `/counters?v=2`). */
  internalUrl: string;
  countersUrl: string;
  /** The warden secret this nginx includes (secret.conf) and its file on the host ('' without warden). */
  secret: string;
  secretFile: string;
  /** fetch() on the internal listener signed with the secret (`X-Warden-Auth`), as the daemon does; the answer's signature is checked. */
  internalFetch(path: string, init?: RequestInit): Promise<Response>;
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The warden nginx.conf with its js_path and internal listen rewritten for a test directory. Throws when the file
 * no longer has the lines it rewrites.
 */
export function wardenConfFor(dirInNginx: string, internalListen: string, edit?: (t: string) => string): string {
  return wardenConfIn(repoRoot, dirInNginx, internalListen, edit);
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
  const { dir, dirInNginx } = makeNginxDir(nb, join(repoRoot, '.cache'), 'warden-test-');
  for (const [name, text] of Object.entries(opts.files ?? {})) writeFileSync(join(dir, name), text);
  const norm = (s: ServerSpec | string): ServerSpec => (typeof s === 'string' ? { body: s } : s);
  let servers = opts.servers.map(norm);
  // Distinct ports: freePort() can hand out a port it gave before (seen with parallel suites), and two servers on one
  // port would silently share it (the warden internal server, first in http {}, then answers the test's requests).
  const used = new Set<number>();
  const distinctPort = async (): Promise<number> => {
    for (;;) {
      const p = await freePort();
      if (!used.has(p)) {
        used.add(p);
        return p;
      }
    }
  };
  const ports: number[] = [];
  for (let i = 0; i < servers.length; i++) ports.push(await distinctPort());
  const fixedInternal = opts.internalListen && !opts.internalListen.includes('{port}') ? /:(\d+)$/.exec(opts.internalListen) : null;
  const internalPort = warden ? (fixedInternal ? Number(fixedInternal[1]) : await distinctPort()) : 0;
  const internalListen = (opts.internalListen ?? '127.0.0.1:{port}').replace('{port}', String(internalPort));
  const workers = opts.workers ?? 2;
  let secretInfo = { secret: '', secretFile: '' };
  const writeConfig = () => {
    const blocks = servers.map((s, i) => {
      const listens = (s.listen ?? ['127.0.0.1:{port}']).map((l) => `    listen ${l.replace('{port}', String(ports[i]))};`).join('\n');
      return `  server {\n${listens}\n${s.body.split('{dir}').join(dirInNginx)}\n  }`;
    });
    if (warden) secretInfo = installWardenFiles(repoRoot, dir, dirInNginx, internalListen, opts.editWardenConf, opts.secret);
    if (warden && opts.wardenFiles) {
      for (const f of ['warden.js', 'warden-internal.js', 'nginx-server.conf']) copyFileSync(join(opts.wardenFiles, f), join(dir, f));
      writeFileSync(join(dir, 'warden.conf'), wardenConfIn(opts.wardenFiles, dirInNginx, internalListen, opts.editWardenConf));
    }
    const t = `${dirInNginx}/tmp`;
    writeFileSync(join(dir, 'nginx.conf'), [
      nb.loadModule,
      `worker_processes ${workers};`,
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
      engine?.spec.engine === 'qjs' ? '  js_engine qjs;' : '',
      warden ? `  include ${dirInNginx}/warden.conf;` : '',
      (opts.httpExtra ?? '').split('{dir}').join(dirInNginx),
      ...blocks,
      '}',
      '',
    ].join('\n'));
  };
  writeConfig();
  const confIn = `${dirInNginx}/nginx.conf`;
  const launched = await launchNginx({
    nb, dir, dirInNginx, netns: opts.netns, workers, waitPorts: [...ports, ...(warden ? [internalPort] : [])],
  });
  const pid = launched.pid;
  const internalUrl = `http://127.0.0.1:${internalPort}`;
  return {
    port: ports[0],
    ports,
    internalPort,
    url: (path = '/', i = 0) => `http://127.0.0.1:${ports[i]}${path}`,
    internalUrl,
    countersUrl: `${internalUrl}/counters?v=2`,
    secret: secretInfo.secret,
    secretFile: secretInfo.secretFile,
    internalFetch: (path, init) => signedFetch(`${internalUrl}${path}`, secretInfo.secret, init),
    pid,
    workers: () => childrenOf(pid),
    dir,
    dirInNginx,
    errorLog: launched.errorLog,
    dumpConfig: () => {
      const r = runNginx(nb, ['-T', '-p', `${dirInNginx}/`, '-c', confIn], opts.netns);
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
        if (now.length >= workers) return;
        if (launched.exited() || Date.now() > until) throw new Error(`nginx reload failed:\n${launched.errorLog()}`);
        await sleep(30);
      }
    },
    stop: launched.stop,
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
    const on = testEngine()?.label ?? (typeof found === 'string' ? '' : found?.version ?? '');
    console.error(`--- nginx error log (${ng.dir}/error.log; ${on}) ---\n${ng.errorLog()}--- end of nginx error log ---`);
    throw err;
  } finally {
    await ng.stop();
  }
}

