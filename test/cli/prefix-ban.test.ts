// `warden ban CIDR`, `warden unban CIDR` and `warden history --ip` against a real running daemon (dry-run backend),
// then the audit log: a network is banned and lifted by its CIDR, 0.0.0.0/0 and ::/0 are refused with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../harness/nginx.js';
import { runWarden, wardenBin } from './run-warden.js';

const warden = runWarden;

test('warden ban / unban / history with CIDRs against a running daemon; wide networks refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-cli-prefix-'));
  const apiPort = await freePort();
  const deadNginx = await freePort();
  const cfg = join(dir, 'warden.yaml');
  writeFileSync(cfg, [
    `nginx: { url: "http://127.0.0.1:${deadNginx}" }`,
    'enforcement: { backends: [dry-run] }',
    'allowlist: ["2001:db8:ad::7"]',
    'storage: { database: state/warden.db, audit_log: state/audit.log }',
    `api: { listen: "127.0.0.1:${apiPort}" }`,
  ].join('\n'));
  let out = '';
  const daemon = spawn(process.execPath, [wardenBin, 'start', '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WARDEN_CONFIG: '' } });
  daemon.stdout.on('data', (b) => { out += b; });
  daemon.stderr.on('data', (b) => { out += b; });
  const exited = new Promise<number | null>((r) => daemon.once('exit', (code) => r(code)));
  t.after(() => {
    daemon.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  for (let i = 0; i < 150 && !/dashboard and API at/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
  assert.match(out, /dashboard and API at/, out);

  const ban = warden(['ban', '2001:DB8:1:2::99/64', '--for', '2h', '--reason', 'rotating scraper', '--config', cfg]);
  assert.equal(ban.code, 0, ban.err);
  assert.match(ban.out, /^banned 2001:db8:1:2::\/64 for 2h/);
  assert.equal(warden(['ban', '203.0.113.0/24', '--permanent', '--config', cfg]).code, 0);
  for (const [cidr, re] of [
    ['0.0.0.0/0', /HTTP 400: `ip`: refusing to ban 0\.0\.0\.0\/0: an IPv4 prefix must be \/16 or longer/],
    ['::/0', /HTTP 400: `ip`: refusing to ban ::\/0: an IPv6 prefix must be \/32 or longer/],
    ['2001:db8:ad::/64', /HTTP 403: refusing to ban 2001:db8:ad::\/64: it holds an allow-listed address/],
  ] as const) {
    const r = warden(['ban', cidr, '--config', cfg]);
    assert.equal(r.code, 1, cidr);
    assert.match(r.err, re);
  }
  const bans = warden(['bans', '--json', '--config', cfg]);
  assert.equal(bans.code, 0, bans.err);
  assert.deepEqual((JSON.parse(bans.out) as Array<{ ip: string }>).map((b) => b.ip).sort(), ['2001:db8:1:2::/64', '203.0.113.0/24']);
  const hist = warden(['history', '--ip', '2001:db8:1:2::5', '--json', '--config', cfg]);
  assert.equal(hist.code, 0, hist.err);
  assert.deepEqual(hist.out.trim().split('\n').map((l) => (JSON.parse(l) as { ip: string }).ip), ['2001:db8:1:2::/64']);
  const unban = warden(['unban', '2001:db8:1:2::/64', '--config', cfg]);
  assert.equal(unban.code, 0, unban.err);
  assert.match(unban.out, /unbanned 2001:db8:1:2::\/64/);

  daemon.kill('SIGTERM');
  assert.equal(await exited, 0, out);
  // With the daemon down, history reads the database: the CIDR search still finds the network bans.
  const offline = warden(['history', '--ip', '203.0.113.7', '--config', cfg]);
  assert.equal(offline.code, 0, offline.err);
  assert.match(offline.out, /1 ban\(s\) match/);
  assert.match(offline.out, /203\.0\.113\.0\/24\s+manual/);
  const audit = readFileSync(join(dir, 'state/audit.log'), 'utf8');
  assert.match(audit, /BAN 2001:db8:1:2::\/64 \| manual \| reason=rotating scraper \| duration=2h/);
  assert.match(audit, /UNBAN 2001:db8:1:2::\/64 \| reason=manual/);
  assert.match(out, /\[dry-run\] would add 1 and remove 0 firewall entry: \+2001:db8:1:2::\/64/);
});
