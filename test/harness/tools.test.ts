// A machine without some system packages: the tests that need them skip by name with the install command, and the
// run passes; the set-up step lists what is missing. Simulated with a PATH folder that holds every command of this
// machine's PATH except the hidden ones (nothing is uninstalled). The firewall tools are only looked up by name here,
// never run: no rule is changed, in any network namespace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { nginxSkipReason, repoRoot } from './nginx.js';
import { needCommands, packageOf } from './tools.js';

/** A folder with a link to every command on PATH except `hidden` (first one on PATH wins), and its removal. */
function pathWithout(hidden: string[]): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'warden-path-'));
  for (const d of (process.env.PATH ?? '').split(delimiter)) {
    if (!d || !existsSync(d)) continue;
    for (const name of readdirSync(d)) {
      if (hidden.includes(name) || existsSync(join(dir, name))) continue;
      symlinkSync(join(d, name), join(dir, name));
    }
  }
  return { path: dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

test('needCommands names each missing command, its package and the install command; false when all are there', () => {
  assert.equal(needCommands('sh'), false);
  const p = pathWithout(['nft', 'curl']);
  const saved = process.env.PATH;
  process.env.PATH = p.path;
  try {
    assert.equal(needCommands('sh', 'nft', 'curl'),
      'needs `nft`, `curl`, not installed here: apt-get install nftables curl (`npm test` as root installs it)');
  } finally {
    process.env.PATH = saved;
    p.remove();
  }
  assert.equal(packageOf('nft'), 'nftables');
  assert.equal(packageOf('ab'), 'apache2-utils');
  assert.equal(packageOf('fail2ban-regex'), 'fail2ban');
  assert.throws(() => packageOf('no-such-command-here'), /scripts\/system-packages\.json has no package providing `no-such-command-here`/);
});

test('every command the tests check for is in the one package list', () => {
  const list = (JSON.parse(readFileSync(join(repoRoot, 'scripts/system-packages.json'), 'utf8')) as
    { packages: Array<{ package: string; group: string; commands?: string[] }> }).packages;
  assert.ok(list.every((p) => ['start', 'test'].includes(p.group)), 'groups are start or test');
  for (const cmd of ['ip', 'bridge', 'ss', 'ipset', 'nft', 'iptables', 'ip6tables', 'iptables-restore', 'curl', 'ab', 'wrk', 'chromium',
    'git', 'systemd-analyze', 'setpriv', 'runuser', 'logrotate', 'redis-server', 'fail2ban-regex', 'mmdebstrap']) {
    assert.doesNotThrow(() => packageOf(cmd), cmd);
  }
});

test('with nft, ab and logrotate hidden, their tests skip naming the package and the command, and the run passes', {
  skip: nginxSkipReason(),
}, () => {
  const p = pathWithout(['nft', 'ab', 'logrotate']);
  try {
    const files = ['firewall/nftables.test.js', 'deploy/logrotate.test.js', 'njs/counting.test.js'].map((f) => join(repoRoot, 'dist/test', f));
    // A test file of its own run (node:test's NODE_TEST_CONTEXT would make the child refuse to run files).
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: p.path, WARDEN_ROOT: repoRoot };
    delete env.NODE_TEST_CONTEXT;
    const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', ...files], { cwd: repoRoot, encoding: 'utf8', env, timeout: 180_000 });
    const out = `${r.stdout}${r.stderr}`;
    assert.equal(r.status, 0, out);
    assert.match(out, /# SKIP needs `nft`, not installed here: apt-get install nftables \(`npm test` as root installs it\)/);
    assert.match(out, /# SKIP needs `logrotate`, not installed here: apt-get install logrotate/);
    assert.match(out, /# SKIP needs `ab`, not installed here: apt-get install apache2-utils/);
    // What does not need the hidden commands still runs: the nft script test and the status-class test on real nginx.
    assert.match(out, /^ok \d+ - nftables: the commit script adds\/deletes/m);
    assert.match(out, /^ok \d+ - 404, 500, 502, 499 and 400 are classified right; IPv6 clients work$/m);
    assert.match(out, /^# fail 0$/m);
  } finally {
    p.remove();
  }
});

test('setup without apt (WARDEN_NO_APT=1) lists the missing packages with the install command and goes on', () => {
  const p = pathWithout(['ab', 'wrk']);
  try {
    const r = spawnSync(process.execPath, [join(repoRoot, 'scripts/setup.mjs'), 'test'],
      { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, PATH: p.path, WARDEN_NO_APT: '1' }, timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^setup: missing system packages \(WARDEN_NO_APT=1, not installing\): apache2-utils wrk$/m);
    assert.match(r.stdout, /^setup: to install them: sudo apt-get install --no-install-recommends apache2-utils wrk$/m);
    assert.match(r.stdout, /skipped, naming the package/);
    const bad = spawnSync(process.execPath, [join(repoRoot, 'scripts/setup.mjs'), 'everything'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown argument `everything` \(expected start, test or bench\)/);
  } finally {
    p.remove();
  }
});

test('setup as root with apt-get: one update, then only the missing packages, printed; their commands then found', {
  skip: process.getuid?.() === 0 ? false : 'needs root: setup installs only as root',
}, () => {
  // A stand-in apt-get (first on PATH) records its arguments and "installs" ab and wrk as stub commands.
  const p = pathWithout(['ab', 'wrk', 'apt-get']);
  const calls = join(p.path, 'apt-calls.log');
  writeFileSync(join(p.path, 'apt-get'), `#!/bin/sh\necho "$*" >> ${calls}\n` +
    `if [ "$1" = install ]; then for c in ab wrk; do printf '#!/bin/sh\\n' > ${p.path}/$c; chmod +x ${p.path}/$c; done; fi\n`);
  chmodSync(join(p.path, 'apt-get'), 0o755);
  try {
    const r = spawnSync(process.execPath, [join(repoRoot, 'scripts/setup.mjs'), 'test'],
      { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, PATH: p.path, WARDEN_NO_APT: '' }, timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^setup: installing system packages with apt-get: apache2-utils wrk$/m);
    assert.match(r.stdout, /^setup: {3}wrk: load generator/m);
    assert.match(r.stdout, /^setup: system packages installed$/m);
    assert.deepEqual(readFileSync(calls, 'utf8').trim().split('\n'),
      ['update -qq', 'install -y -qq --no-install-recommends apache2-utils wrk']);
    // Everything there now: a second run does not call apt-get at all.
    const again = spawnSync(process.execPath, [join(repoRoot, 'scripts/setup.mjs'), 'test'],
      { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, PATH: p.path }, timeout: 60_000 });
    assert.equal(again.status, 0, again.stderr);
    assert.equal(again.stdout, '');
    assert.equal(readFileSync(calls, 'utf8').trim().split('\n').length, 2);
  } finally {
    p.remove();
  }
});
