// A full disk, for real: the daemon's database and audit log live on a 3 MiB tmpfs mounted in a private mount
// namespace the test creates (`unshare -m`), and the daemon (`warden start`) runs inside it (`nsenter`). Bans are
// added until the disk is full: every ban answered 201 is still there after a restart, the others are answered 503
// with the reason; /healthz and the status say the database is failing; SIGINT stops the daemon cleanly (no SIGBUS).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../harness/nginx.js';
import { hashPassword } from '../../enforcer/api/password.js';
import { tempDir, waitFor } from './helpers.js';

const root = process.env.WARDEN_ROOT ?? process.cwd();
const bin = join(root, 'bin/warden.mjs');
const TOKEN = 'full-disk-token-0123456789';

function skipReason(): string | false {
  if (process.getuid?.() !== 0) return 'needs root (mount namespaces and tmpfs)';
  for (const tool of ['unshare', 'nsenter', 'mount']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `needs ${tool} (apt-get install util-linux mount)`;
  }
  return false;
}

test('a full disk: no acknowledged ban is lost, the rest get 503, health says so, SIGINT exits cleanly', { skip: skipReason(), timeout: 300_000 }, async (t) => {
  const tmp = tempDir('warden-full-disk-');
  const state = join(tmp.dir, 'state');
  mkdirSync(state);
  const port = await freePort();
  const cfg = join(tmp.dir, 'warden.yaml');
  writeFileSync(cfg, [
    `nginx: { url: "http://127.0.0.1:${await freePort()}" }`,
    'log_level: info',
    'enforcement: { backends: [dry-run] }',
    'storage: { database: state/warden.db, audit_log: state/audit.log }',
    `api: { listen: "127.0.0.1:${port}", tokens: ["${TOKEN}"], password_hash: "${await hashPassword('full disk pw')}" }`,
  ].join('\n'));

  // The namespace lives as long as this holder process; the tmpfs is visible only inside it.
  const holder = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c',
    `mount -t tmpfs -o size=3m,mode=0755 warden-full-disk ${state} && exec sleep 3600`], { stdio: 'ignore' });
  const daemons: ChildProcess[] = [];
  t.after(() => {
    for (const d of daemons) if (d.exitCode === null && d.signalCode === null) d.kill('SIGKILL');
    holder.kill('SIGKILL');
    tmp.remove();
  });
  const inNs = (args: string[]) => spawnSync('nsenter', ['-t', String(holder.pid), '-m', ...args], { encoding: 'utf8' });
  assert.ok(await waitFor(() => /warden-full-disk/.test(inNs(['findmnt', '-n', state]).stdout ?? ''), 10_000, 50), 'tmpfs mounted');

  const startDaemon = async () => {
    let out = '';
    const d = spawn('nsenter', ['-t', String(holder.pid), '-m', process.execPath, bin, 'start', '--config', cfg],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WARDEN_CONFIG: '' } });
    daemons.push(d);
    d.stdout!.on('data', (b) => { out += b; });
    d.stderr!.on('data', (b) => { out += b; });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => d.once('exit', (code, signal) => r({ code, signal })));
    assert.ok(await waitFor(() => /dashboard and API at/.test(out) || d.exitCode !== null, 30_000, 50), out);
    return { d, exited, out: () => out };
  };
  const api = (method: string, path: string, body?: unknown) => fetch(`http://127.0.0.1:${port}${path}`, {
    method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

  const first = await startDaemon();
  const acknowledged: string[] = [];
  const refusals: string[] = [];
  const reason = 'r'.repeat(480);
  for (let i = 0; i < 6000 && refusals.length < 20; i++) {
    const ip = `198.18.${i >> 8}.${i & 255}`;
    const r = await api('POST', '/api/v1/bans', { ip, duration: '2h', reason });
    const body = await r.json() as { error?: string };
    assert.ok(r.status === 201 || r.status === 503, `ban ${i}: ${r.status} ${JSON.stringify(body)}`);
    if (r.status === 201) acknowledged.push(ip);
    else refusals.push(body.error ?? '');
  }
  t.diagnostic(`${acknowledged.length} bans acknowledged before the disk filled; ${refusals.length} refused: ${refusals[0]?.slice(0, 200)}`);
  assert.ok(acknowledged.length > 20, `only ${acknowledged.length} bans stored`);
  assert.equal(refusals.length, 20, 'the disk never filled');
  assert.match(refusals[0], /not stored.*(full|space|disk)/i);

  const health = await fetch(`http://127.0.0.1:${port}/healthz`).catch((err: Error) => assert.fail(`${err.message}; daemon said:\n${first.out().slice(-3000)}`));
  assert.equal(health.status, 503);
  assert.match(JSON.stringify(await health.json()), /database.*(full|space|disk)/i);
  const status = await (await api('GET', '/api/v1/status')).json() as { storage?: { ok: boolean; lastError: string | null } };
  assert.equal(status.storage?.ok, false);
  assert.match(status.storage?.lastError ?? '', /full|space|disk/i);
  // A ban that was refused is not enforced either (what the API answered is what holds).
  const bans1 = await (await api('GET', '/api/v1/bans')).json() as { bans: Array<{ ip: string }> };
  assert.equal(bans1.bans.length, acknowledged.length);

  first.d.kill('SIGINT');
  const end = await first.exited;
  assert.deepEqual(end, { code: 0, signal: null }, first.out().slice(-2000));

  const second = await startDaemon();
  assert.equal(second.d.exitCode, null, `the daemon does not start again on the full disk:\n${second.out().slice(-3000)}`);
  const bans2 = await (await api('GET', '/api/v1/bans')).json() as { bans: Array<{ ip: string }> };
  const restored = new Set(bans2.bans.map((b) => b.ip));
  const lost = acknowledged.filter((ip) => !restored.has(ip));
  assert.deepEqual(lost, [], `${lost.length} acknowledged bans lost across the restart`);
  second.d.kill('SIGTERM');
  assert.deepEqual(await second.exited, { code: 0, signal: null }, second.out().slice(-2000));
});
