// `warden doctor`: checks config, nginx include, njs version, counters endpoint, realip, firewall backends, Docker's
// DOCKER-USER chain, database, audit log, systemd unit, logrotate, daemon and (fleet mode) the Valkey link, and says exactly what to fix for each
// problem, pointing at the section of docs/install.md that explains it.
import type { CommandContext } from '../context.js';
import { resolveConfig } from '../../config/find.js';
import type { Config } from '../../config/schema.js';
import type { DoctorOptions, Finding } from '../doctor/finding.js';
import { checkNginxConfig, checkNginxEndpoint, checkRealIp, readNginxDump } from '../doctor/nginx-checks.js';
import { checkBackends, checkDockerUser } from '../doctor/firewall-checks.js';
import { checkAuditLog, checkDatabase } from '../doctor/storage-checks.js';
import { checkLogrotate, checkSystemdUnit } from '../doctor/install-checks.js';
import { checkDaemon } from '../doctor/daemon-check.js';
import { checkFleet } from '../doctor/fleet-check.js';

export type { DoctorOptions, Finding };
export { versionAtLeast } from '../doctor/finding.js';
export { checkRealIp, checkDockerUser, checkDatabase, checkAuditLog, checkSystemdUnit, checkLogrotate };

/** All findings, in the order they are printed. */
export async function diagnose(config: Config, opts: DoctorOptions | string): Promise<Finding[]> {
  const o: DoctorOptions = typeof opts === 'string' ? { nginx: opts } : opts;
  const nginx = readNginxDump(o.nginx);
  const dump = 'dump' in nginx ? nginx.dump : undefined;
  const daemon = await checkDaemon(config);
  return [
    ...(await checkNginxEndpoint(config)),
    ...(dump === undefined ? [(nginx as { finding: Finding }).finding] : checkNginxConfig(dump, config)),
    ...checkRealIp(config, dump, daemon.topIps),
    ...checkBackends(config),
    ...checkDockerUser(config),
    ...checkDatabase(config),
    ...checkAuditLog(config),
    ...checkSystemdUnit(o),
    ...checkLogrotate(config, o),
    daemon.finding,
    ...(await checkFleet(config)),
  ];
}

const LABEL: Record<Finding['level'], string> = { ok: ' ok ', info: 'info', warn: 'WARN', fail: 'FAIL' };

/** Runs `warden doctor`. Exit 0 when nothing failed. */
export async function runDoctor(ctx: CommandContext): Promise<number> {
  const { config, path } = resolveConfig(ctx.flags.config as string | undefined);
  ctx.out(`config: ${path ?? '(built-in defaults)'}: valid`);
  const findings = await diagnose(config, { nginx: (ctx.flags.nginx as string | undefined) ?? 'nginx' });
  for (const f of findings) {
    ctx.out(`${LABEL[f.level]}  ${f.what}: ${f.detail}`);
    if (f.fix && f.level !== 'ok') ctx.out(`      fix: ${f.fix}`);
    if (f.see && f.level !== 'ok') ctx.out(`      see: docs/install.md#${f.see}`);
  }
  const failed = findings.filter((f) => f.level === 'fail').length;
  ctx.out(failed ? `doctor: ${failed} problem(s) to fix` : 'doctor: all good');
  return failed ? 1 : 0;
}
