// Runs every built test file (dist/test/**/*.test.js) with node's test runner, one file at a time:
// many tests start real nginx, daemons or network namespaces and should not compete for 2 cores.
// Usage: node scripts/run-tests.mjs [substring...]  (filters test files by path)
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'dist/test');
const filters = process.argv.slice(2);

function walk(d, out = []) {
  if (!existsSync(d)) return out;
  for (const name of readdirSync(d)) {
    const p = join(d, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const files = walk(dir).filter((f) => filters.length === 0 || filters.some((s) => relative(root, f).includes(s))).sort();
if (files.length === 0) {
  console.error('run-tests: no test files found under dist/test (run `node build.mjs` first)');
  process.exit(1);
}
if (process.getuid && process.getuid() !== 0) {
  console.log('run-tests: not root: tests that need network namespaces or firewalls will report themselves as skipped');
}
const res = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=240000', ...files], {
  cwd: root, stdio: 'inherit', env: { ...process.env, WARDEN_ROOT: root },
});
process.exit(res.status ?? 1);
