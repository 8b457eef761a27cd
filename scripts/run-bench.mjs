// Runs the benchmarks under dist/bench (built from bench/**/*.ts); each prints its own side-by-side ratios.
// Usage: npm run bench [-- name... [--option...]]   e.g. npm run bench -- engine overhead
// Everything from the first argument that starts with `--` on is passed to each chosen bench, e.g.
// npm run bench -- detection --short --json
import { readdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'dist/bench');
const argv = process.argv.slice(2);
const firstOption = argv.findIndex((a) => a.startsWith('--'));
const names = firstOption < 0 ? argv : argv.slice(0, firstOption);
const options = firstOption < 0 ? [] : argv.slice(firstOption);
const all = existsSync(dir) ? readdirSync(dir).filter((n) => existsSync(join(dir, n, 'main.js'))) : [];
const chosen = names.length ? all.filter((n) => names.includes(n)) : all;
let failed = 0;
for (const name of chosen) {
  console.log(`\n=== bench/${name}`);
  const r = spawnSync(process.execPath, [join(dir, name, 'main.js'), ...options], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
