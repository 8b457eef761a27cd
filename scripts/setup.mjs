// First-run set-up shared by `npm start` and `npm test`: installs npm dependencies when they are missing.
// System packages (nginx with njs, ipset, nftables, chromium...) are installed by .ci/run or by the operator;
// `warden demo` (npm start) and the test harness find or build an nginx with njs >= 0.8 (enforcer/nginx/locate.ts).
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const marker = join(root, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');
// A dependency added since the last install (ioredis came with fleet mode) also triggers the install.
const added = ['ioredis'].some((p) => !existsSync(join(root, 'node_modules', p, 'package.json')));
if (!existsSync(join(root, 'node_modules/.package-lock.json')) || !existsSync(marker) || added) {
  console.log('setup: installing npm dependencies (better-sqlite3 compiles from source, about 90 s)...');
  execFileSync('npm', [existsSync(join(root, 'package-lock.json')) ? 'ci' : 'install', '--no-audit', '--no-fund'],
    { cwd: root, stdio: 'inherit' });
}
