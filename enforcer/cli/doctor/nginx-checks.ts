// Doctor's nginx checks: the counters endpoint and njs version, the include and access logs in `nginx -T`, realip.
import { checkAccessLogs } from '../../nginx/access-log-check.js';
import { buildMatcher } from '../../net/cidr.js';
import type { Config } from '../../config/schema.js';
import { nginxDump } from '../commands/nginx-check.js';
import { readSecret } from '../../nginx/secret-file.js';
import { getJson, versionAtLeast, type Finding } from './finding.js';
import { pushAll } from '../../core/arrays.js';
import { checkHandlerMaps, checkHandlerNames, type ReadText } from './nginx-handlers.js';
import { createInternalClient, refusalText, UnsignedAnswerError } from '../../adapters/nginx-internal.js';

export async function checkNginxEndpoint(config: Config): Promise<Finding[]> {
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
    pushAll(out, await checkProtocol(config, base, r.body as StatusBody));
  } catch (err) {
    out.push({ level: 'fail', what: 'counters endpoint', detail: `${base} unreachable (${(err as Error).message})`,
      fix: 'add `include /etc/nginx/warden/nginx.conf;` inside http {} and run `nginx -t && nginx -s reload`', see: 'nginx-include' });
  }
  return out;
}

interface StatusBody { protocol?: number; auth?: number; ipv6_prefix?: number; secret?: boolean }

/** The njs module's protocol version, its IPv6 prefix against `detection.ipv6_prefix`, and the warden secret. */
async function checkProtocol(config: Config, base: string, st: StatusBody): Promise<Finding[]> {
  const out: Finding[] = [];
  const upgrade = 'copy nginx.conf, dist/njs/warden.js and dist/njs/warden-internal.js of this version to /etc/nginx/warden/ and reload nginx';
  if (st.protocol !== 2) {
    out.push({ level: 'fail', what: 'njs module version', detail: `nginx runs an njs module of counters protocol ${st.protocol ?? 1}, this warden reads 2`,
      fix: upgrade, see: 'upgrading' });
    return out;
  }
  if (st.auth !== 1) {
    out.push({ level: 'fail', what: 'njs module version', detail: 'nginx runs an njs module of counters protocol 2 from before signed ' +
      'requests: it takes only the raw secret, which this daemon no longer sends, so it reads nothing from nginx', fix: upgrade, see: 'upgrading' });
    return out;
  }
  out.push({ level: 'ok', what: 'njs module version', detail: 'counters protocol 2, signed requests' });
  const want = config.detection.ipv6_prefix;
  if (st.ipv6_prefix !== want) {
    out.push({ level: 'fail', what: 'IPv6 prefix', detail: `nginx counts IPv6 clients per /${st.ipv6_prefix} but detection.ipv6_prefix is ${want}`,
      fix: `set \`js_var $warden_ipv6_prefix ${want};\` in the warden nginx.conf and reload nginx, or detection.ipv6_prefix: ${st.ipv6_prefix}`, see: 'nginx-include' });
  } else {
    out.push({ level: 'ok', what: 'IPv6 prefix', detail: `/${want} in nginx and in warden.yaml` });
  }
  let secret: string | null = null;
  try {
    secret = readSecret(config.nginx.secret_file);
  } catch (err) {
    out.push({ level: 'fail', what: 'warden secret', detail: (err as Error).message, fix: 'delete the file and restart the daemon', see: 'nginx-include' });
    return out;
  }
  if (!st.secret || secret === null) {
    out.push({ level: 'fail', what: 'warden secret',
      detail: secret === null ? `${config.nginx.secret_file} does not exist` : 'nginx has not loaded the warden secret',
      fix: `start the daemon once (it writes ${config.nginx.secret_file}), check that the warden nginx.conf includes that file, and reload nginx`,
      see: 'nginx-include' });
    return out;
  }
  try {
    // Signed like the daemon's requests (channel `doctor`): the secret itself is never sent, and the answer must be
    // signed by nginx, so a process holding the port in nginx's place shows up here.
    const client = createInternalClient({ url: base, channel: 'doctor', secret: () => secret });
    const a = await client.request('GET', '/bans', { timeoutMs: 2000 });
    if (a.status === 200) {
      out.push({ level: 'ok', what: 'warden secret', detail: `nginx and ${config.nginx.secret_file} agree (signed requests and answers)` });
    } else {
      out.push({ level: 'fail', what: 'warden secret', detail: `nginx refuses requests signed with the secret in ${config.nginx.secret_file} ` +
        `(HTTP ${a.status}: ${refusalText(a)})`,
        fix: 'reload nginx after the secret file changed, check that nginx includes that very file, and that both clocks agree', see: 'nginx-include' });
    }
  } catch (err) {
    if (err instanceof UnsignedAnswerError) {
      out.push({ level: 'fail', what: 'nginx answers', detail: err.message,
        fix: `find what listens on ${new URL(base).host} (\`ss -ltnp\`): it must be nginx with this version's warden files`, see: 'nginx-include' });
      return out;
    }
    out.push({ level: 'warn', what: 'warden secret', detail: `could not check it: ${(err as Error).message}`, see: 'nginx-include' });
  }
  return out;
}

/** `nginx -T`, or a finding saying why it could not be read. */
export function readNginxDump(nginx: string): { dump: string } | { finding: Finding } {
  try {
    return { dump: nginxDump(nginx) };
  } catch (err) {
    return { finding: { level: 'warn', what: 'nginx config', detail: (err as Error).message,
      fix: 'run doctor as root on the nginx host, or pass --nginx /usr/sbin/nginx', see: 'nginx-include' } };
  }
}

/**
 * The findings about `nginx -T` output: the include, the handler names against warden.js (read with `readText`), the
 * IPv6 line of the geo, access_log coverage, the ban snippet.
 * @example checkNginxConfig(nginxDump('nginx'), config)
 */
export function checkNginxConfig(dump: string, config: Config, readText?: ReadText): Finding[] {
  const out: Finding[] = [];
  if (/js_import\s+\S*warden/.test(dump) || /warden_counts/.test(dump)) {
    out.push({ level: 'ok', what: 'nginx include', detail: 'the warden include is loaded' });
  } else {
    out.push({ level: 'fail', what: 'nginx include', detail: 'no warden js_import / warden_counts zone in `nginx -T`',
      fix: 'add `include /etc/nginx/warden/nginx.conf;` inside http {}', see: 'nginx-include' });
  }
  pushAll(out, checkHandlerNames(dump, readText));
  pushAll(out, checkHandlerMaps(dump));
  // Comments out first (a commented-out older block must not hide the live one), then the geo's statements.
  const geo = /\bgeo\s+\$warden_from_proxy\s*\{([^}]*)\}/.exec(dump.replace(/#[^\n]*/g, ''));
  if (geo) {
    // nginx routes IPv6 clients to the handler that keys them by prefix through this geo's `::/0 6;` line; without it
    // they are counted per address (rotating through a /64 is then many clients).
    const statements = geo[1].split(';').map((l) => l.trim());
    if (statements.some((l) => /^::\/0\s+6$/.test(l))) {
      out.push({ level: 'ok', what: 'IPv6 clients', detail: 'nginx counts IPv6 clients per prefix (`::/0 6;` in geo $warden_from_proxy)' });
    } else {
      out.push({ level: 'warn', what: 'IPv6 clients', detail: 'geo $warden_from_proxy has no `::/0 6;` line: nginx counts each IPv6 address ' +
        'as a client of its own, so one client rotating through its /64 is never seen as one',
        fix: 'copy the geo block of this version\'s nginx.conf (keep your proxy lines) and reload nginx', see: 'nginx-include' });
    }
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
