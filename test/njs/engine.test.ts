// The engine matrix really switches engines: a handler in the started nginx reports njs.version and njs.engine, which
// must be the njs version and engine the matrix cell names (scripts/run-tests.mjs runs test/njs/ once per engine).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nginxSkipReason, testEngine, withNginx } from '../harness/nginx.js';

const skip = nginxSkipReason();

test('the nginx under test runs the njs version and JavaScript engine the engine matrix says', { skip }, async (t) => {
  const module = 'function v(r) { r.return(200, njs.version + " " + njs.engine); }\nexport default { v };\n';
  await withNginx({
    workers: 1, files: { 'engine-probe.js': module },
    httpExtra: 'js_import engine_probe from engine-probe.js;',
    servers: ['location /v { js_content engine_probe.v; }'],
  }, async (ng) => {
    const [version, engine] = (await (await fetch(ng.url('/v'))).text()).split(' ');
    const want = testEngine();
    t.diagnostic(`njs ${version}, engine ${engine}${want ? ` (matrix cell ${want.spec.id}: ${want.label})` : ' (default nginx)'}`);
    const [major, minor] = version.split('.').map(Number);
    assert.ok(major > 0 || minor >= 8, `njs ${version} is older than 0.8`);
    assert.equal(engine, want?.spec.engine === 'qjs' ? 'QuickJS' : 'njs');
    if (want) assert.match(want.label, new RegExp(`^njs ${version.replace(/\./g, '\\.')} `));
  });
});
