// Runs the benchmarks under dist/bench (built from bench/**/*.ts); each prints its own side-by-side ratios.
// Usage: npm run bench [-- name...]   e.g. npm run bench -- engine overhead
import { readdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'dist/bench');
const names = process.argv.slice(2);
const all = existsSync(dir) ? readdirSync(dir).filter((n) => existsSync(join(dir, n, 'main.js'))) : [];
const chosen = names.length ? all.filter((n) => names.includes(n)) : all;
let failed = 0;
for (const name of chosen) {
  console.log(`\n=== bench/${name}`);
  const r = spawnSync(process.execPath, [join(dir, name, 'main.js')], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
