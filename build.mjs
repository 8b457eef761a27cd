// Builds everything with esbuild: the sealed njs bundle, the Node code (enforcer, tests, benches) and the dashboard.
// Usage: node build.mjs [--only njs|node|dashboard]...  (default: all three)
import { build } from 'esbuild';
import { readdirSync, statSync, mkdirSync, copyFileSync, existsSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const only = args.flatMap((a, i) => (a === '--only' ? [args[i + 1]] : []));
const want = (part) => only.length === 0 || only.includes(part);

/** Every file under `dir` whose name matches `re`, skipping node_modules. */
function walk(dir, re, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, re, out);
    else if (re.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

// njs 0.8 rejects these at load time; esbuild lowers what it can and fails the build on the rest (NJS-FACTS.md).
const njsUnsupported = {
  class: false, 'for-of': false, destructuring: false, 'default-argument': false, 'array-spread': false,
  generator: false, 'async-generator': false, 'for-await': false, bigint: false, 'object-rest-spread': false,
  'optional-chain': false, 'logical-assignment': false, 'optional-catch-binding': false, 'class-field': false,
};

const jobs = [];
if (want('njs')) {
  // Two bundles: the per-request module (every function in it costs on every request) and the internal listener's.
  // minifySyntax inlines the constants (a module-level variable costs on every request too) and keeps names readable.
  for (const [entry, out] of [['njs/index.ts', 'dist/njs/warden.js'], ['njs/internal.ts', 'dist/njs/warden-internal.js']]) {
    jobs.push(build({
      entryPoints: [join(root, entry)],
      outfile: join(root, out),
      bundle: true, format: 'esm', target: 'es2017', platform: 'neutral', minifySyntax: entry === 'njs/index.ts',
      supported: njsUnsupported, logLevel: 'warning', legalComments: 'none',
      // njs's own module (HMAC for the internal listener's signed requests, njs/auth.ts), imported at load time.
      external: ['crypto'],
    }));
  }
}
if (want('node')) {
  const entries = ['enforcer', 'test', 'bench', 'scripts'].flatMap((d) => walk(join(root, d), /\.ts$/));
  jobs.push(build({
    entryPoints: entries, outdir: join(root, 'dist'), outbase: root,
    bundle: false, format: 'esm', platform: 'node', target: 'node20', sourcemap: 'inline', logLevel: 'warning',
  }));
}
if (want('dashboard') && existsSync(join(root, 'dashboard/app.ts'))) {
  jobs.push(build({
    entryPoints: [join(root, 'dashboard/app.ts')], outfile: join(root, 'dist/dashboard/app.js'),
    bundle: true, format: 'esm', platform: 'browser', target: 'es2020', minify: true, logLevel: 'warning',
  }).then(() => {
    for (const f of walk(join(root, 'dashboard'), /\.(html|css|svg|ico)$/)) {
      const dest = join(root, 'dist', relative(root, f));
      mkdirSync(dirname(dest), { recursive: true });
      copyFileSync(f, dest);
    }
    const uplotCss = join(root, 'node_modules/uplot/dist/uPlot.min.css');
    if (existsSync(uplotCss)) copyFileSync(uplotCss, join(root, 'dist/dashboard/uPlot.min.css'));
  }));
}
try {
  await Promise.all(jobs);
} catch (err) {
  console.error(`build failed: ${err.message}`);
  process.exit(1);
}
