// `warden demo --fleet N` (`npm start -- --fleet 3`): fleet mode on one machine (docs/fleet.md). A local
// redis-server/valkey-server on a free loopback port, N demo nginx (each its own site port and internal listener, the
// real include) and N daemons in this process, each a fleet node with its own database and dashboard. Ctrl-C stops
// every part by pid and removes the temporary files. `warden demo attack` then spreads its flood over the N sites.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { cliTokenPath } from '../config/find.js';
import { hashPassword } from '../api/password.js';
import { locateNginx } from '../nginx/locate.js';
import { freePort, installWardenFiles, launchNginx, makeNginxDir, type LaunchedNginx, type Upstream } from '../nginx/launch.js';
import type { Config } from '../config/schema.js';
import { formatDuration } from '../config/duration.js';
import type { Daemon } from '../daemon/daemon.js';
import { demoPaths, loadDemoConfig, renderDemoConf, startDemoUpstream } from './run-demo.js';
import { demoAlive, readState, removeState, writeState, cleanStale } from './state.js';

/** Options of runFleetDemo. */
export interface FleetDemoOptions {
  nodes: number;
  out: (line: string) => void;
  err: (line: string) => void;
}

/** The server binary the demo starts, or null (then it says what to install). */
export function findValkeyServer(): string | null {
  for (const b of ['/usr/bin/valkey-server', '/usr/local/bin/valkey-server', '/usr/bin/redis-server', '/usr/local/bin/redis-server']) {
    if (existsSync(b)) return b;
  }
  return null;
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

/**
 * Runs the fleet demo until SIGINT/SIGTERM/SIGHUP; returns the exit code.
 * @example process.exitCode = await runFleetDemo({ nodes: 3, out: console.log, err: console.error });
 */
export async function runFleetDemo(opts: FleetDemoOptions): Promise<number> {
  const { out, err } = opts;
  const server = findValkeyServer();
  if (!server) {
    err('warden demo --fleet: needs a Valkey or Redis server binary: `apt-get install redis-server` (Debian 12+, Ubuntu) ' +
      'or `apt-get install valkey-server` (Debian 13+); it is started on a free loopback port and stopped with the demo');
    return 69;
  }
  const paths = demoPaths();
  const { config: base, varDir, configPath } = loadDemoConfig(paths.pkgRoot);
  const rel = (p: string) => relative(process.cwd(), p) || '.';
  const old = readState(varDir);
  if (old && demoAlive(old)) {
    err(`warden demo: a demo is already running (pid ${old.pid}): dashboard ${old.dashboardUrl}. Stop it with Ctrl-C in its terminal first`);
    return 1;
  }
  const nb = locateNginx({ log: (l) => out(`warden demo: ${l}`) });
  if (typeof nb === 'string') {
    err(`warden demo: ${nb}`);
    return 69;
  }
  if (old) out(`warden demo: ${await cleanStale(varDir, old)}`);
  const fleetDir = join(varDir, 'fleet');
  mkdirSync(join(fleetDir, 'valkey'), { recursive: true });
  const password = randomBytes(9).toString('base64url');
  const passwordHash = await hashPassword(password);

  let valkey: ChildProcess | null = null;
  let upstream: Upstream | null = null;
  const nginxes: LaunchedNginx[] = [];
  const nginxDirs: Array<{ pid: number; dir: string; dirInNginx: string }> = [];
  const daemons: Daemon[] = [];
  const stopAll = async () => {
    for (const d of daemons.splice(0)) await d.stop().catch((e: Error) => err(`warden demo: stopping a daemon: ${e.message}`));
    for (const n of nginxes.splice(0)) await n.stop().catch(() => undefined);
    if (upstream) await upstream.close().catch(() => undefined);
    if (valkey && valkey.exitCode === null) {
      const v = valkey;
      await new Promise<void>((r) => { v.once('exit', () => r()); v.kill('SIGTERM'); });
    }
    removeState(varDir);
  };
  let firstSignal: string | null = null;
  let wake: ((s: string) => void) | null = null;
  const onSignal = (sig: string) => {
    if (firstSignal) return;
    firstSignal = sig;
    wake?.(sig);
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const s of signals) process.on(s, onSignal);
  try {
    const vport = await freePort();
    valkey = spawn(server, ['--port', String(vport), '--bind', '127.0.0.1', '--dir', join(fleetDir, 'valkey'), '--save', '60 1',
      '--appendonly', 'no', '--daemonize', 'no', '--logfile', join(fleetDir, 'valkey', 'server.log')], { stdio: 'ignore' });
    const end = Date.now() + 5000;
    while (!(await portAnswers(vport))) {
      if (Date.now() > end || valkey.exitCode !== null) throw new Error(`${server} did not start (see ${rel(join(fleetDir, 'valkey', 'server.log'))})`);
      await new Promise((r) => setTimeout(r, 50));
    }
    upstream = await startDemoUpstream();
    const { startDaemon } = await import('../daemon/daemon.js');
    const sites: string[] = [];
    const dashboards: string[] = [];
    for (let i = 1; i <= opts.nodes; i++) {
      const sitePort = await freePort();
      const internalPort = await freePort();
      const { dir, dirInNginx } = makeNginxDir(nb, tmpdir(), `warden-demo-n${i}-`);
      chmodSync(dir, 0o755);
      cpSync(paths.site, join(dir, 'site'), { recursive: true });
      const { secretFile } = installWardenFiles(paths.pkgRoot, dir, dirInNginx, `127.0.0.1:${internalPort}`);
      writeFileSync(join(dir, 'nginx.conf'), renderDemoConf(readFileSync(paths.template, 'utf8'),
        { loadModule: nb.loadModule, dir: dirInNginx, sitePort, upstreamPort: upstream.port }));
      const ng = await launchNginx({ nb, dir, dirInNginx, waitPorts: [sitePort, internalPort], workers: 1 });
      nginxes.push(ng);
      nginxDirs.push({ pid: ng.pid, dir, dirInNginx });
      const nodeDir = join(fleetDir, `node${i}`);
      const config: Config = {
        ...base,
        // Each daemon holds the secret its own nginx includes.
        nginx: { ...base.nginx, url: `http://127.0.0.1:${internalPort}`, secret_file: secretFile },
        storage: { database: join(nodeDir, 'warden.db'), audit_log: join(nodeDir, 'audit.log') },
        api: { ...base.api, listen: `127.0.0.1:${await freePort()}`, password_hash: passwordHash },
        fleet: { url: `redis://127.0.0.1:${vport}`, node: `demo${i}`, prefix: '{warden-demo}:', mode: 'standalone', hosts: [],
          sentinel_name: 'mymaster', tls_ca: '', lease: 3, read_delay_ms: 350, stream_length: 100_000 },
      };
      const d = await startDaemon(config, { configPath, onGeneratedPassword: () => {} });
      daemons.push(d);
      sites.push(`http://127.0.0.1:${sitePort}/`);
      dashboards.push(`${d.apiUrl}/`);
      if (firstSignal) break;
    }
    if (!firstSignal) {
      writeState(varDir, {
        pid: process.pid, startedAt: new Date().toISOString(), siteUrl: sites[0], dashboardUrl: dashboards[0],
        internalUrl: daemons[0].config.nginx.url, tokenPath: cliTokenPath(daemons[0].config), ladder: base.bans.ladder.map(formatDuration),
        nginx: nginxDirs[0], fleetSites: sites, moreNginx: nginxDirs.slice(1),
      });
      out([
        '',
        `nginx-warden fleet demo: ${opts.nodes} nodes on one Valkey/Redis (${server} on 127.0.0.1:${vport}). Ctrl-C stops everything.`,
        '',
        ...sites.map((s, i) => `  node demo${i + 1}:  site ${s}   dashboard ${dashboards[i]}`),
        `  login:       password ${password}   (the same on every dashboard; a new one at every start)`,
        '',
        '  Now, in another terminal:  npm run demo:attack',
        '  (the flood is spread over the nodes: each sees a third of it, the deciding node sees the sum, and every',
        '   node refuses the flooder within about a second; the dashboards list the nodes and who decides)',
        '',
        `  Data: ${rel(fleetDir)}/ (delete it to start over). Design: docs/fleet.md`,
        '',
      ].join('\n'));
      const sig = await new Promise<string>((resolve) => { wake = resolve; if (firstSignal) resolve(firstSignal); });
      out(`warden demo: ${sig}: stopping the daemons, nginx, the upstream and the server...`);
    }
    await stopAll();
    out(`warden demo: stopped. Bans and history stay in ${rel(fleetDir)}/.`);
    return 0;
  } catch (e) {
    err(`warden demo --fleet: could not start: ${(e as Error).message}`);
    await stopAll();
    return 1;
  } finally {
    for (const s of signals) process.off(s, onSignal);
  }
}
