// fail2ban (the Debian package, real) for bench/compare: a private copy of its configuration with two jails on the
// nginx access log, started in the server namespace (`fail2ban-server -f -x -c DIR -s SOCK -p PID`), banning with
// iptables-multiport there; stopped by pid, its directory removed by the caller.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchNetwork } from './network.js';
import type { BanLine } from './outcome.js';

/** Why fail2ban cannot run here, or null. */
export function fail2banMissing(): string | null {
  const r = spawnSync('sh', ['-c', 'command -v fail2ban-server && command -v fail2ban-client'], { encoding: 'utf8' });
  if (r.status !== 0 || !existsSync('/etc/fail2ban/filter.d')) {
    return 'fail2ban is not installed (Debian/Ubuntu: apt-get install fail2ban); bench/compare needs fail2ban-server, fail2ban-client and /etc/fail2ban';
  }
  return null;
}

/** pyinotify when fail2ban's own Python can import it (fail2ban's fastest file backend), else polling. */
export function fail2banBackend(): 'pyinotify' | 'polling' {
  const bin = spawnSync('sh', ['-c', 'command -v fail2ban-server'], { encoding: 'utf8' }).stdout.trim();
  let python = 'python3';
  try {
    const first = readFileSync(bin, 'utf8').split('\n')[0];
    if (first.startsWith('#!')) python = first.slice(2).trim().split(/\s+/)[0];
  } catch {
    /* use python3 */
  }
  return spawnSync(python, ['-c', 'import pyinotify'], { stdio: 'ignore' }).status === 0 ? 'pyinotify' : 'polling';
}

/** The jail settings: a request-rate jail tuned on the replayed traffic, and a 401 jail. */
export interface JailTuning {
  port: number;
  accessLog: string;
  rateMaxretry: number;
  rateFindtime: number;
  backend: 'pyinotify' | 'polling';
}

/** The filter and jail files (printed into docs/benchmarks.md as they are). */
export function fail2banFiles(t: JailTuning): Record<string, string> {
  return {
    'filter.d/bench-nginx-rate.conf': [
      '# Every request line of the nginx access log (combined format) counts.',
      '[Definition]',
      'failregex = ^<HOST> \\S+ \\S+ \\[[^\\]]*\\] "[A-Z]+ ',
      'ignoreregex =',
      'datepattern = ^[^\\[]*\\[({DATE})',
      '',
    ].join('\n'),
    'filter.d/bench-nginx-401.conf': [
      '# Requests answered 401 (failed logins).',
      '[Definition]',
      'failregex = ^<HOST> \\S+ \\S+ \\[[^\\]]*\\] "[^"]*" 401 ',
      'ignoreregex =',
      'datepattern = ^[^\\[]*\\[({DATE})',
      '',
    ].join('\n'),
    'jail.local': [
      '[DEFAULT]',
      'usedns = no',
      'ignoreself = true',
      'ignoreip = 127.0.0.1/8 ::1',
      `backend = ${t.backend}`,
      'banaction = iptables-multiport',
      `port = ${t.port}`,
      'protocol = tcp',
      'bantime = 10m',
      '',
      '# Request rate: maxretry is 1.25 x the most requests one real address sends in any findtime of the replay.',
      '[bench-nginx-rate]',
      'enabled = true',
      'filter = bench-nginx-rate',
      `logpath = ${t.accessLog}`,
      `findtime = ${t.rateFindtime}`,
      `maxretry = ${t.rateMaxretry}`,
      '',
      '# Failed logins: fail2ban\'s stock maxretry and findtime.',
      '[bench-nginx-401]',
      'enabled = true',
      'filter = bench-nginx-401',
      `logpath = ${t.accessLog}`,
      'findtime = 10m',
      'maxretry = 5',
      '',
    ].join('\n'),
  };
}

/** A running fail2ban-server. */
export interface RunningFail2ban {
  pid: number;
  banned(): Set<string>;
  /** Ban lines of fail2ban's log (its times are local time): epoch ms, address, the line. */
  banLog(): BanLine[];
  log(): string;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts fail2ban in the server namespace with the jails of `fail2banFiles(t)`, files under `dir`; resolves once
 * both jails run.
 * @example const f2b = await startFail2ban(net, dir, tuning); try { ... } finally { await f2b.stop(); }
 */
export async function startFail2ban(net: BenchNetwork, dir: string, t: JailTuning): Promise<RunningFail2ban> {
  const conf = join(dir, 'conf');
  cpSync('/etc/fail2ban', conf, { recursive: true });
  // Debian enables an sshd jail in jail.d; only the bench's jails run here.
  for (const f of readdirSync(join(conf, 'jail.d'))) rmSync(join(conf, 'jail.d', f), { recursive: true, force: true });
  writeFileSync(join(conf, 'fail2ban.local'),
    `[DEFAULT]\nloglevel = INFO\nlogtarget = ${dir}/fail2ban.log\ndbfile = ${dir}/fail2ban.sqlite3\n`);
  for (const [name, text] of Object.entries(fail2banFiles(t))) writeFileSync(join(conf, name), text);
  const sock = join(dir, 'fail2ban.sock');
  const child: ChildProcess = spawn('ip', ['netns', 'exec', net.serverNs, 'fail2ban-server', '-f', '-x', '-c', conf, '-s', sock,
    '-p', join(dir, 'fail2ban.pid')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (b) => (stderr += b));
  let exited = false;
  child.on('exit', () => (exited = true));
  const client = (args: string[]) => spawnSync('ip', ['netns', 'exec', net.serverNs, 'fail2ban-client', '-s', sock, ...args], { encoding: 'utf8' });
  const log = () => {
    try {
      return readFileSync(join(dir, 'fail2ban.log'), 'utf8');
    } catch {
      return '';
    }
  };
  const stop = async () => {
    if (exited || !child.pid) return;
    client(['stop']);
    for (let i = 0; i < 100 && !exited; i++) await sleep(50);
    if (!exited) process.kill(child.pid, 'SIGKILL');
    for (let i = 0; i < 40 && !exited; i++) await sleep(50);
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const s = client(['status']);
    if (s.status === 0 && s.stdout.includes('bench-nginx-rate') && s.stdout.includes('bench-nginx-401') &&
      /Jail 'bench-nginx-401' started/.test(log()) && /Jail 'bench-nginx-rate' started/.test(log())) break;
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`fail2ban did not start: ${stderr.trim()}\n${log().split('\n').slice(-20).join('\n')}`);
    }
    await sleep(200);
  }
  return {
    pid: child.pid!,
    banned() {
      const out = net.exec(net.serverNs, 'iptables-save', []);
      return new Set([...out.matchAll(/^-A f2b-\S+ -s (\S+?)(?:\/32)? -j REJECT/gm)].map((m) => m[1]));
    },
    banLog: () => [...log().matchAll(/^(\S+) (\S+),(\d+) .*NOTICE\s+\[\S+\] Ban (\S+)$/gm)]
      .map((m) => ({ atMs: new Date(`${m[1]}T${m[2]}.${m[3]}`).getTime(), ip: m[4], line: m[0] })),
    log,
    stop,
  };
}
