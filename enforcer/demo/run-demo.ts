// `warden demo` (what `npm start` runs): a demo nginx with the real warden include and a small site, a tiny upstream,
// and the enforcing daemon with its dashboard, all in one foreground process. Ctrl-C (SIGINT/SIGTERM/SIGHUP) stops
// every part by pid and removes the temporary files; a demo that was killed is cleaned up by the next start.
import { randomBytes } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { resolveConfig } from '../config/find.js';
import { cliTokenPath } from '../config/find.js';
import { hashPassword } from '../api/password.js';
import { locateNginx, packageRoot, type NginxBinary } from '../nginx/locate.js';
import {
  freePort, installWardenFiles, launchNginx, makeNginxDir, portIsFree, startUpstream, type LaunchedNginx, type Upstream,
} from '../nginx/launch.js';
import type { Config } from '../config/schema.js';
import { formatDuration } from '../config/duration.js';
import type { Daemon } from '../daemon/daemon.js';
import { cleanStale, demoAlive, readState, removeState, writeState, type DemoState } from './state.js';

/** Options of runDemo. */
export interface DemoOptions {
  /** Port of the demo site (default 8088, or a free one when 8088 is taken). */
  port?: number;
  out: (line: string) => void;
  err: (line: string) => void;
}

/** Where the demo's files are: its config, nginx template and site under <package>/demo. */
export function demoPaths(pkgRoot = packageRoot()): { pkgRoot: string; configPath: string; template: string; site: string } {
  const d = join(pkgRoot, 'demo');
  return { pkgRoot, configPath: join(d, 'warden.demo.yaml'), template: join(d, 'nginx.demo.conf'), site: join(d, 'site') };
}

/**
 * The demo config (demo/warden.demo.yaml) with its storage paths made absolute, and its data folder (var/demo).
 * @example const { config, varDir } = loadDemoConfig();
 */
export function loadDemoConfig(pkgRoot = packageRoot()): { config: Config; varDir: string; configPath: string } {
  const { configPath } = demoPaths(pkgRoot);
  const { config } = resolveConfig(configPath, {});
  return { config, varDir: dirname(config.storage.database), configPath };
}

/** The demo nginx.conf: the template with its @NAME@ placeholders filled in; throws on one left over. */
export function renderDemoConf(template: string, v: { loadModule: string; dir: string; sitePort: number; upstreamPort: number }): string {
  const text = template
    .replace(/@LOAD_MODULE@/g, v.loadModule)
    .replace(/@DIR@/g, v.dir)
    .replace(/@SITE_PORT@/g, String(v.sitePort))
    .replace(/@UPSTREAM_PORT@/g, String(v.upstreamPort));
  const left = /@[A-Z_]+@/.exec(text);
  if (left) throw new Error(`demo/nginx.demo.conf: unknown placeholder ${left[0]}`);
  return text;
}

/** The demo's upstream: a tiny JSON API behind nginx's /api/. */
export function startDemoUpstream(): Promise<Upstream> {
  return startUpstream((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body) + '\n');
    };
    if (req.url === '/api/time') send(200, { now: new Date().toISOString() });
    else if (req.url === '/api/products') send(200, { products: [{ id: 1, name: 'teapot', price: 12 }, { id: 2, name: 'mug', price: 4 }] });
    else send(404, { error: 'no such endpoint (try /api/time or /api/products)' });
  });
}

async function pickPort(preferred: number): Promise<number> {
  return (await portIsFree(preferred)) ? preferred : await freePort();
}

/**
 * Runs the demo in the foreground until SIGINT/SIGTERM/SIGHUP; returns the exit code.
 * @example process.exitCode = await runDemo({ out: console.log, err: console.error });
 */
export async function runDemo(opts: DemoOptions): Promise<number> {
  const { out, err } = opts;
  const paths = demoPaths();
  const { config, varDir, configPath } = loadDemoConfig(paths.pkgRoot);
  const rel = (p: string) => relative(process.cwd(), p) || '.';

  // One demo at a time; a demo that was killed left its nginx running: stop it and remove its files.
  const old = readState(varDir);
  if (old && demoAlive(old)) {
    err(`warden demo: a demo is already running (pid ${old.pid}): site ${old.siteUrl}, dashboard ${old.dashboardUrl}. ` +
      `Stop it with Ctrl-C in its terminal (or \`kill ${old.pid}\`), or use it: npm run demo:attack`);
    return 1;
  }

  for (const f of ['dist/njs/warden.js', 'dist/njs/warden-internal.js']) {
    if (!existsSync(join(paths.pkgRoot, f))) {
      err(`warden demo: ${f} is missing: run \`npm run build\` first (npm start does it)`);
      return 1;
    }
  }
  const nb: NginxBinary | string = locateNginx({ log: (l) => out(`warden demo: ${l}`) });
  if (typeof nb === 'string') {
    err(`warden demo: ${nb}`);
    return 69;
  }
  if (old) out(`warden demo: ${await cleanStale(varDir, old)}`);
  mkdirSync(varDir, { recursive: true });
  const sitePort = opts.port ?? (await pickPort(8088));
  const apiPreferred = Number(/:(\d+)$/.exec(config.api.listen)?.[1] ?? 8080);
  const apiPort = await pickPort(apiPreferred);
  const internalPort = await freePort();
  const internalUrl = `http://127.0.0.1:${internalPort}`;
  const password = randomBytes(9).toString('base64url');
  config.nginx.url = internalUrl;
  config.api.listen = `127.0.0.1:${apiPort}`;
  config.api.password_hash = await hashPassword(password);

  let upstream: Awaited<ReturnType<typeof startDemoUpstream>> | null = null;
  let nginx: LaunchedNginx | null = null;
  let nginxDir: string | null = null;
  let daemon: Daemon | null = null;
  let stopping: Promise<void> | null = null;
  const stopAll = (): Promise<void> => {
    stopping ??= (async () => {
      const errors: string[] = [];
      const step = async (what: string, fn: () => Promise<void>) => {
        try {
          await fn();
        } catch (e) {
          errors.push(`${what}: ${(e as Error).message}`);
        }
      };
      if (daemon) await step('daemon', () => daemon!.stop());
      if (nginx) await step('nginx', () => nginx!.stop());
      else if (nginxDir) rmSync(nginxDir, { recursive: true, force: true });
      if (upstream) await step('upstream', () => upstream!.close());
      removeState(varDir);
      for (const e of errors) err(`warden demo: while stopping the ${e}`);
    })();
    return stopping;
  };
  // A crash must not leave nginx behind either (SIGTERM: nginx's fast shutdown also ends its workers).
  const killNginxOnExit = () => {
    if (nginx && !nginx.exited()) {
      try {
        process.kill(nginx.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
  };
  process.once('exit', killNginxOnExit);

  let stopSignal: ((sig: string) => void) | null = null;
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  // A Ctrl-C reaches every process of the group (npm, sh, node, nginx), and npm forwards it again: the first one
  // stops the demo, later ones are ignored instead of killing the process halfway through its clean-up.
  let firstSignal: string | null = null;
  const onSignal = (sig: string) => {
    if (firstSignal) return;
    firstSignal = sig;
    stopSignal?.(sig);
  };
  for (const s of signals) process.on(s, onSignal);
  const stopEarly = async () => {
    out(`warden demo: ${firstSignal}: stopping what was started so far...`);
    await stopAll();
    return 0;
  };
  try {
    upstream = await startDemoUpstream();
    // In /tmp (or the chroot's /srv), readable by nginx's unprivileged workers wherever this folder is.
    const { dir, dirInNginx } = makeNginxDir(nb, tmpdir(), 'warden-demo-');
    nginxDir = dir;
    chmodSync(dir, 0o755);
    cpSync(paths.site, join(dir, 'site'), { recursive: true });
    const { secretFile } = installWardenFiles(paths.pkgRoot, dir, dirInNginx, `127.0.0.1:${internalPort}`);
    // The demo daemon holds the secret this nginx includes.
    config.nginx.secret_file = secretFile;
    writeFileSync(join(dir, 'nginx.conf'), renderDemoConf(readFileSync(paths.template, 'utf8'),
      { loadModule: nb.loadModule, dir: dirInNginx, sitePort, upstreamPort: upstream.port }));
    if (firstSignal) return await stopEarly();
    nginx = await launchNginx({ nb, dir, dirInNginx, waitPorts: [sitePort, internalPort], workers: 2 });
    const siteUrl = `http://127.0.0.1:${sitePort}/`;
    const base: Omit<DemoState, 'dashboardUrl'> = {
      pid: process.pid, startedAt: new Date().toISOString(), siteUrl, internalUrl, tokenPath: cliTokenPath(config),
      ladder: config.bans.ladder.map(formatDuration),
      nginx: { pid: nginx.pid, dir, dirInNginx },
    };
    writeState(varDir, { ...base, dashboardUrl: '' });
    if (firstSignal) return await stopEarly();

    const { startDaemon } = await import('../daemon/daemon.js');
    daemon = await startDaemon(config, { configPath });
    if (firstSignal) return await stopEarly();
    const dashboardUrl = `${daemon.apiUrl}/`;
    writeState(varDir, { ...base, dashboardUrl });
    const ver = /nginx\/([\d.]+)/.exec(nb.version)?.[1] ?? '?';
    out([
      '',
      'nginx-warden demo is running. Ctrl-C stops everything it started.',
      '',
      `  demo site:  ${siteUrl}   (nginx ${ver}${nb.root ? ` from ${rel(nb.root)}` : ''}, with the warden include)`,
      `  dashboard:  ${dashboardUrl}`,
      `  login:      password ${password}   (the dashboard has no user name; a new password at every start)`,
      '',
      '  Now, in another terminal:  npm run demo:attack',
      '  (normal visitors plus a 15 s flood from one address; watch the ban appear on the dashboard and run out)',
      '',
      `  Bans: ${base.ladder.join(', ')} for repeat offences, enforced inside nginx (403). Production uses ipset;`,
      '  the demo never touches this machine\'s firewall. Data: ' +
        `${rel(varDir)}/ (delete it to start over). Config: ${rel(configPath)}`,
      '',
    ].join('\n'));
    const sig = await new Promise<string>((resolve) => {
      stopSignal = resolve;
      if (firstSignal) resolve(firstSignal);
      // A Ctrl-C also reaches nginx, which then exits by itself: give our own signal handler time to see it too.
      nginx!.child.once('exit', () => setTimeout(() => resolve(firstSignal ?? 'nginx exited'), 300));
    });
    out(`warden demo: ${sig}: stopping nginx (pid ${nginx.pid}), the daemon and the upstream...`);
    if (sig === 'nginx exited') err(`warden demo: nginx stopped on its own:\n${nginx.errorLog().split('\n').slice(-5).join('\n')}`);
    await stopAll();
    out(`warden demo: stopped. Bans and history stay in ${rel(varDir)}/ for the next start.`);
    return sig === 'nginx exited' ? 1 : 0;
  } catch (e) {
    const er = e as NodeJS.ErrnoException;
    if (er.code === 'EADDRINUSE') err(`warden demo: a port was taken while starting (${er.message}); try again`);
    else err(`warden demo: could not start: ${er.message}`);
    await stopAll();
    return 1;
  } finally {
    for (const s of signals) process.off(s, onSignal);
    process.off('exit', killNginxOnExit);
  }
}
