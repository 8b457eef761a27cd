// The CLI against a real running daemon (`warden start` as a child process), then `history` against a stopped one,
// which reads the SQLite file directly. SIGTERM stops the daemon cleanly with exit 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../harness/nginx.js';
import { banRuleNames } from '../../enforcer/core/rules/registry.js';
import { runWarden, wardenBin } from './run-warden.js';

const warden = runWarden;

test('status, ban, bans, history and unban work against a running daemon; history also against a stopped one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-cli-daemon-'));
  const apiPort = await freePort();
  const deadNginx = await freePort();
  const cfg = join(dir, 'warden.yaml');
  writeFileSync(cfg, [
    `nginx: { url: "http://127.0.0.1:${deadNginx}" }`,
    'enforcement: { backends: [dry-run] }',
    'storage: { database: state/warden.db, audit_log: state/audit.log }',
    `api: { listen: "127.0.0.1:${apiPort}" }`,
    'detection: { rules: { ceiling: { mode: alert } } }',
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
  for (let i = 0; i < 150 && !(/dashboard and API at/.test(out) && /shown once/.test(out)); i++) await new Promise((r) => setTimeout(r, 100));
  assert.match(out, /dashboard and API at http:\/\/127\.0\.0\.1:\d+/, out);
  assert.match(out, /generated dashboard password \(shown once\): \S{12,}/, 'first start prints a generated password once');

  const status = warden(['status', '--config', cfg]);
  assert.equal(status.code, 0, status.err);
  assert.match(status.out, /nginx:\s+UNREACHABLE/);
  assert.match(status.out, /bans:\s+0 active/);
  // Every rule of the registry with its mode and its settings in force.
  // During the learning period (a fresh daemon) zscore and multiplier only alert: the lowest ban rate is population's floor.
  assert.match(status.out, /^rules: +\(an IP is banned above 20\.00 req\/s over the window\)$/m);
  assert.match(status.out, /^ {2}zscore {8}ban {4}z > 3$/m);
  assert.match(status.out, /^ {2}multiplier {4}ban {4}rate > 5x mean$/m);
  assert.match(status.out, /^ {2}ceiling {7}alert {2}rate > 30 req\/s$/m);
  assert.match(status.out, /^ {2}global_surge {2}alert {2}site z > 3 or > 5x mean, every 120s at most$/m);
  const badRule = warden(['history', '--rule', 'bogus', '--config', cfg]);
  assert.equal(badRule.code, 2, badRule.out + badRule.err);
  // The list comes from the rule registry (every ban rule, then manual).
  assert.ok(badRule.err.includes(`--rule expects one of ${banRuleNames().join(', ')}, got \`bogus\``), badRule.err);
  assert.match(badRule.err, /zscore, multiplier, ceiling.*manual/);

  const ban = warden(['ban', '192.0.2.55', '--for', '2h', '--reason', 'seen in logs', '--config', cfg]);
  assert.equal(ban.code, 0, ban.err);
  assert.match(ban.out, /^banned 192\.0\.2\.55 for 2h/);
  const again = warden(['ban', '192.0.2.55', '--config', cfg]);
  assert.equal(again.code, 1);
  assert.match(again.err, /HTTP 409: 192\.0\.2\.55 is already banned/);
  const self = warden(['ban', '127.0.0.1', '--config', cfg]);
  assert.equal(self.code, 1);
  assert.match(self.err, /HTTP 403: refusing to ban 127\.0\.0\.1/);
  const bad = warden(['ban', '999.1.1.1', '--config', cfg]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /HTTP 400/);

  const bans = warden(['bans', '--config', cfg]);
  assert.equal(bans.code, 0, bans.err);
  assert.match(bans.out, /192\.0\.2\.55\s+manual\s+0\.00\s+1\s+(1h59m|2h)/);
  const hist = warden(['history', '--json', '--config', cfg]);
  assert.equal(hist.code, 0, hist.err);
  const rows = hist.out.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(rows.length, 1);
  assert.equal(rows[0].ip, '192.0.2.55');
  assert.equal(rows[0].source, 'manual');
  assert.equal(rows[0].reason, 'seen in logs');

  // Bulk loading from a block list: comments and blank lines skipped, refusals named, one batch.
  const list = join(dir, 'blocklist.txt');
  writeFileSync(list, ['# exported from fail2ban', '', ...Array.from({ length: 250 }, (_, i) => `198.18.1.${i + 1}`),
    '2001:db8::bad  # an IPv6 one', '127.0.0.1', 'not-an-ip', '192.0.2.55'].join('\n'));
  const bulk = warden(['ban', '--file', list, '--for', '30m', '--config', cfg]);
  assert.equal(bulk.code, 0, bulk.err);
  assert.match(bulk.out, /^banned 251 of 254 address\(es\) for 30m/);
  assert.match(bulk.out, /refused 127\.0\.0\.1: refusing to ban 127\.0\.0\.1: it is this host's own address/);
  assert.match(bulk.out, /refused not-an-ip: `ip` must be an IPv4 or IPv6 address/);
  assert.match(bulk.out, /refused 192\.0\.2\.55: 192\.0\.2\.55 is already banned/);
  const all = JSON.parse(warden(['bans', '--json', '--config', cfg]).out) as unknown[];
  assert.equal(all.length, 252);

  const unban = warden(['unban', '192.0.2.55', '--config', cfg]);
  assert.equal(unban.code, 0, unban.err);
  assert.doesNotMatch(warden(['bans', '--config', cfg]).out, /192\.0\.2\.55/);
  const unbanAgain = warden(['unban', '192.0.2.55', '--config', cfg]);
  assert.equal(unbanAgain.code, 1);
  assert.match(unbanAgain.err, /HTTP 404/);

  daemon.kill('SIGTERM');
  assert.equal(await exited, 0, `daemon did not stop cleanly:\n${out}`);
  assert.match(out, /SIGTERM: stopping \(active bans stay in place\)/);

  const down = warden(['status', '--config', cfg]);
  assert.equal(down.code, 1);
  assert.match(down.err, /the warden daemon is not answering at http:\/\/127\.0\.0\.1:\d+ \(is it running\?/);
  const offline = warden(['history', '--config', cfg]);
  assert.equal(offline.code, 0, offline.err);
  assert.match(offline.out, /252 ban\(s\) match; showing 50, newest first; from .*warden\.db \(daemon not running\)/);
  const offlineIp = warden(['history', '--ip', '192.0.2.0/24', '--config', cfg]);
  assert.match(offlineIp.out, /1 ban\(s\) match; showing 1/);
  assert.match(offlineIp.out, /192\.0\.2\.55\s+manual\s+0\.00\s+2h\s+manual\s+manual/);
  const audit = readFileSync(join(dir, 'state/audit.log'), 'utf8');
  assert.match(audit, /BAN 192\.0\.2\.55 \| manual \| reason=seen in logs \| duration=2h/);
  assert.match(audit, /UNBAN 192\.0\.2\.55 \| reason=manual/);
});
