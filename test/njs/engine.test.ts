// The engine matrix really switches engines: a handler in the started nginx reports njs.version and njs.engine, which
// must be the njs version and engine the matrix cell names (scripts/run-tests.mjs runs test/njs/ once per engine).
// And the difference between the engines that the njs code's "no module-level state" rule rests on (njs/README.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nginxSkipReason, testEngine, withNginx } from '../harness/nginx.js';

const skip = nginxSkipReason();

const probe = `var calls = 0;
function v(r) { r.return(200, njs.version + " " + njs.engine); }
function n(r) { calls++; r.return(200, String(calls)); }
export default { v, n };
`;

test('the nginx under test runs the njs version and JavaScript engine the engine matrix says', { skip }, async (t) => {
  await withNginx({
    workers: 1, files: { 'engine-probe.js': probe },
    httpExtra: 'js_import engine_probe from engine-probe.js;',
    servers: ['location /v { js_content engine_probe.v; } location /n { js_content engine_probe.n; }'],
  }, async (ng) => {
    const [version, engine] = (await (await fetch(ng.url('/v'))).text()).split(' ');
    const want = testEngine();
    t.diagnostic(`njs ${version}, engine ${engine}${want ? ` (matrix cell ${want.spec.id}: ${want.label})` : ' (default nginx)'}`);
    const [major, minor] = version.split('.').map(Number);
    assert.ok(major > 0 || minor >= 8, `njs ${version} is older than 0.8`);
    assert.equal(engine, want?.spec.engine === 'qjs' ? 'QuickJS' : 'njs');
    if (want) assert.match(want.label, new RegExp(`^njs ${version.replace(/\./g, '\\.')} `));

    // Module-level variables: the njs engine runs every request in a fresh clone of the VM (always 1); QuickJS reuses
    // a context across requests (js_context_reuse), so they carry over. Hence no mutable module-level state in njs/.
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) seen.push(await (await fetch(ng.url('/n'))).text());
    t.diagnostic(`a module-level counter over 5 requests: ${seen.join(' ')}`);
    if (engine === 'njs') assert.deepEqual(seen, ['1', '1', '1', '1', '1']);
    else assert.ok(Number(seen[4]) > 1, `QuickJS reused no context: ${seen.join(' ')}`);
  });
});
