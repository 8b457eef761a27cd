// nginx.conf names the per-request handlers by their index in the module's export (an array: cheaper per request than
// an object, docs/benchmarks.md), so the order in njs/index.ts and the `js_set ... warden.N;` lines must agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../harness/nginx.js';

/** The handler each nginx variable runs: `js_set $var warden.N;` resolved against `export default [a, b, ...]`. */
function handlersOf(conf: string, exportList: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of conf.matchAll(/^js_set \$(\w+) warden\.(\d+);/gm)) {
    const name = exportList[Number(m[2])];
    assert.ok(name, `js_set $${m[1]} warden.${m[2]}: the module has no element ${m[2]}`);
    out[m[1]] = name;
  }
  return out;
}

test('every js_set of nginx.conf runs the handler its name says, in the source and in the built bundle', () => {
  const conf = readFileSync(join(repoRoot, 'nginx.conf'), 'utf8');
  const want = {
    warden_log_plain: 'log', warden_log_any: 'countRequest', warden_log_4xx_other: 'log4xx', warden_log_probe: 'logProbe',
    warden_log_proxy: 'logProxy', warden_banned: 'banned',
  };
  const src = /^export default \[([\w, ]+)\];$/m.exec(readFileSync(join(repoRoot, 'njs/index.ts'), 'utf8'));
  assert.ok(src, 'njs/index.ts exports an array of handlers');
  assert.deepEqual(handlersOf(conf, src[1].split(', ')), want);
  execFileSync(process.execPath, [join(repoRoot, 'build.mjs'), '--only', 'njs'], { cwd: repoRoot });
  const built = /^var index_default = \[([\w, ]+)\];$/m.exec(readFileSync(join(repoRoot, 'dist/njs/warden.js'), 'utf8'));
  assert.ok(built, 'the bundle exports the same array');
  assert.deepEqual(handlersOf(conf, built[1].split(', ')), want);
  // Every handler variable the maps name is one of these.
  for (const m of conf.matchAll(/\$(warden_log_\w+)/g)) {
    assert.ok(m[1] in want, `$${m[1]} has a js_set`);
  }
});
