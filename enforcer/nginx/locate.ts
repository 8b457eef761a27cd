// Finds an nginx with njs >= 0.8: $WARDEN_NGINX, a system nginx, or a Debian trixie root built once with mmdebstrap
// (root only). Used by `warden demo` and by the test harness; a probe loads a config with js_shared_dict_zone.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** No usable nginx: `message` says what was tried and what to install or set. */
export class NginxNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NginxNotFoundError';
  }
}

/** What to do when no nginx with njs >= 0.8 is found (appended to the reasons). */
export const NGINX_INSTALL_HINT =
  'install nginx with njs >= 0.8 (nginx.org packages with nginx-module-njs, or Debian 13 / Ubuntu 24.04+: ' +
  '`apt-get install nginx libnginx-mod-http-js`), or set WARDEN_NGINX=/path/to/nginx (or WARDEN_NGINX=chroot:ROOT), ' +
  'or run as root so a Debian trixie root can be built with mmdebstrap under .cache/';

/**
 * The nginx-warden folder (the one holding package.json), found upwards from this file: works from the sources and
 * from dist/.
 */
export function packageRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pj = join(d, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'nginx-warden') return d;
      } catch {
        /* not ours */
      }
    }
    d = dirname(d);
  }
  return join(dirname(fileURLToPath(import.meta.url)), '../../..');
}

const jsModuleCandidates = [
  '/usr/lib/nginx/modules/ngx_http_js_module.so',
  '/usr/lib64/nginx/modules/ngx_http_js_module.so',
  '/usr/share/nginx/modules/ngx_http_js_module.so',
  '/etc/nginx/modules/ngx_http_js_module.so',
  '/usr/local/nginx/modules/ngx_http_js_module.so',
];

/** Where a path inside the nginx's root is on the host. */
export function hostPath(root: string, p: string): string {
  return root ? join(root, p) : p;
}

/** The argv that runs `b` (through chroot, and inside a network namespace when `ns` is set). */
export function nginxArgv(b: { bin: string; root: string }, args: string[], ns?: string): string[] {
  const argv = b.root ? ['chroot', b.root, b.bin, ...args] : [b.bin, ...args];
  return ns ? ['ip', 'netns', 'exec', ns, ...argv] : argv;
}

/** Runs nginx once (`-v`, `-t`, `-T`) and returns its exit status and output. */
export function runNginx(b: { bin: string; root: string }, args: string[], ns?: string): { status: number; out: string } {
  const full = nginxArgv(b, args, ns);
  const r = spawnSync(full[0], full.slice(1), { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status ?? 1, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/**
 * Checks that `bin` (in `root`) loads a config with js_shared_dict_zone (njs >= 0.8), and `httpExtra` in http {}
 * (e.g. `js_engine qjs;`); returns the binary or a reason.
 */
export function probeNginx(bin: string, root: string, httpExtra = ''): NginxBinary | string {
  const v = runNginx({ bin, root }, ['-v']);
  if (v.status !== 0) return `\`${bin}\` does not run: ${v.out.trim()}`;
  const mod = jsModuleCandidates.find((p) => existsSync(hostPath(root, p)));
  const dirIn = `/tmp/warden-probe-${process.pid}-${Date.now()}`;
  const dirHost = hostPath(root, dirIn);
  mkdirSync(dirHost, { recursive: true });
  try {
    const tryConf = (loadModule: string) => {
      writeFileSync(join(dirHost, 'nginx.conf'),
        `${loadModule}\nerror_log ${dirIn}/error.log;\npid ${dirIn}/nginx.pid;\nevents {}\nhttp { ${httpExtra} js_shared_dict_zone zone=probe:64k; }\n`);
      return runNginx({ bin, root }, ['-t', '-p', `${dirIn}/`, '-c', `${dirIn}/nginx.conf`]);
    };
    const lines = mod ? [`load_module ${mod};`, ''] : [''];
    let last = '';
    for (const lm of lines) {
      const r = tryConf(lm);
      if (r.status === 0) return { bin, root, loadModule: lm, version: v.out.trim() };
      last = r.out.trim();
    }
    const what = httpExtra ? `njs >= 0.8 with \`${httpExtra}\`` : 'njs >= 0.8 (js_shared_dict_zone refused)';
    return `\`${bin}\` has no ${what}: ${last.split('\n')[0]}`;
  } finally {
    rmSync(dirHost, { recursive: true, force: true });
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** A Debian root with nginx and njs that can be built with mmdebstrap. */
export interface DebianRootSpec {
  /** Debian suite (`trixie`: nginx 1.26 + njs 0.8; `sid`: nginx 1.30 + njs 1.0 with QuickJS). */
  suite: string;
  /** Packages for `--include=`. */
  include: string[];
  /** `--aptopt=` values. */
  aptOptions: string[];
  /** Rough size, for the progress line. */
  about: string;
}

/**
 * The Debian roots warden can build: trixie (njs 0.8, what Debian 13 and Ubuntu 24.04 users have; the demo's and the
 * tests' default) and sid (njs 1.0 with both engines, as nginx.org packages; the tests' engine matrix). The sid mirror's
 * Release file can be expired, which apt refuses without Check-Valid-Until false.
 */
export const DEBIAN_ROOTS: Record<'trixie' | 'sid', DebianRootSpec> = {
  trixie: { suite: 'trixie', include: ['nginx', 'libnginx-mod-http-js'], aptOptions: [], about: 'about 15 s and 130 MB' },
  sid: {
    suite: 'sid', include: ['nginx', 'libnginx-mod-http-js', 'njs'], aptOptions: ['Acquire::Check-Valid-Until "false"'],
    about: 'about 35 s and 130 MB',
  },
};

/** The mmdebstrap argv that builds `spec` into `dir`. */
export function mmdebstrapArgs(spec: DebianRootSpec, dir: string): string[] {
  return ['--variant=apt', ...spec.aptOptions.map((o) => `--aptopt=${o}`), `--include=${spec.include.join(',')}`, spec.suite, dir];
}

/**
 * Builds a Debian root with nginx under `root` once (temp dir + rename, guarded by a lock directory `<root>.lock` so
 * that parallel test processes and worktrees sharing .cache build it once); returns a reason on failure, else false.
 * @example const failed = buildDebianRoot(DEBIAN_ROOTS.sid, '.cache/nginx-sid', console.log);
 */
export function buildDebianRoot(spec: DebianRootSpec, root: string, log: (line: string) => void): string | false {
  const nginxIn = join(root, 'usr/sbin/nginx');
  if (existsSync(nginxIn)) return false;
  const lock = `${root}.lock`;
  mkdirSync(dirname(root), { recursive: true });
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
    log(`building a Debian ${spec.suite} root with nginx and njs under ${root} (once, ${spec.about})...`);
    const tmp = `${root}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    const r = spawnSync('mmdebstrap', mmdebstrapArgs(spec, tmp), { encoding: 'utf8', timeout: 600_000 });
    if (r.status !== 0) {
      rmSync(tmp, { recursive: true, force: true });
      return `mmdebstrap failed (install it with apt-get install mmdebstrap): ${(r.stderr || String(r.error)).trim().split('\n').slice(-3).join(' ')}`;
    }
    rmSync(root, { recursive: true, force: true });
    renameSync(tmp, root);
    return false;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Options of locateNginx. */
export interface LocateOptions {
  /** The trixie root to use or build (default <package>/.cache/nginx-trixie). */
  trixieRoot?: string;
  /** Environment (WARDEN_NGINX). */
  env?: NodeJS.ProcessEnv;
  /** Progress lines (building the trixie root). Default: none. */
  log?: (line: string) => void;
}

/**
 * Finds an nginx with njs >= 0.8, or the reason there is none (a string ending with what to install or set).
 * Order: WARDEN_NGINX (`/path/to/nginx` or `chroot:ROOT`), a system nginx with njs >= 0.8, the trixie root (built
 * with mmdebstrap when missing and running as root).
 * @example const n = locateNginx(); if (typeof n === 'string') throw new NginxNotFoundError(n);
 */
export function locateNginx(opts: LocateOptions = {}): NginxBinary | string {
  const env = opts.env ?? process.env;
  const trixieRoot = opts.trixieRoot ?? join(packageRoot(), '.cache/nginx-trixie');
  const given = env.WARDEN_NGINX;
  if (given) {
    if (given.startsWith('chroot:') && process.getuid?.() !== 0) return `WARDEN_NGINX=${given}: chroot needs root`;
    const r = given.startsWith('chroot:') ? probeNginx('/usr/sbin/nginx', given.slice(7)) : probeNginx(given, '');
    return typeof r === 'string' ? `WARDEN_NGINX=${given}: ${r}` : r;
  }
  const reasons: string[] = [];
  for (const p of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx', '/usr/bin/nginx']) {
    if (!existsSync(p)) continue;
    const r = probeNginx(p, '');
    if (typeof r !== 'string') return r;
    reasons.push(r);
  }
  if (process.getuid?.() !== 0) {
    reasons.push('not root: cannot use or build a Debian trixie root');
    return `no nginx with njs >= 0.8: ${reasons.join('; ')}. To fix: ${NGINX_INSTALL_HINT}`;
  }
  const built = buildDebianRoot(DEBIAN_ROOTS.trixie, trixieRoot, opts.log ?? (() => undefined));
  if (built) return `no nginx with njs >= 0.8: ${[...reasons, built].join('; ')}. To fix: ${NGINX_INSTALL_HINT}`;
  const r = probeNginx('/usr/sbin/nginx', trixieRoot);
  return typeof r === 'string' ? `trixie root ${trixieRoot}: ${r}` : r;
}
