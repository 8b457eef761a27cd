// What `warden doctor` reports (a finding per check), where it looks, and the small helpers its checks share.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One finding: ok, information, a warning, or a failure with the fix and the install guide's section. */
export interface Finding {
  level: 'ok' | 'info' | 'warn' | 'fail';
  what: string;
  detail: string;
  fix?: string;
  /** Anchor in docs/install.md, e.g. `docker` for docs/install.md#docker. */
  see?: string;
}

/** Where doctor looks for the installed pieces; tests point these at temp files. */
export interface DoctorOptions {
  /** The nginx binary (or a wrapper) whose `-T` prints the running config. */
  nginx: string;
  /** Candidate paths of the installed systemd unit. */
  unitPaths?: string[];
  /** Path of the installed logrotate config. */
  logrotatePath?: string;
  /** The checkout the running code comes from (its deploy/ holds the shipped unit and logrotate config). */
  repoRoot?: string;
}

/** Where the systemd unit is usually installed. */
export const defaultUnitPaths = ['/etc/systemd/system/nginx-warden.service', '/lib/systemd/system/nginx-warden.service', '/usr/lib/systemd/system/nginx-warden.service'];
/** Where the logrotate config is installed. */
export const defaultLogrotate = '/etc/logrotate.d/nginx-warden';
/** dist/enforcer/cli/doctor/finding.js -> the checkout. */
export const defaultRepoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** GETs a URL and parses its JSON body (the text when it is not JSON). */
export async function getJson(url: string, timeoutMs = 2000): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: text };
  }
}

/** True when `name` is on the PATH. */
export function hasBinary(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Compares dotted versions: true when `v` >= `min`. */
export function versionAtLeast(v: string, min: string): boolean {
  const a = v.split('.').map((n) => parseInt(n, 10) || 0);
  const b = min.split('.').map((n) => parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}
