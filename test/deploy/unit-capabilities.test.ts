// The systemd unit keeps only the capabilities in its CapabilityBoundingSet (CAP_NET_ADMIN, CAP_NET_RAW) and sets
// NoNewPrivileges. This runs the real daemon exactly so (setpriv: same bounding set, no inheritable capabilities,
// no_new_privs) inside a network namespace the test creates, with the ipset, nftables and iptables backends at once,
// and bans an address through the CLI: every backend puts it in the kernel. Without CAP_NET_ADMIN the same start fails
// with exit 69 naming the backend, so the test shows the set is both enough and needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { netnsSkipReason, sh } from '../harness/netns.js';
import { needCommands } from '../harness/tools.js';

const root = process.env.WARDEN_ROOT ?? process.cwd();
const bin = join(root, 'bin/warden.mjs');
const skip = netnsSkipReason() || needCommands('setpriv', 'ipset', 'nft', 'iptables', 'ip6tables');

/** `-all,+net_admin,+net_raw` from the unit's CapabilityBoundingSet. */
function boundingSetArg(): string {
  const unit = readFileSync(join(root, 'deploy/nginx-warden.service'), 'utf8');
  const line = /^CapabilityBoundingSet=(.+)$/m.exec(unit);
  assert.ok(line, 'the unit has no CapabilityBoundingSet');
  return ['-all', ...line[1].trim().split(/\s+/).map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`)].join(',');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('the daemon runs all three firewall backends with only the unit\'s capabilities, and fails clearly without CAP_NET_ADMIN', { skip }, async (t) => {
  const ns = `wds-${process.pid.toString(36)}-caps`;
  const dir = mkdtempSync(join(tmpdir(), 'warden-caps-'));
  sh('ip', ['netns', 'add', ns]);
  const children: Array<ReturnType<typeof spawn>> = [];
  t.after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    spawnSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  });
  sh('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
  const cfg = join(dir, 'warden.yaml');
  writeFileSync(cfg, [
    'dry_run: false',
    'nginx: { url: "http://127.0.0.1:9" }',
    'enforcement: { backends: [ipset, nftables, iptables], name: wcap, hook_chains: [INPUT] }',
    'storage: { database: state/warden.db, audit_log: log/audit.log }',
    'api: { listen: "127.0.0.1:18080" }',
  ].join('\n'));

  const start = (caps: string) => {
    let out = '';
    const c = spawn('ip', ['netns', 'exec', ns, 'setpriv', '--bounding-set', caps, '--inh-caps', '-all', '--no-new-privs',
      process.execPath, bin, 'start', '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WARDEN_CONFIG: '' } });
    children.push(c);
    c.stdout?.on('data', (b) => { out += b; });
    c.stderr?.on('data', (b) => { out += b; });
    return { child: c, out: () => out, exited: new Promise<number | null>((r) => c.once('exit', (code) => r(code))) };
  };

  // Not enough: without CAP_NET_ADMIN the first backend cannot be set up.
  const weak = start('-all,+net_raw');
  const weakCode = await Promise.race([weak.exited, sleep(20_000).then(() => 'timeout' as const)]);
  assert.equal(weakCode, 69, weak.out());
  assert.match(weak.out(), /warden start: .*ipset/i);

  const d = start(boundingSetArg());
  for (let i = 0; i < 150 && !/dashboard and API at/.test(d.out()); i++) await sleep(100);
  assert.match(d.out(), /dashboard and API at/, d.out());
  // The daemon process itself (below `ip netns exec` and setpriv, which exec into node) holds just these capabilities.
  const status = readFileSync(`/proc/${d.child.pid}/status`, 'utf8');
  assert.match(status, /^CapBnd:\s+0000000000003000$/m, status);
  assert.match(status, /^NoNewPrivs:\s+1$/m);

  const ban = spawnSync('ip', ['netns', 'exec', ns, process.execPath, bin, 'ban', '192.0.2.77', '--for', '1h', '--config', cfg],
    { encoding: 'utf8', env: { ...process.env, WARDEN_CONFIG: '', WARDEN_TOKEN: '' }, timeout: 20_000 });
  assert.equal(ban.status, 0, `${ban.stdout}${ban.stderr}\n${d.out()}`);
  const inNs = (cmd: string, args: string[]) => sh('ip', ['netns', 'exec', ns, cmd, ...args]);
  assert.match(inNs('ipset', ['list', 'wcap4']), /^192\.0\.2\.77 timeout \d+/m);
  assert.match(inNs('nft', ['list', 'set', 'inet', 'wcap', 'ban4']), /192\.0\.2\.77 timeout/);
  assert.match(inNs('iptables', ['-w', '-S', 'WCAP-IP']), /-A WCAP-IP -s 192\.0\.2\.77\/32 .*-j DROP/);
  // No firewall command failed (the only expected complaint is the absent nginx).
  assert.doesNotMatch(d.out(), /backend (ipset|nftables|iptables)/, d.out());
  assert.doesNotMatch(readFileSync(join(dir, 'log/audit.log'), 'utf8'), /FAILURE \| firewall/);
});
