#!/usr/bin/env node
// The `warden` command: runs the built CLI (build first with `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const main = join(dirname(fileURLToPath(import.meta.url)), '../dist/enforcer/cli/main.js');
if (!existsSync(main)) {
  console.error('warden: not built yet: run `npm run build` in the nginx-warden folder first');
  process.exit(1);
}
await import(main);
