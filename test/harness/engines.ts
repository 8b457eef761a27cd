// The njs versions and JavaScript engines users have, as a test matrix: njs 0.8 (Debian 13, Ubuntu 24.04: the trixie
// root) with its njs engine, and njs 1.0 (nginx.org packages, Debian unstable: the sid root) with the njs engine and
// with QuickJS (`js_engine qjs;`). scripts/run-tests.mjs runs the njs and end-to-end counting tests once per engine,
// naming it in WARDEN_TEST_ENGINE; the harness's startNginx then uses that nginx and engine. An engine that cannot be
// had here makes those tests skip by name, with the command that gets it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildDebianRoot, DEBIAN_ROOTS, mmdebstrapArgs, probeNginx, type NginxBinary } from '../../enforcer/nginx/locate.js';

/** One cell of the matrix. */
export interface EngineSpec {
  /** What WARDEN_TEST_ENGINE says: `trixie-njs`, `sid-njs`, `sid-qjs`. */
  id: string;
  /** The Debian root under .cache/ (`nginx-<suite>`). */
  suite: 'trixie' | 'sid';
  /** The `js_engine` (njs's own engine, or QuickJS). */
  engine: 'njs' | 'qjs';
  /** What users run it on. */
  users: string;
}

/** The matrix, in run order. */
export const ENGINE_MATRIX: EngineSpec[] = [
  { id: 'trixie-njs', suite: 'trixie', engine: 'njs', users: 'njs 0.8 (Debian 13, Ubuntu 24.04)' },
  { id: 'sid-njs', suite: 'sid', engine: 'njs', users: 'njs 1.0, njs engine (nginx.org packages, Debian unstable)' },
  { id: 'sid-qjs', suite: 'sid', engine: 'qjs', users: 'njs 1.0, QuickJS engine (`js_engine qjs;`)' },
];

/** An engine of the matrix found here: the nginx to run, and a label with the versions. */
export interface FoundEngine {
  spec: EngineSpec;
  nb: NginxBinary;
  /** e.g. `njs 1.0.2 (qjs engine), nginx 1.30.6`. */
  label: string;
}

/** The Debian root of `suite` under `cacheDir`. */
export function engineRoot(cacheDir: string, suite: EngineSpec['suite']): string {
  return join(cacheDir, `nginx-${suite}`);
}

/** The njs package version inside a Debian root (`1.0.2`), or '?'. */
function njsVersionIn(root: string): string {
  const r = spawnSync('chroot', [root, 'dpkg-query', '-W', '-f=${Version}', 'libnginx-mod-http-js'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().replace(/-[^-]*$/, '') : '?';
}

/**
 * Finds (and as root builds once, under `cacheDir`, unless `build` is false) the nginx of matrix cell `id`, probing that
 * it accepts the engine; returns the engine or the reason it cannot be had here, ending with the command that gets it.
 * @example const e = findEngine('sid-qjs', join(repoRoot, '.cache')); if (typeof e === 'string') console.log(e);
 */
export function findEngine(id: string, cacheDir: string, build = true): FoundEngine | string {
  const spec = ENGINE_MATRIX.find((e) => e.id === id);
  if (!spec) return `WARDEN_TEST_ENGINE=${id}: unknown (one of ${ENGINE_MATRIX.map((e) => e.id).join(', ')})`;
  const root = engineRoot(cacheDir, spec.suite);
  const how = `build it as root: mmdebstrap ${mmdebstrapArgs(DEBIAN_ROOTS[spec.suite], root).map((a) => (/[\s"]/.test(a) ? `'${a}'` : a)).join(' ')}`;
  const prefix = `${spec.users} [${spec.id}]`;
  if (!existsSync(join(root, 'usr/sbin/nginx'))) {
    if (process.getuid?.() !== 0 || !build) return `${prefix}: ${root} is missing; ${how}`;
    const failed = buildDebianRoot(DEBIAN_ROOTS[spec.suite], root, (l) => console.log(`# ${l}`));
    if (failed) return `${prefix}: ${failed}; ${how}`;
  }
  if (process.getuid?.() !== 0) return `${prefix}: running nginx in ${root} needs root (chroot)`;
  const nb = probeNginx('/usr/sbin/nginx', root, spec.engine === 'qjs' ? 'js_engine qjs;' : '');
  if (typeof nb === 'string') return `${prefix}: ${nb}`;
  const nginx = /nginx\/([\d.]+)/.exec(nb.version)?.[1] ?? '?';
  return { spec, nb, label: `njs ${njsVersionIn(root)} (${spec.engine} engine), nginx ${nginx}` };
}
