// `warden doctor`: checks config, nginx include, njs version, counters endpoint, realip, firewall backends, Docker's
// DOCKER-USER chain, database, audit log, systemd unit, logrotate and daemon, and says exactly what to fix for each
// problem, pointing at the section of docs/install.md that explains it.
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandContext } from '../main.js';
import { resolveConfig } from '../config-path.js';
import { apiBaseUrl, callApi } from '../api-client.js';
import { checkAccessLogs } from '../../nginx/access-log-check.js';
import { nginxDump } from './nginx-check.js';
import { openStore } from '../../adapters/store/warden-store.js';
import { buildMatcher } from '../../net/cidr.js';
import type { Config } from '../../config/schema.js';
import { checkFleet } from './doctor-fleet.js';

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

const defaultUnitPaths = ['/etc/systemd/system/nginx-warden.service', '/lib/systemd/system/nginx-warden.service', '/usr/lib/systemd/system/nginx-warden.service'];
const defaultLogrotate = '/etc/logrotate.d/nginx-warden';
/** dist/enforcer/cli/commands/doctor.js -> the checkout. */
const defaultRepoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../../..');

async function getJson(url: string, timeoutMs = 2000): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: text };
  }
}

function hasBinary(name: string): boolean {
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

async function checkNginxEndpoint(config: Config): Promise<Finding[]> {
  const out: Finding[] = [];
  const base = config.nginx.url.replace(/\/+$/, '');
  try {
    const r = await getJson(`${base}/status`);
    if (r.status !== 200 || typeof r.body !== 'object' || r.body === null) {
      out.push({ level: 'fail', what: 'counters endpoint', detail: `${base}/status answered HTTP ${r.status}`,
        fix: 'check that the warden internal server from nginx.conf is included in http {} and listens on this address', see: 'nginx-include' });
      return out;
    }
    const body = r.body as { njs?: string; nginx?: string };
    out.push({ level: 'ok', what: 'counters endpoint', detail: `${base} answers (nginx ${body.nginx ?? '?'})` });
    if (body.njs && versionAtLeast(body.njs, '0.8.0')) {
      out.push({ level: 'ok', what: 'njs version', detail: body.njs });
    } else {
      out.push({ level: 'fail', what: 'njs version', detail: `${body.njs ?? 'unknown'} (needs >= 0.8.0 for js_shared_dict_zone)`,
        fix: 'install nginx and njs from nginx.org packages, or Debian 13 / Ubuntu 24.04 packages (libnginx-mod-http-js >= 0.8)', see: 'nginx-njs' });
    }
  } catch (err) {
    out.push({ level: 'fail', what: 'counters endpoint', detail: `${base} unreachable (${(err as Error).message})`,
      fix: 'add `include /etc/nginx/warden/nginx.conf;` inside http {} and run `nginx -t && nginx -s reload`', see: 'nginx-include' });
  }
  return out;
}

/** `nginx -T`, or a finding saying why it could not be read. */
function readNginxDump(nginx: string): { dump: string } | { finding: Finding } {
  try {
    return { dump: nginxDump(nginx) };
  } catch (err) {
    return { finding: { level: 'warn', what: 'nginx config', detail: (err as Error).message,
      fix: 'run doctor as root on the nginx host, or pass --nginx /usr/sbin/nginx', see: 'nginx-include' } };
  }
}

function checkNginxConfig(dump: string, config: Config): Finding[] {
  const out: Finding[] = [];
  if (/js_import\s+\S*warden/.test(dump) || /warden_counts/.test(dump)) {
    out.push({ level: 'ok', what: 'nginx include', detail: 'the warden include is loaded' });
  } else {
    out.push({ level: 'fail', what: 'nginx include', detail: 'no warden js_import / warden_counts zone in `nginx -T`',
      fix: 'add `include /etc/nginx/warden/nginx.conf;` inside http {}', see: 'nginx-include' });
  }
  const warnings = checkAccessLogs(dump);
  if (warnings.length === 0) out.push({ level: 'ok', what: 'access_log coverage', detail: 'every server and location is counted' });
  for (const w of warnings) {
    out.push({ level: 'warn', what: 'access_log coverage', detail: `${w.file}:${w.line} ${w.context}: ${w.message}`,
      fix: 'add `if=$warden_log` ... see the comment in nginx.conf, or run `warden nginx-check`', see: 'nginx-include' });
  }
  const nginxBackend = config.enforcement.backends.includes('nginx');
  if (nginxBackend && !/if\s*\(\s*\$warden_banned\s*\)/.test(dump)) {
    out.push({ level: 'warn', what: 'in-nginx bans', detail: 'the nginx backend is configured but no server checks $warden_banned',
      fix: 'include /etc/nginx/warden/nginx-server.conf in each server {} that faces clients', see: 'behind-a-proxy' });
  }
  return out;
}

/** Private, loopback, link-local and CGNAT ranges: where a proxy in front of nginx usually sits. */
const isPrivate = buildMatcher(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16',
  'fc00::/7', 'fe80::/10', '::1/128']);

/**
 * Realip: with the nginx backend, nginx must see real client addresses (`real_ip_header`); and whatever the backend,
 * every recent request coming from one private address means a proxy whose clients all look like the proxy.
 * `topIps` is the daemon's view of the last minute (undefined when the daemon cannot be asked).
 */
export function checkRealIp(config: Config, dump: string | undefined, topIps: Array<{ ip: string; rate: number }> | undefined): Finding[] {
  const out: Finding[] = [];
  const realip = dump === undefined ? undefined : /(^|[;{])\s*real_ip_header\s+[^;\s]+\s*;/m.test(dump);
  if (config.enforcement.backends.includes('nginx') && realip === false) {
    out.push({ level: 'warn', what: 'realip', detail: 'the nginx backend is used (behind a proxy or CDN?) but nginx has no real_ip_header: ' +
      'every client looks like the proxy', fix: 'add set_real_ip_from <proxy ranges>; real_ip_header X-Forwarded-For; in http {}', see: 'behind-a-proxy' });
  }
  const active = (topIps ?? []).filter((t) => t.rate > 0);
  if (active.length === 1 && isPrivate(active[0].ip) && realip !== true) {
    out.push({ level: 'warn', what: 'realip', detail: `every request in the last minute came from ${active[0].ip}, a private address: ` +
      'a proxy or load balancer without realip?', fix: 'configure realip for it (set_real_ip_from, real_ip_header) and use the nginx backend', see: 'behind-a-proxy' });
  } else if (realip === true) {
    out.push({ level: 'ok', what: 'realip', detail: 'nginx takes client addresses from real_ip_header' });
  }
  return out;
}

function checkBackends(config: Config): Finding[] {
  const out: Finding[] = [];
  const root = process.getuid ? process.getuid() === 0 : false;
  const need: Record<string, string[]> = { ipset: ['ipset', 'iptables', 'ip6tables'], nftables: ['nft'], iptables: ['iptables', 'ip6tables'] };
  for (const b of config.enforcement.backends) {
    if (config.dry_run) {
      out.push({ level: 'warn', what: `backend ${b}`, detail: 'dry_run is on: nothing is enforced',
        fix: 'set `dry_run: false` once replay and dry-run look right', see: 'enforcing' });
      continue;
    }
    const bins = need[b];
    if (!bins) {
      out.push({ level: 'ok', what: `backend ${b}`, detail: b === 'nginx' ? `bans go to ${config.nginx.url}/bans` : 'logs only' });
      continue;
    }
    const missing = bins.filter((x) => !hasBinary(x));
    if (missing.length) {
      out.push({ level: 'fail', what: `backend ${b}`, detail: `missing ${missing.join(', ')}`,
        fix: `apt-get install ${b === 'nftables' ? 'nftables' : b === 'ipset' ? 'ipset iptables' : 'iptables'}`, see: 'firewall' });
    } else if (!root) {
      out.push({ level: 'fail', what: `backend ${b}`, detail: 'not running as root',
        fix: 'run the daemon as root or with CAP_NET_ADMIN and CAP_NET_RAW (the systemd unit does)', see: 'firewall' });
    } else {
      out.push({ level: 'ok', what: `backend ${b}`, detail: `${bins.join(', ')} present` });
    }
  }
  return out;
}

/** True when `iptables -S CHAIN` succeeds (the chain exists in this network namespace). */
function chainExists(bin: string, chain: string): boolean {
  const r = spawnSync(bin, ['-w', '-S', chain], { stdio: 'ignore', timeout: 10_000 });
  return r.status === 0;
}

/**
 * Docker publishes ports through FORWARD -> DOCKER-USER, never INPUT: a DOCKER-USER chain that the ban chain is not
 * hooked into means published ports ignore every ban. Only for the firewall backends (nginx bans work anyway).
 */
export function checkDockerUser(config: Config): Finding[] {
  const firewall = config.enforcement.backends.filter((b) => b === 'ipset' || b === 'iptables' || b === 'nftables');
  if (firewall.length === 0 || !hasBinary('iptables')) return [];
  const families = ['iptables', 'ip6tables'].filter((bin) => hasBinary(bin) && chainExists(bin, 'DOCKER-USER'));
  if (families.length === 0) return [];
  const hooked = config.enforcement.hook_chains.includes('DOCKER-USER');
  if (hooked) return [{ level: 'ok', what: 'docker', detail: `DOCKER-USER exists (${families.join(', ')}) and is in enforcement.hook_chains` }];
  return [{
    level: 'warn', what: 'docker',
    detail: `a DOCKER-USER chain exists (${families.join(', ')}) but enforcement.hook_chains is [${config.enforcement.hook_chains.join(', ')}]: ` +
      'ports published by Docker go through FORWARD, not INPUT, so bans do not reach them',
    fix: 'add DOCKER-USER to enforcement.hook_chains and restart the daemon', see: 'docker',
  }];
}

/** The nearest existing folder at or above `p`. */
function existingAncestor(p: string): string {
  let d = p;
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  return d;
}

/**
 * A warning when `path` (the setting `key`) is under /etc, /usr or /boot, which the systemd unit keeps read-only
 * (ProtectSystem=full), so the daemon could not write it there; null otherwise.
 */
function readOnlyWarning(what: string, key: string, path: string, suggested: string): Finding | null {
  if (!/^\/(etc|usr|boot)\//.test(path)) return null;
  return { level: 'warn', what, detail: `${path} is under a folder the systemd unit keeps read-only`,
    fix: `set ${key}: ${suggested}`, see: 'config' };
}

/** The database: readable, or creatable at first start; not under a folder the unit keeps read-only. */
export function checkDatabase(config: Config): Finding[] {
  const path = config.storage.database;
  const ro = readOnlyWarning('database', 'storage.database', path, '/var/lib/nginx-warden/warden.db');
  const out: Finding[] = ro ? [ro] : [];
  if (!existsSync(path)) {
    try {
      accessSync(existingAncestor(dirname(path)), constants.W_OK);
      out.push({ level: 'ok', what: 'database', detail: `${path} will be created at first start` });
    } catch {
      out.push({ level: 'fail', what: 'database', detail: `cannot create ${path}`, fix: `make ${dirname(path)} writable for the daemon's user`, see: 'database' });
    }
    return out;
  }
  try {
    const store = openStore(path, { readonly: true });
    try {
      out.push({ level: 'ok', what: 'database', detail: `${path}: ${store.countActive()} active ban(s)` });
    } finally {
      store.close();
    }
  } catch (err) {
    out.push({ level: 'fail', what: 'database', detail: `${path}: ${(err as Error).message}`,
      fix: 'restore it from a backup, or move it away to start afresh', see: 'database' });
  }
  return out;
}

/** The audit log: writable, or creatable at first start; not under a folder the unit keeps read-only. */
export function checkAuditLog(config: Config): Finding[] {
  const path = config.storage.audit_log;
  const ro = readOnlyWarning('audit log', 'storage.audit_log', path, '/var/log/nginx-warden/audit.log');
  const out: Finding[] = ro ? [ro] : [];
  const target = existsSync(path) ? path : existingAncestor(dirname(path));
  try {
    accessSync(target, constants.W_OK);
    out.push({ level: 'ok', what: 'audit log', detail: existsSync(path) ? `${path} is writable` : `${path} will be created at first start` });
  } catch (err) {
    out.push({ level: 'fail', what: 'audit log', detail: `${path} is not writable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      fix: `make ${dirname(path)} writable for the daemon's user`, see: 'logrotate' });
  }
  return out;
}

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

async function checkDaemon(config: Config): Promise<{ finding: Finding; topIps?: Array<{ ip: string; rate: number }> }> {
  const base = apiBaseUrl(config);
  try {
    const r = await getJson(`${base}/healthz`);
    if (r.status !== 200) {
      return { finding: { level: 'fail', what: 'daemon', detail: `${base}/healthz answered HTTP ${r.status}`,
        fix: 'look at the daemon log: journalctl -u nginx-warden', see: 'systemd' } };
    }
  } catch {
    return { finding: { level: 'warn', what: 'daemon', detail: `not answering at ${base}`,
      fix: 'start it: `systemctl start nginx-warden` (or `warden start`)', see: 'systemd' } };
  }
  let topIps: Array<{ ip: string; rate: number }> | undefined;
  try {
    const s = await callApi<{ topIps?: Array<{ ip: string; rate: number }> }>(config, 'GET', '/api/v1/status');
    topIps = Array.isArray(s.topIps) ? s.topIps : undefined;
  } catch {
    /* no token here (not root?): the realip check just goes without the daemon's view */
  }
  return { finding: { level: 'ok', what: 'daemon', detail: `running, API at ${base}` }, topIps };
}

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
