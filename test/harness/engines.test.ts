// The engine matrix's cells and what a machine without one of them is told.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENGINE_MATRIX, findEngine } from './engines.js';
import { repoRoot } from './nginx.js';

test('the matrix covers njs 0.8 and njs 1.0 with both engines', () => {
  assert.deepEqual(ENGINE_MATRIX.map((e) => e.id), ['trixie-njs', 'sid-njs', 'sid-qjs']);
});

test('an engine that cannot be had is a reason naming it and the mmdebstrap command that builds it; unknown ids too', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-engines-'));
  try {
    const r = findEngine('sid-qjs', dir, false);
    assert.equal(r, `njs 1.0, QuickJS engine (\`js_engine qjs;\`) [sid-qjs]: ${dir}/nginx-sid is missing; build it as root: mmdebstrap ` +
      `--variant=apt '--aptopt=Acquire::Check-Valid-Until "false"' --include=nginx,libnginx-mod-http-js,njs sid ${dir}/nginx-sid`);
    assert.match(String(findEngine('trixie-njs', dir, false)), /mmdebstrap --variant=apt --include=nginx,libnginx-mod-http-js trixie /);
    assert.equal(findEngine('jessie-v8', dir, false), 'WARDEN_TEST_ENGINE=jessie-v8: unknown (one of trixie-njs, sid-njs, sid-qjs)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('on an engine that cannot be had, the matrix\'s njs tests skip by name and the run passes', () => {
  const env: NodeJS.ProcessEnv = { ...process.env, WARDEN_TEST_ENGINE: 'jessie-v8' };
  delete env.NODE_TEST_CONTEXT;
  const file = join(repoRoot, 'dist/test/njs/engine.test.js');
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', file], { encoding: 'utf8', env, timeout: 60_000 });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /# SKIP WARDEN_TEST_ENGINE=jessie-v8: unknown \(one of trixie-njs, sid-njs, sid-qjs\)/);
});
