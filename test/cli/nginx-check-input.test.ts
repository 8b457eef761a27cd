// `warden nginx-check` on input that is not `nginx -T` output (empty, garbage, a config without http {}) fails
// clearly instead of saying OK.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../enforcer/cli/main.js';

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('empty, garbage or http-less input is an error, not OK', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-nginx-check-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cases: Array<[string, string]> = [
    ['empty', ''],
    ['blank', '\n\n  \n'],
    ['garbage', 'this is not an nginx configuration at all\n\u0000\u0001 binary junk'],
    ['no-http', '# configuration file /etc/nginx/nginx.conf:\nevents { worker_connections 1024; }\n'],
  ];
  for (const [name, text] of cases) {
    const f = join(dir, name);
    writeFileSync(f, text);
    const r = await run(['nginx-check', '--file', f]);
    assert.notEqual(r.code, 0, `${name}: ${r.out}`);
    assert.doesNotMatch(r.out, /OK/, name);
    assert.match(r.err, /does not look like `nginx -T` output|no http \{\} block/, name);
  }
  const missing = await run(['nginx-check', '--file', join(dir, 'nope')]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.err, /cannot read/);
});
