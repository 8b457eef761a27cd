// Doctor's install checks: the systemd unit and the logrotate config are installed and match what ships.
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Config } from '../../config/schema.js';
import { defaultLogrotate, defaultRepoRoot, defaultUnitPaths, hasBinary, type DoctorOptions, type Finding } from './finding.js';

function readOrNull(p: string): string | null {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return null;
  }
}

/** Whether the systemd unit is installed (and the same as the shipped one), and its state when systemd runs. */
export function checkSystemdUnit(opts: DoctorOptions): Finding[] {
  const paths = opts.unitPaths ?? defaultUnitPaths;
  const found = paths.find((p) => existsSync(p));
  if (!found) {
    return [{ level: 'info', what: 'systemd unit', detail: 'nginx-warden.service is not installed',
      fix: 'install deploy/nginx-warden.service to run the daemon at boot and restart it on failure', see: 'systemd' }];
  }
  const out: Finding[] = [];
  const shipped = readOrNull(join(opts.repoRoot ?? defaultRepoRoot, 'deploy/nginx-warden.service'));
  let state = '';
  if (existsSync('/run/systemd/system') && hasBinary('systemctl')) {
    const en = spawnSync('systemctl', ['is-enabled', 'nginx-warden.service'], { encoding: 'utf8', timeout: 10_000 });
    const ac = spawnSync('systemctl', ['is-active', 'nginx-warden.service'], { encoding: 'utf8', timeout: 10_000 });
    state = `: ${(en.stdout ?? '').trim() || 'unknown'}, ${(ac.stdout ?? '').trim() || 'unknown'}`;
  }
  out.push({ level: 'info', what: 'systemd unit', detail: `${found}${state}` });
  if (shipped !== null && readOrNull(found) !== shipped) {
    out.push({ level: 'info', what: 'systemd unit', detail: `${found} differs from the shipped deploy/nginx-warden.service`,
      fix: 'reinstall it after an upgrade (your own changes belong in `systemctl edit nginx-warden`)', see: 'upgrading' });
  }
  return out;
}

/** Whether the logrotate config is installed and rotates the configured audit log. */
export function checkLogrotate(config: Config, opts: DoctorOptions): Finding[] {
  const path = opts.logrotatePath ?? defaultLogrotate;
  const text = readOrNull(path);
  if (text === null) {
    return [{ level: 'info', what: 'logrotate', detail: `${path} is not installed: the audit log grows without bound`,
      fix: 'install deploy/logrotate/nginx-warden', see: 'logrotate' }];
  }
  const audit = config.storage.audit_log;
  const names = text.split('\n').some((l) => l.trim().split(/\s+/).includes(audit));
  if (!names) {
    return [{ level: 'warn', what: 'logrotate', detail: `${path} does not rotate ${audit} (storage.audit_log)`,
      fix: `put ${audit} in ${path}, or set storage.audit_log to the path it names`, see: 'logrotate' }];
  }
  return [{ level: 'ok', what: 'logrotate', detail: `${path} rotates ${audit}` }];
}
