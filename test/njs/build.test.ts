// The njs bundle: built by build.mjs (never committed), and the build refuses syntax the njs 0.8 engine cannot load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { repoRoot } from '../harness/nginx.js';

/** The `supported` table build.mjs gives esbuild for the njs bundle, read from build.mjs itself. */
function njsSupported(): Record<string, boolean> {
  const src = readFileSync(join(repoRoot, 'build.mjs'), 'utf8');
  const m = /const njsUnsupported = (\{[\s\S]*?\});/.exec(src);
  assert.ok(m, 'build.mjs defines njsUnsupported');
  return new Function(`return ${m[1]}`)() as Record<string, boolean>;
}

async function buildSnippet(code: string): Promise<string> {
  const out = await build({
    stdin: { contents: code, loader: 'ts' }, write: false, bundle: true, format: 'esm', target: 'es2017',
    platform: 'neutral', supported: njsSupported(), logLevel: 'silent',
  });
  return out.outputFiles[0].text;
}

test('the build fails on syntax njs 0.8 cannot load', async () => {
  for (const bad of [
    'class A { f() { return 1; } }\nexport default { A };',
    'function f(a: number[]) { let s = 0; for (const x of a) s += x; return s; }\nexport default { f };',
    'function* g() { yield 1; }\nexport default { g };',
    'function f(o: { a: number }) { const { a } = o; return a; }\nexport default { f };',
    'async function* ag() { yield 1; }\nexport default { ag };',
  ]) {
    await assert.rejects(buildSnippet(bad), Error, bad);
  }
  // What esbuild can lower still builds: optional chaining becomes plain property access.
  const ok = await buildSnippet('function f(o: { a?: { b: number } }) { return o.a?.b ?? 0; }\nexport default { f };');
  assert.doesNotMatch(ok, /\?\./);
});

test('dist/njs/warden.js is built by build.mjs, is not in git, and holds no syntax njs rejects', () => {
  execFileSync(process.execPath, [join(repoRoot, 'build.mjs'), '--only', 'njs'], { cwd: repoRoot });
  const text = readFileSync(join(repoRoot, 'dist/njs/warden.js'), 'utf8');
  assert.match(text, /export default|export \{\s*\w+ as default\s*\}/);
  assert.doesNotMatch(text, /\bclass\s+\w|\bfor\s*\([^)]*\bof\b|\?\.|\bexport\s+(const|function|let)\b/);
  const tracked = execFileSync('git', ['ls-files', 'dist'], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(tracked.trim(), '', 'no built file is committed');
});

test('the per-request bundle has no module-level variables but its export (each costs on every request)', () => {
  execFileSync(process.execPath, [join(repoRoot, 'build.mjs'), '--only', 'njs'], { cwd: repoRoot });
  const text = readFileSync(join(repoRoot, 'dist/njs/warden.js'), 'utf8');
  const vars = text.split('\n').filter((l) => /^(var|let|const) /.test(l));
  assert.deepEqual(vars.map((l) => l.split('=')[0].trim()), ['var index_default']);
  // The tag alphabet written out in the handler is the drain's (TAGS in njs/keys.ts).
  const tags = /export const TAGS = '([^']+)'/.exec(readFileSync(join(repoRoot, 'njs/keys.ts'), 'utf8'))?.[1];
  assert.equal(tags?.length, 64);
  assert.ok(text.includes(`"${tags}"[`), 'the handler indexes the same 64 tags');
});
