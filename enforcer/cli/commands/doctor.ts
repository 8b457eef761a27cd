// `warden doctor`: checks config, nginx include, njs version, counters endpoint, firewall backends, database and daemon,
// and says exactly what to fix for each problem.
import { accessSync, constants, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import type { CommandContext } from '../main.js';
import { resolveConfig } from '../config-path.js';
import { apiBaseUrl } from '../api-client.js';
import { checkAccessLogs } from '../../nginx/access-log-check.js';
import { nginxDump } from './nginx-check.js';
import { openStore } from '../../adapters/store/warden-store.js';
import type { Config } from '../../config/schema.js';

/** One finding: ok, a warning, or a failure with the fix. */
export interface Finding {
  level: 'ok' | 'warn' | 'fail';
  what: string;
  detail: string;
  fix?: string;
}

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
        fix: 'check that the warden internal server from nginx.conf is included in http {} and listens on this address' });
      return out;
    }
    const body = r.body as { njs?: string; nginx?: string };
    out.push({ level: 'ok', what: 'counters endpoint', detail: `${base} answers (nginx ${body.nginx ?? '?'})` });
    if (body.njs && versionAtLeast(body.njs, '0.8.0')) {
      out.push({ level: 'ok', what: 'njs version', detail: body.njs });
    } else {
      out.push({ level: 'fail', what: 'njs version', detail: `${body.njs ?? 'unknown'} (needs >= 0.8.0 for js_shared_dict_zone)`,
        fix: 'install nginx and njs from nginx.org packages, or Debian 13 / Ubuntu 24.04 packages (libnginx-mod-http-js >= 0.8)' });
    }
  } catch (err) {
    out.push({ level: 'fail', what: 'counters endpoint', detail: `${base} unreachable (${(err as Error).message})`,
      fix: 'add `include /path/to/nginx-warden/nginx.conf;` inside http {} and run `nginx -t && nginx -s reload`' });
  }
  return out;
}

function checkNginxConfig(nginx: string): Finding[] {
  let dump: string;
  try {
    dump = nginxDump(nginx);
  } catch (err) {
    return [{ level: 'warn', what: 'nginx config', detail: (err as Error).message,
      fix: 'run doctor as root on the nginx host, or pass --nginx /usr/sbin/nginx' }];
  }
  const out: Finding[] = [];
  if (/js_import\s+\S*warden/.test(dump) || /warden_counts/.test(dump)) {
    out.push({ level: 'ok', what: 'nginx include', detail: 'the warden include is loaded' });
  } else {
    out.push({ level: 'fail', what: 'nginx include', detail: 'no warden js_import / warden_counts zone in `nginx -T`',
      fix: 'add `include /path/to/nginx-warden/nginx.conf;` inside http {}' });
  }
  const warnings = checkAccessLogs(dump);
  if (warnings.length === 0) out.push({ level: 'ok', what: 'access_log coverage', detail: 'every server and location is counted' });
  for (const w of warnings) {
    out.push({ level: 'warn', what: 'access_log coverage', detail: `${w.file}:${w.line} ${w.context}: ${w.message}`,
      fix: 'add `if=$warden_log` ... see the comment in nginx.conf, or run `warden nginx-check`' });
  }
  if (!/\$warden_banned/.test(dump) && /nginx/.test(dump)) {
    out.push({ level: 'warn', what: 'in-nginx bans', detail: 'no server checks $warden_banned',
      fix: 'include nginx-server.conf in each server {} if you use the nginx backend (behind a CDN/proxy)' });
  }
  return out;
}

function checkBackends(config: Config): Finding[] {
  const out: Finding[] = [];
  const root = process.getuid ? process.getuid() === 0 : false;
  const need: Record<string, string[]> = { ipset: ['ipset', 'iptables', 'ip6tables'], nftables: ['nft'], iptables: ['iptables', 'ip6tables'] };
  for (const b of config.enforcement.backends) {
    if (config.dry_run) {
      out.push({ level: 'warn', what: `backend ${b}`, detail: 'dry_run is on: nothing is enforced', fix: 'set `dry_run: false` once replay and dry-run look right' });
      continue;
    }
    const bins = need[b];
    if (!bins) {
      out.push({ level: 'ok', what: `backend ${b}`, detail: b === 'nginx' ? `bans go to ${config.nginx.url}/bans` : 'logs only' });
      continue;
    }
    const missing = bins.filter((x) => !hasBinary(x));
    if (missing.length) {
      out.push({ level: 'fail', what: `backend ${b}`, detail: `missing ${missing.join(', ')}`, fix: `apt-get install ${b === 'nftables' ? 'nftables' : b === 'ipset' ? 'ipset iptables' : 'iptables'}` });
    } else if (!root) {
      out.push({ level: 'fail', what: `backend ${b}`, detail: 'not running as root', fix: 'run the daemon as root or with CAP_NET_ADMIN' });
    } else {
      out.push({ level: 'ok', what: `backend ${b}`, detail: `${bins.join(', ')} present` });
    }
  }
  return out;
}

function checkDatabase(config: Config): Finding[] {
  const path = config.storage.database;
  if (!existsSync(path)) {
    try {
      accessSync(existsSync(dirname(path)) ? dirname(path) : '.', constants.W_OK);
      return [{ level: 'ok', what: 'database', detail: `${path} will be created at first start` }];
    } catch {
      return [{ level: 'fail', what: 'database', detail: `cannot create ${path}`, fix: `make ${dirname(path)} writable for the daemon's user` }];
    }
  }
  try {
    const store = openStore(path, { readonly: true });
    try {
      return [{ level: 'ok', what: 'database', detail: `${path}: ${store.countActive()} active ban(s)` }];
    } finally {
      store.close();
    }
  } catch (err) {
    return [{ level: 'fail', what: 'database', detail: `${path}: ${(err as Error).message}`, fix: 'restore it from a backup, or move it away to start afresh' }];
  }
}

async function checkDaemon(config: Config): Promise<Finding> {
  const base = apiBaseUrl(config);
  try {
    const r = await getJson(`${base}/healthz`);
    return r.status === 200
      ? { level: 'ok', what: 'daemon', detail: `running, API at ${base}` }
      : { level: 'fail', what: 'daemon', detail: `${base}/healthz answered HTTP ${r.status}`, fix: 'look at the daemon log' };
  } catch {
    return { level: 'warn', what: 'daemon', detail: `not answering at ${base}`, fix: 'start it: `warden start` (or the systemd unit)' };
  }
}

/** All findings, in the order they are printed. */
export async function diagnose(config: Config, nginx: string): Promise<Finding[]> {
  return [
    ...(await checkNginxEndpoint(config)),
    ...checkNginxConfig(nginx),
    ...checkBackends(config),
    ...checkDatabase(config),
    await checkDaemon(config),
  ];
}

/** Runs `warden doctor`. Exit 0 when nothing failed. */
export async function runDoctor(ctx: CommandContext): Promise<number> {
  const { config, path } = resolveConfig(ctx.flags.config as string | undefined);
  ctx.out(`config: ${path ?? '(built-in defaults)'}: valid`);
  const findings = await diagnose(config, (ctx.flags.nginx as string | undefined) ?? 'nginx');
  for (const f of findings) {
    ctx.out(`${f.level === 'ok' ? ' ok ' : f.level === 'warn' ? 'WARN' : 'FAIL'}  ${f.what}: ${f.detail}`);
    if (f.fix && f.level !== 'ok') ctx.out(`      fix: ${f.fix}`);
  }
  const failed = findings.filter((f) => f.level === 'fail').length;
  ctx.out(failed ? `doctor: ${failed} problem(s) to fix` : 'doctor: all good');
  return failed ? 1 : 0;
}
