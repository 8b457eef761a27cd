// The shipped logrotate config against a real daemon: `warden start` (dry-run backend) writes audit lines while the real
// `logrotate -f` rotates the file with a copy of deploy/logrotate/nginx-warden (paths substituted, `systemctl reload`
// replaced by `kill -HUP <daemon pid>`). Every line lands exactly once: before and during the rotation in audit.log.1,
// after it in the new audit.log, which proves the signal reached the daemon and it reopened the file.
// Touches no firewall (dry-run) and binds loopback only, so it needs no network namespace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../harness/nginx.js';
import { needCommands, needRoot } from '../harness/tools.js';

const root = process.env.WARDEN_ROOT ?? process.cwd();
const bin = join(root, 'bin/warden.mjs');
const shipped = join(root, 'deploy/logrotate/nginx-warden');

function logrotateSkipReason(): string | false {
  return needCommands('logrotate') || needRoot('the shipped config creates the new file as root:adm');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 20 ms until true (resolves true) or `timeoutMs` passed (false). */
async function waitUntil(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await sleep(20)) if (cond()) return true;
  return cond();
}

/** The shipped config with the log path and the postrotate command made to fit this test. */
function renderLogrotate(text: string, logPath: string, pid: number): string {
  const path = '/var/log/nginx-warden/audit.log';
  const reload = 'systemctl reload nginx-warden.service';
  assert.ok(text.includes(path) && text.includes(reload), `the shipped config no longer has \`${path}\` and \`${reload}\``);
  return text.split(path).join(logPath).split(reload).join(`kill -HUP ${pid}`);
}

test('logrotate rotates the audit log of a running daemon, which reopens it on SIGHUP; no line lost', { skip: logrotateSkipReason() }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-logrotate-'));
  const apiPort = await freePort();
  const deadNginx = await freePort();
  const token = 'logrotate-test-token-0123456789';
  const cfg = join(dir, 'warden.yaml');
  const audit = join(dir, 'log/audit.log');
  writeFileSync(cfg, [
    'dry_run: true',
    `nginx: { url: "http://127.0.0.1:${deadNginx}" }`,
    'enforcement: { backends: [dry-run] }',
    'storage: { database: state/warden.db, audit_log: log/audit.log }',
    `api: { listen: "127.0.0.1:${apiPort}", tokens: ["${token}"] }`,
  ].join('\n'));
  let out = '';
  const daemon = spawn(process.execPath, [bin, 'start', '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WARDEN_CONFIG: '' } });
  daemon.stdout.on('data', (b) => { out += b; });
  daemon.stderr.on('data', (b) => { out += b; });
  t.after(() => {
    daemon.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  for (let i = 0; i < 150 && !/dashboard and API at/.test(out); i++) await sleep(100);
  assert.match(out, /dashboard and API at/, out);

  const conf = join(dir, 'logrotate.conf');
  writeFileSync(conf, renderLogrotate(readFileSync(shipped, 'utf8'), audit, daemon.pid as number), { mode: 0o644 });
  const ban = async (ip: string) => {
    const res = await fetch(`http://127.0.0.1:${apiPort}/api/v1/bans`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ip, duration: '1h', reason: 'logrotate test' }),
    });
    assert.equal(res.status, 201, await res.text());
  };
  const before = Array.from({ length: 40 }, (_, i) => `198.51.100.${i + 1}`);
  const during = Array.from({ length: 120 }, (_, i) => `203.0.113.${i + 1}`);
  const after = Array.from({ length: 40 }, (_, i) => `198.51.100.${i + 101}`);

  for (const ip of before) await ban(ip);
  // Bans keep coming while logrotate renames the file, creates the new one and runs postrotate.

  const writer = (async () => {
    for (const ip of during) await ban(ip);
  })();
  // Rotate once the first of them is in the file, so the rotation happens while they are being written.
  assert.ok(await waitUntil(() => readFileSync(audit, 'utf8').includes(' BAN 203.0.113.'), 10_000), 'the bans during the rotation never started');
  const lr = spawn('logrotate', ['-f', '-s', join(dir, 'logrotate.state'), conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let lrErr = '';
  lr.stderr.on('data', (b) => { lrErr += b; });
  lr.stdout.on('data', (b) => { lrErr += b; });
  const rotated: { code: number | null; err: string } = await new Promise((resolve) => lr.once('exit', (code) => resolve({ code, err: lrErr })));
  await writer;
  assert.equal(rotated.code, 0, `logrotate failed: ${rotated.err}`);
  // The HUP was sent by postrotate before logrotate exited; the daemon says when it has reopened the file.
  const reopened = (n: number) => (out.match(/^warden: SIGHUP: audit log reopened$/gm) ?? []).length >= n;
  assert.ok(await waitUntil(() => reopened(1), 10_000), `the daemon did not reopen the audit log:\n${out}`);
  for (const ip of after) await ban(ip);

  const old = `${audit}.1`;
  assert.ok(existsSync(old), 'audit.log.1 exists (delaycompress keeps the newest rotation uncompressed)');
  const bansIn = (p: string) => readFileSync(p, 'utf8').split('\n').filter((l) => / BAN /.test(l)).map((l) => / BAN (\S+) /.exec(l)![1]);
  const oldIps = bansIn(old);
  const newIps = bansIn(audit);
  const all = [...oldIps, ...newIps].sort();
  assert.deepEqual(all, [...before, ...during, ...after].sort(), 'every ban is in exactly one of the two files, once');
  for (const ip of before) assert.ok(oldIps.includes(ip), `${ip} (before the rotation) is in audit.log.1`);
  for (const ip of after) assert.ok(newIps.includes(ip), `${ip} (after the rotation) is in the new audit.log: the daemon reopened it`);
  assert.equal(statSync(audit).mode & 0o777, 0o640, 'the new file is created 0640 (create 0640 root adm)');
  assert.match(readFileSync(join(dir, 'logrotate.state'), 'utf8'), new RegExp(audit.replace(/[.]/g, '\\.')));
  assert.equal(daemon.exitCode, null, 'the daemon kept running through the rotation');

  // A second rotation compresses the first one (delaycompress) and the daemon again follows.
  const second = spawnSync('logrotate', ['-f', '-s', join(dir, 'logrotate.state'), conf], { encoding: 'utf8' });
  assert.equal(second.status, 0, second.stderr);
  assert.ok(existsSync(`${audit}.2.gz`), 'the older rotation is compressed');
  assert.ok(await waitUntil(() => reopened(2), 10_000), `the daemon did not reopen the audit log again:\n${out}`);
  await ban('198.51.100.200');
  assert.deepEqual(bansIn(audit), ['198.51.100.200']);
});
