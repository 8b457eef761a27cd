// First-run set-up shared by `npm start`, `npm test` and `npm run bench`: installs the missing Debian/Ubuntu packages
// of scripts/system-packages.json (as root with apt-get; printing what it installs), then the npm dependencies.
// Usage: node scripts/setup.mjs [start|test|bench]   (start: the demo; test and bench: start + test)
// WARDEN_NO_APT=1 never runs apt-get (only reports what is missing). Without root or apt-get nothing is installed:
// the missing packages are listed with the command to install them, and the tests that need them skip by name.
import { existsSync, readFileSync, writeFileSync, rmSync, chmodSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// bench: the test packages (wrk, ab, fail2ban...); bench/overhead's callgrind installs valgrind inside its scratch root.
const GROUPS = { start: ['start'], test: ['start', 'test'], bench: ['start', 'test'] };

const what = process.argv[2] ?? 'start';
if (!GROUPS[what]) {
  console.error(`setup: unknown argument \`${what}\` (expected start, test or bench)`);
  process.exit(2);
}

/** True when `cmd` is on the PATH or in an sbin folder (a non-root PATH often lacks them). */
function hasCommand(cmd) {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  return dirs.some((d) => d && existsSync(join(d, cmd)));
}

/** True when dpkg says `pkg` is installed (false without dpkg). */
function dpkgInstalled(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && /install ok installed/.test(r.stdout);
}

/** The packages of `groups` that are missing here. */
function missing(groups) {
  const list = JSON.parse(readFileSync(join(root, 'scripts/system-packages.json'), 'utf8')).packages;
  return list.filter((p) => groups.includes(p.group))
    .filter((p) => (p.commands ? !p.commands.every(hasCommand) : hasCommand('dpkg-query') && !dpkgInstalled(p.package)));
}

function aptInstall(pkgs) {
  const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return r.status === 0;
}

const absent = missing(GROUPS[what]);
if (absent.length > 0) {
  const names = absent.map((p) => p.package);
  const canApt = process.getuid?.() === 0 && hasCommand('apt-get') && process.env.WARDEN_NO_APT !== '1';
  if (!canApt) {
    const why = process.env.WARDEN_NO_APT === '1' ? 'WARDEN_NO_APT=1' : process.getuid?.() !== 0 ? 'not root' : 'no apt-get';
    console.log(`setup: missing system packages (${why}, not installing): ${names.join(' ')}`);
    console.log(`setup: to install them: sudo apt-get install --no-install-recommends ${names.join(' ')}`);
    if (what !== 'start') console.log('setup: the tests that need them report themselves as skipped, naming the package');
  } else {
    console.log(`setup: installing system packages with apt-get: ${names.join(' ')}`);
    for (const p of absent) console.log(`setup:   ${p.package}: ${p.why}`);
    const upd = spawnSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (upd.status !== 0) console.log('setup: apt-get update failed; trying the install with the lists as they are');
    const plain = absent.filter((p) => !p.noStart).map((p) => p.package);
    const noStart = absent.filter((p) => p.noStart).map((p) => p.package);
    const failed = [];
    if (plain.length && !aptInstall(plain)) failed.push(...plain);
    if (noStart.length) {
      // Service starts refused while these install (policy-rc.d exit 101): no fail2ban daemon in this namespace.
      const policy = '/usr/sbin/policy-rc.d';
      const hadPolicy = existsSync(policy);
      if (!hadPolicy) {
        writeFileSync(policy, '#!/bin/sh\nexit 101\n');
        chmodSync(policy, 0o755);
      }
      try {
        if (!aptInstall(noStart)) failed.push(...noStart);
      } finally {
        if (!hadPolicy) rmSync(policy, { force: true });
      }
    }
    const still = missing(GROUPS[what]).map((p) => p.package);
    if (failed.length || still.length) {
      console.log(`setup: could not install: ${[...new Set([...failed, ...still])].join(' ')} ` +
        '(the tests that need them skip by name; see the apt-get error above)');
    } else {
      console.log('setup: system packages installed');
    }
  }
}

const marker = join(root, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');
// A dependency added since the last install (ioredis came with fleet mode) also triggers the install.
const added = ['ioredis'].some((p) => !existsSync(join(root, 'node_modules', p, 'package.json')));
if (!existsSync(join(root, 'node_modules/.package-lock.json')) || !existsSync(marker) || added) {
  console.log('setup: installing npm dependencies (better-sqlite3 compiles from source, about 90 s)...');
  execFileSync('npm', [existsSync(join(root, 'package-lock.json')) ? 'ci' : 'install', '--no-audit', '--no-fund'],
    { cwd: root, stdio: 'inherit' });
}
