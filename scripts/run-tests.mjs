// Runs every built test file (dist/test/**/*.test.js) with node's test runner, one file at a time per lane:
// many tests start real nginx, daemons or network namespaces and should not compete for 2 cores.
// Two lanes (WARDEN_TEST_LANES=1: one). The first runs the tests that start daemons, nginx or a browser; the second,
// beside it, the pure-Node tests (PURE below: no timing they depend on), then the engine matrix (test/harness/engines.ts):
// the njs tests (test/njs/) that start an nginx and the end-to-end counting test (test/e2e/flood-ban) again on every
// other njs version and engine users have (njs 0.8; njs 1.0 with the njs engine and with QuickJS), each pass with
// WARDEN_TEST_ENGINE set; an engine that cannot be had here makes that pass's tests skip by name, with the command that
// gets it. The tests that measure time against real packets (LAST: firewall, end to end) run after both lanes, alone.
// The second lane's output is printed after the first's; the totals of every pass at the end.
// Usage: node scripts/run-tests.mjs [substring...]  (filters test files by path)
//   WARDEN_TEST_ENGINES=sid-qjs,trixie-njs  only these matrix passes (`none`: no matrix pass)
//   WARDEN_TEST_ENGINE=sid-qjs              every file once, on that engine only (no matrix)
//   WARDEN_TEST_LANES=1                     everything one after the other, as listed
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { spawn } from 'node:child_process';
import { Buffer } from 'node:buffer';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'dist/test');
const filters = process.argv.slice(2);
/** Test files that run once per engine of the matrix (path prefixes under dist/test). */
const MATRIX = ['njs/', 'e2e/flood-ban.test.js'];
/** Pure-Node test folders (no daemon process, no timing they depend on): the second lane runs them. */
const PURE = ['adapters/', 'api/', 'bench/', 'config/', 'core/', 'deploy/', 'harness/', 'net/', 'nginx/', 'replay/', 'store/'];
/** Test folders that measure time against real packets and processes: run last, with nothing beside them. */
const LAST = ['firewall/', 'e2e/'];

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

/**
 * Runs `list` with node --test; resolves to its exit status and output. With `capture`, the output is kept instead of
 * printed, so that a second lane's TAP does not interleave with the first one's; otherwise it is printed as it comes
 * (and kept for the totals).
 */
function run(list, env, capture = false) {
  if (list.length === 0) return Promise.resolve({ status: 0, output: '' });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=240000', ...list], {
      cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WARDEN_ROOT: root, ...env },
    });
    const out = [];
    const keep = (stream) => (b) => {
      out.push(b);
      if (!capture) stream.write(b);
    };
    child.stdout.on('data', keep(process.stdout));
    child.stderr.on('data', keep(process.stderr));
    child.on('error', (err) => resolve({ status: 1, output: `run-tests: ${err.message}\n` }));
    child.on('close', (code) => resolve({ status: code ?? 1, output: Buffer.concat(out).toString('utf8') }));
  });
}

/** The `# tests/pass/fail/skipped` summary numbers of one node --test output (0 for a missing line). */
function totalsOf(output) {
  const n = (k) => Number((new RegExp(`^# ${k} (\\d+)$`, 'm').exec(output) ?? [])[1] ?? 0);
  return { tests: n('tests'), pass: n('pass'), fail: n('fail'), skipped: n('skipped') };
}

const results = [];
const started = Date.now();
const mainWhat = process.env.WARDEN_TEST_ENGINE ? `every test on ${process.env.WARDEN_TEST_ENGINE}` : 'every test (default nginx)';

// Only the ones that start an nginx (a pure-Node test under njs/ gains nothing from another engine).
const matrixFiles = files.filter((f) => MATRIX.some((m) => relative(dir, f).startsWith(m)))
  .filter((f) => /\b(withNginx|startNginx)\(/.test(readFileSync(f, 'utf8')));
const chosen = (process.env.WARDEN_TEST_ENGINES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
// The engine matrix runs in a second lane beside the main pass (its output printed after the main pass's), unless
// WARDEN_TEST_LANES=1: one lane, one file at a time, as before.
const lanes = process.env.WARDEN_TEST_LANES === '1' ? 1 : 2;

/** The matrix passes, one after the other; returns their results and (in a second lane) their output. */
async function matrixLane(capture) {
  const out = [];
  const say = (line) => (capture ? out.push(`${line}\n`) : console.log(line));
  if (process.env.WARDEN_TEST_ENGINE || matrixFiles.length === 0 || chosen.includes('none')) return { results: out, text: '' };
  const passes = [];
  const { ENGINE_MATRIX, findEngine, engineRoot } = await import(pathToFileURL(join(dir, 'harness/engines.js')).href);
  const { locateNginx } = await import(pathToFileURL(join(root, 'dist/enforcer/nginx/locate.js')).href);
  const cache = join(root, '.cache');
  const def = locateNginx({ trixieRoot: engineRoot(cache, 'trixie') });
  for (const spec of ENGINE_MATRIX) {
    if (chosen.length && !chosen.includes(spec.id)) continue;
    // The default run above used this engine already (njs engine in the same root).
    if (typeof def !== 'string' && spec.engine === 'njs' && def.root === engineRoot(cache, spec.suite)) {
      say(`\nrun-tests: engine ${spec.id} (${spec.users}) is the default nginx: covered by the main pass`);
      continue;
    }
    const e = findEngine(spec.id, cache);
    const label = typeof e === 'string' ? `${spec.id}: not available here (its tests skip, saying why)` : `${spec.id}: ${e.label}`;
    say(`\nrun-tests: engine matrix: ${matrixFiles.length} njs/counting test files on ${label}`);
    // An engine found missing here is not looked for (or built) again by every test file: they skip with this reason.
    const env = { WARDEN_TEST_ENGINE: spec.id, ...(typeof e === 'string' ? { WARDEN_TEST_ENGINE_MISSING: e } : {}) };
    const r = await run(matrixFiles, env, capture);
    if (capture) out.push(r.output);
    passes.push({ what: `engine ${label}`, status: r.status, output: r.output });
  }
  return { results: passes, text: out.join('') };
}

const inDirs = (dirs) => (f) => dirs.some((d) => relative(dir, f).startsWith(d));
if (lanes === 2) {
  const pure = files.filter(inDirs(PURE));
  const last = files.filter(inDirs(LAST));
  const first = files.filter((f) => !pure.includes(f) && !last.includes(f));
  const second = (async () => {
    const p = await run(pure, {}, true);
    const m = await matrixLane(true);
    return { pure: p, matrix: m };
  })();
  const a = await run(first, {});
  const b = await second;
  if (pure.length) console.log(`\nrun-tests: the pure-Node tests ran in a second lane; their output:\n${b.pure.output}`);
  if (b.matrix.text) console.log(`\nrun-tests: the engine matrix ran in the second lane; its output:\n${b.matrix.text}`);
  if (last.length) console.log('\nrun-tests: the firewall and end-to-end tests, alone:');
  const c = await run(last, {});
  const status = [a, b.pure, c].every((r) => r.status === 0) ? 0 : [a, b.pure, c].find((r) => r.status !== 0).status;
  results.push({ what: mainWhat, status, output: [a.output, b.pure.output, c.output].join('\n') });
  for (const r of b.matrix.results) results.push(r);
} else {
  const r = await run(files, {});
  results.push({ what: mainWhat, status: r.status, output: r.output });
  for (const m of (await matrixLane(false)).results) results.push(m);
}
console.log(`\nrun-tests: ${Math.round((Date.now() - started) / 1000)} s`);
for (const r of results) {
  const t = { tests: 0, pass: 0, fail: 0, skipped: 0 };
  for (const part of (r.output ?? '').split(/^(?=# tests \d+$)/m)) {
    const x = totalsOf(part);
    for (const k of Object.keys(t)) t[k] += x[k];
  }
  const counts = r.output === undefined ? '' : ` (${t.tests} tests: ${t.pass} passed, ${t.fail} failed, ${t.skipped} skipped)`;
  console.log(`run-tests: ${r.status === 0 ? 'pass' : `FAIL (exit ${r.status})`}: ${r.what}${counts}`);
}
process.exit(results.every((r) => r.status === 0) ? 0 : 1);
