// `warden ban --file` with a 200,000-line block list against a running daemon (`warden start`, dry-run): the CLI
// waits for the long batch (it used to give up after 10 s with a quarter applied), shows progress, and every
// address ends up banned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../harness/nginx.js';
import { waitFor } from '../e2e/helpers.js';

const root = process.env.WARDEN_ROOT ?? process.cwd();
const bin = join(root, 'bin/warden.mjs');
const N = 200_000;

function run(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WARDEN_CONFIG: '', WARDEN_TOKEN: '' } });
    let out = '';
    let err = '';
    p.stdout.on('data', (b) => { out += b; });
    p.stderr.on('data', (b) => { err += b; });
    p.once('exit', (code) => resolve({ code, out, err }));
  });
}

test('warden ban --file with 200,000 lines waits for the whole batch and bans every address', { timeout: 900_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-ban-file-'));
  const cfg = join(dir, 'warden.yaml');
  writeFileSync(cfg, [
    `nginx: { url: "http://127.0.0.1:${await freePort()}" }`,
    'log_level: warn',
    'enforcement: { backends: [dry-run] }',
    'storage: { database: state/warden.db, audit_log: state/audit.log }',
    `api: { listen: "127.0.0.1:${await freePort()}" }`,
  ].join('\n'));
  let out = '';
  const daemon = spawn(process.execPath, [bin, 'start', '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WARDEN_CONFIG: '' } });
  daemon.stdout.on('data', (b) => { out += b; });
  daemon.stderr.on('data', (b) => { out += b; });
  t.after(() => {
    daemon.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  assert.ok(await waitFor(() => /dashboard and API at/.test(out), 30_000, 100), out);

  const list = join(dir, 'blocklist.txt');
  const lines = Array.from({ length: N }, (_, i) => `11.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  writeFileSync(list, `# a big block list\n${lines.join('\n')}\n`);
  const t0 = Date.now();
  const r = await run(['ban', '--file', list, '--for', '2h', '--config', cfg]);
  t.diagnostic(`warden ban --file with ${N} lines: ${Date.now() - t0} ms`);
  assert.equal(r.code, 0, `${r.err}\n${out}`);
  assert.match(r.out, new RegExp(`^banned ${N} of ${N} address\\(es\\) for 2h`));
  assert.match(r.err, /\.\.\. 20000 of 200000 sent, 20000 banned so far/);
  assert.match(r.err, /\.\.\. 200000 of 200000 sent/);

  const status = await run(['status', '--json', '--config', cfg]);
  assert.equal(status.code, 0, status.err);
  assert.equal((JSON.parse(status.out) as { activeBanCount: number }).activeBanCount, N);
});
