// The shipped systemd unit: `systemd-analyze verify` accepts it without a single warning, its hardening scores "OK"
// or better in `systemd-analyze security`, and its ExecStartPre/ExecStart command lines really run `warden check`
// (exit 0 on the shipped config, 78 on a broken one). Reads files and runs systemd-analyze offline: no namespace needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needCommands } from '../harness/tools.js';

const root = process.env.WARDEN_ROOT ?? process.cwd();
const unitPath = join(root, 'deploy/nginx-warden.service');
const unit = readFileSync(unitPath, 'utf8');

const skip = needCommands('systemd-analyze');

function analyze(args: string[]) {
  const r = spawnSync('systemd-analyze', args, { encoding: 'utf8', timeout: 60_000, env: { ...process.env, SYSTEMD_COLORS: '0', LANG: 'C.UTF-8' } });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** Every value of `Key=` in the unit, in order. */
function values(key: string): string[] {
  return unit.split('\n').filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));
}

test('systemd-analyze verify accepts the shipped unit with no warning at all', { skip }, () => {
  const r = analyze(['verify', unitPath]);
  assert.equal(r.code, 0, r.out);
  // verify exits 0 on an unknown key or a bad value (it only warns), so any output is a failure.
  assert.equal(r.out.trim(), '', `systemd-analyze verify printed:\n${r.out}`);
});

test('the verify check above would catch a typo: a copy with a misspelt key and a bad value makes it warn', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-unit-'));
  try {
    const bad = join(dir, 'nginx-warden.service');
    writeFileSync(bad, unit.replace(/^ProtectHome=yes$/m, 'ProtectHomes=yes').replace(/^Restart=on-failure$/m, 'Restart=sometimes'));
    const r = analyze(['verify', bad]);
    assert.match(r.out, /Unknown key 'ProtectHomes'|Unknown key name 'ProtectHomes'/);
    assert.match(r.out, /restart specifier.*sometimes/i);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the unit checks the config before starting, restarts on failure within limits, and reloads with SIGHUP', () => {
  const cfg = '--config /etc/nginx-warden/warden.yaml';
  assert.deepEqual(values('ExecStartPre'), [`/usr/bin/node /opt/nginx-warden/bin/warden.mjs check ${cfg}`]);
  assert.deepEqual(values('ExecStart'), [`/usr/bin/node /opt/nginx-warden/bin/warden.mjs start ${cfg}`]);
  assert.deepEqual(values('Restart'), ['on-failure']);
  assert.deepEqual(values('ExecReload'), ['/bin/kill -HUP $MAINPID']);
  assert.ok(Number(values('StartLimitBurst')[0]) > 1 && Number(values('StartLimitIntervalSec')[0]) > 0);
  assert.match(values('RestartSec')[0], /^\d+s$/);
  // The firewall backends need exactly these two capabilities; the address family list must keep netlink.
  assert.deepEqual(values('CapabilityBoundingSet')[0].split(' ').sort(), ['CAP_NET_ADMIN', 'CAP_NET_RAW']);
  assert.ok(values('RestrictAddressFamilies')[0].split(' ').includes('AF_NETLINK'));
  assert.deepEqual(values('MemoryDenyWriteExecute'), [], "Node's JIT needs W+X memory");
  // SIGHUP must mean "reopen the audit log" to the daemon, or ExecReload would do something else.
  assert.match(readFileSync(join(root, 'enforcer/cli/commands/start.ts'), 'utf8'), /process\.on\('SIGHUP', \(\) => \{?\s*daemon\.reopenLogs\(\)/);
});

test('the unit\'s hardening scores OK or better in systemd-analyze security', { skip }, () => {
  const r = analyze(['security', '--offline=true', '--no-pager', unitPath]);
  const m = /Overall exposure level for nginx-warden\.service: (\d+\.\d)/.exec(r.out);
  assert.ok(m, r.out.slice(-2000));
  assert.ok(Number(m[1]) <= 4.0, `exposure ${m[1]} (OK is below 4.0 on systemd's 0-10 scale)`);
});

test('the ExecStartPre command line runs `warden check`: 0 on the shipped config, 78 naming the key on a broken one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-unit-'));
  try {
    const run = (config: string) => {
      const argv = values('ExecStartPre')[0].split(' ')
        .map((a) => a.replace('/opt/nginx-warden', root).replace('/etc/nginx-warden/warden.yaml', config).replace('/usr/bin/node', process.execPath));
      const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', env: { ...process.env, WARDEN_CONFIG: '' }, timeout: 20_000 });
      return { code: r.status, err: r.stderr };
    };
    const good = join(dir, 'warden.yaml');
    copyFileSync(join(root, 'warden.yaml'), good);
    assert.equal(run(good).code, 0);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'detection:\n  zscore: -1\n');
    const r = run(bad);
    assert.equal(r.code, 78, 'exit 78 (EX_CONFIG): systemd logs it and does not start the daemon');
    assert.match(r.err, /Expected `detection\.zscore` to be a number > 0, got `-1`/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
