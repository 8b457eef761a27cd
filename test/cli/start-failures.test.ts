// `warden start` with an API address it cannot listen on exits non-zero with a clear message instead of running on
// without an API (it used to keep polling with nothing listening).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../harness/nginx.js';

const root = process.env.WARDEN_ROOT ?? process.cwd();
const bin = join(root, 'bin/warden.mjs');

test('a busy api.listen port: start exits non-zero naming the key', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-busy-'));
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const port = (blocker.address() as { port: number }).port;
  const cfg = join(dir, 'warden.yaml');
  writeFileSync(cfg, [
    `nginx: { url: "http://127.0.0.1:${await freePort()}" }`,
    'enforcement: { backends: [dry-run] }',
    'storage: { database: state/warden.db, audit_log: state/audit.log }',
    `api: { listen: "127.0.0.1:${port}" }`,
  ].join('\n'));
  const child = spawn(process.execPath, [bin, 'start', '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WARDEN_CONFIG: '' } });
  let out = '';
  child.stdout.on('data', (b) => { out += b; });
  child.stderr.on('data', (b) => { out += b; });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    blocker.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), 20_000);
    child.once('exit', (c) => { clearTimeout(timer); resolve(c); });
  });
  assert.notEqual(code, null, `warden start is still running after 20 s with its port taken:\n${out}`);
  assert.notEqual(code, 0, out);
  assert.match(out, /cannot listen on 127\.0\.0\.1:\d+ \(`api\.listen`\): address already in use/);
});
