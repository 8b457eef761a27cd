// `warden doctor` against real conditions: a DOCKER-USER chain inside a network namespace the test creates (doctor run
// there with `ip netns exec`), a real nginx whose `nginx -T` has or lacks realip and the ban snippet, a real daemon that
// saw all its traffic come from one private address, and installed/absent systemd unit and logrotate files.
// Each finding about the set-up names its section of docs/install.md, and every such section exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findNginx, freePort, nginxSkipReason, startNginx, type RunningNginx } from '../harness/nginx.js';
import { netnsSkipReason, sh } from '../harness/netns.js';
import { needCommands } from '../harness/tools.js';
import { checkAuditLog, checkDatabase, checkLogrotate, checkSystemdUnit } from '../../enforcer/cli/commands/doctor.js';
import { parseConfig } from '../../enforcer/config/load.js';
import { checkNginxConfig } from '../../enforcer/cli/doctor/nginx-checks.js';
import { repoRoot } from '../harness/nginx.js';

const root = process.env.WARDEN_ROOT ?? process.cwd();
const bin = join(root, 'bin/warden.mjs');
const guide = readFileSync(join(root, 'docs/install.md'), 'utf8');

function doctor(cfg: string, extra: string[] = [], prefix: string[] = []) {
  const argv = [...prefix, process.execPath, bin, 'doctor', '--config', cfg, ...extra];
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', env: { ...process.env, WARDEN_CONFIG: '', WARDEN_TOKEN: '' }, timeout: 30_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** The lines of one finding (its head line and its fix/see lines). */
function finding(out: string, head: RegExp): string | null {
  const lines = out.split('\n');
  const i = lines.findIndex((l) => head.test(l));
  if (i < 0) return null;
  let j = i + 1;
  while (j < lines.length && lines[j].startsWith('      ')) j++;
  return lines.slice(i, j).join('\n');
}

function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'warden-doctor-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

async function config(dir: string, name: string, lines: string[]): Promise<string> {
  const p = join(dir, name);
  writeFileSync(p, [`api: { listen: "127.0.0.1:${await freePort()}" }`, 'storage: { database: state/warden.db, audit_log: log/audit.log }', ...lines].join('\n'));
  return p;
}

test('every section of docs/install.md that doctor points at exists as an anchor', () => {
  const dir = join(root, 'enforcer/cli/doctor');
  const src = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
  const anchors = [...src.matchAll(/see: '([a-z0-9-]+)'/g)].map((m) => m[1]);
  assert.ok(anchors.length >= 10, `found ${anchors.length} references`);
  const missing = [...new Set(anchors)].filter((a) => !guide.includes(`<a id="${a}"></a>`));
  assert.deepEqual(missing, [], `docs/install.md lacks anchors ${missing.join(', ')}`);
  // And the guide's own links to its sections resolve.
  const links = [...guide.matchAll(/\]\(#([a-z0-9-]+)\)/g)].map((m) => m[1]);
  const dangling = [...new Set(links)].filter((a) => !guide.includes(`<a id="${a}"></a>`));
  assert.deepEqual(dangling, [], `docs/install.md links to missing sections ${dangling.join(', ')}`);
});

test('doctor warns when a DOCKER-USER chain exists but is not hooked, and not once it is (inside a test namespace)', { skip: netnsSkipReason() || needCommands('iptables') }, async (t) => {
  const ns = `wds-${process.pid.toString(36)}-doc`;
  const tmp = tempDir();
  sh('ip', ['netns', 'add', ns]);
  t.after(() => {
    spawnSync('ip', ['netns', 'del', ns]);
    tmp.remove();
  });
  sh('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
  const inNs = ['ip', 'netns', 'exec', ns];
  const plain = await config(tmp.dir, 'plain.yaml', ['dry_run: false', 'enforcement: { backends: [ipset], hook_chains: [INPUT] }']);
  const hooked = await config(tmp.dir, 'hooked.yaml', ['dry_run: false', 'enforcement: { backends: [ipset], hook_chains: [INPUT, DOCKER-USER] }']);
  const nginxOnly = await config(tmp.dir, 'nginx.yaml', ['dry_run: false', 'enforcement: { backends: [nginx], hook_chains: [INPUT] }']);
  const noNginx = ['--nginx', join(tmp.dir, 'no-nginx')];

  // No Docker in this namespace: nothing to say about it.
  const before = doctor(plain, noNginx, inNs);
  assert.equal(finding(before.out, /docker: /), null, before.out);
  assert.match(before.out, / ok {3}backend ipset: ipset, iptables, ip6tables present/);

  sh('ip', ['netns', 'exec', ns, 'iptables', '-w', '-N', 'DOCKER-USER']);
  const warned = doctor(plain, noNginx, inNs);
  const f = finding(warned.out, /^WARN {2}docker: /);
  assert.ok(f, warned.out);
  assert.match(f, /a DOCKER-USER chain exists \(iptables\) but enforcement\.hook_chains is \[INPUT\]: ports published by Docker go through FORWARD/);
  assert.match(f, /fix: add DOCKER-USER to enforcement\.hook_chains/);
  assert.match(f, /see: docs\/install\.md#docker$/);

  const ok = doctor(hooked, noNginx, inNs);
  assert.match(ok.out, /^ ok {3}docker: DOCKER-USER exists \(iptables\) and is in enforcement\.hook_chains$/m, ok.out);
  // The nginx backend enforces inside nginx: Docker's chain does not matter to it.
  assert.equal(finding(doctor(nginxOnly, noNginx, inNs).out, /docker: /), null);
  // The root namespace was never touched: the chain exists only in the test namespace.
  assert.equal(spawnSync('ip', ['netns', 'exec', ns, 'iptables', '-w', '-S', 'DOCKER-USER']).status, 0);
});

/** An executable that runs the harness nginx's `-T` on its generated config (doctor's --nginx). */
function nginxWrapper(dir: string, ng: RunningNginx): string {
  const nb = findNginx();
  if (typeof nb === 'string') throw new Error(nb);
  const p = join(dir, `nginx-${ng.port}`);
  const cmd = `${nb.root ? `chroot ${nb.root} ` : ''}${nb.bin} -p ${ng.dirInNginx}/ -c ${ng.dirInNginx}/nginx.conf "$@"`;
  writeFileSync(p, `#!/bin/sh\nexec ${cmd}\n`);
  chmodSync(p, 0o755);
  return p;
}

test('doctor on a real nginx: nginx backend without realip warns; with realip it is ok, and a missing ban snippet warns', { skip: nginxSkipReason() }, async (t) => {
  const tmp = tempDir();
  const started: RunningNginx[] = [];
  t.after(async () => {
    for (const n of started) await n.stop();
    tmp.remove();
  });
  const bare = await startNginx({ workers: 1, servers: ['include {dir}/nginx-server.conf; location / { return 200; }'] });
  started.push(bare);
  const cfg1 = await config(tmp.dir, 'a.yaml', ['dry_run: false', `nginx: { url: "${bare.internalUrl}", secret_file: "${bare.secretFile}" }`, 'enforcement: { backends: [nginx] }']);
  const r1 = doctor(cfg1, ['--nginx', nginxWrapper(tmp.dir, bare)]);
  assert.match(r1.out, / ok {3}counters endpoint: /, r1.out);
  assert.match(r1.out, / ok {3}njs version: 0\.(8|9)\.|\n ok {3}njs version: [1-9]/);
  assert.match(r1.out, / ok {3}nginx include: the warden include is loaded/);
  assert.match(r1.out, / ok {3}njs module version: counters protocol 2/);
  assert.match(r1.out, / ok {3}IPv6 prefix: \/64 in nginx and in warden.yaml/);
  assert.match(r1.out, / ok {3}IPv6 clients: nginx counts IPv6 clients per prefix/);
  assert.match(r1.out, / ok {3}warden secret: nginx and .* agree/);
  const realip = finding(r1.out, /^WARN {2}realip: /);
  assert.ok(realip, r1.out);
  assert.match(realip, /the nginx backend is used \(behind a proxy or CDN\?\) but nginx has no real_ip_header/);
  assert.match(realip, /see: docs\/install\.md#behind-a-proxy$/);
  assert.equal(finding(r1.out, /in-nginx bans/), null, 'the snippet is included in the only server');

  const proxied = await startNginx({ workers: 1, httpExtra: 'set_real_ip_from 10.0.0.0/8; real_ip_header X-Forwarded-For;',
    servers: ['location / { return 200; }'] });
  started.push(proxied);
  const cfg2 = await config(tmp.dir, 'b.yaml', ['dry_run: false', `nginx: { url: "${proxied.internalUrl}", secret_file: "${proxied.secretFile}" }`, 'enforcement: { backends: [nginx] }']);
  const r2 = doctor(cfg2, ['--nginx', nginxWrapper(tmp.dir, proxied)]);
  assert.match(r2.out, /^ ok {3}realip: nginx takes client addresses from real_ip_header$/m, r2.out);
  const snippet = finding(r2.out, /^WARN {2}in-nginx bans: /);
  assert.ok(snippet, r2.out);
  assert.match(snippet, /see: docs\/install\.md#behind-a-proxy$/);
});

test('doctor warns when the running daemon saw every request of the last minute come from one private address', { skip: nginxSkipReason() }, async (t) => {
  const tmp = tempDir();
  const ng = await startNginx({ workers: 1, servers: ['location / { return 200; }'] });
  const cfg = await config(tmp.dir, 'w.yaml', ['dry_run: true', `nginx: { url: "${ng.internalUrl}", secret_file: "${ng.secretFile}" }`, 'enforcement: { backends: [dry-run] }']);
  let out = '';
  const daemon = spawn(process.execPath, [bin, 'start', '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WARDEN_CONFIG: '' } });
  daemon.stdout.on('data', (b) => { out += b; });
  daemon.stderr.on('data', (b) => { out += b; });
  t.after(async () => {
    daemon.kill('SIGKILL');
    await ng.stop();
    tmp.remove();
  });
  for (let i = 0; i < 150 && !/dashboard and API at/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
  assert.match(out, /dashboard and API at/, out);
  // Like a reverse proxy on this host without realip: all traffic from 127.0.0.1.
  for (let i = 0; i < 40; i++) await (await fetch(ng.url('/'))).text();
  let f: string | null = null;
  let last = '';
  // Until the daemon's poll has seen the requests: bounded by time, not by tries (a doctor run has taken 5 s with the
  // machine loaded, and 20 of them outlasted the file's timeout).
  for (const until = Date.now() + 90_000; !f && Date.now() < until;) {
    await new Promise((r) => setTimeout(r, 250));
    last = doctor(cfg, ['--nginx', join(tmp.dir, 'no-nginx')]).out;
    f = finding(last, /^WARN {2}realip: every request in the last minute came from 127\.0\.0\.1, a private address/);
  }
  assert.ok(f, last);
  assert.match(f, /see: docs\/install\.md#behind-a-proxy$/);
  assert.match(last, /^ ok {3}daemon: running/m);
});

test('doctor warns when the geo of an older warden nginx.conf sends IPv6 clients down the IPv4 path', () => {
  const cfg = parseConfig({}, {});
  const dump = (geo: string) => `# configuration file /etc/nginx/warden/nginx.conf:\njs_import warden from warden.js;\n${geo}\n`;
  const old = checkNginxConfig(dump('geo $warden_from_proxy {\n    default 0;\n    # ::/0 6;\n    10.0.0.0/8 1;\n}'), cfg);
  const warn = old.find((f) => f.what === 'IPv6 clients');
  assert.equal(warn?.level, 'warn');
  assert.match(warn?.detail ?? '', /no `::\/0 6;` line/);
  const now = checkNginxConfig(dump('geo $warden_from_proxy {\n    default 0;\n    ::/0 6;\n    10.0.0.0/8 1;\n}'), cfg);
  assert.equal(now.find((f) => f.what === 'IPv6 clients')?.level, 'ok');
  // An older block commented out above the live one, and statements sharing a line, read as nginx reads them.
  const edited = checkNginxConfig(dump('#geo $warden_from_proxy {\n#    default 0;\n#}\ngeo $warden_from_proxy { default 0; ::/0 6; 10.0.0.0/8 1; }'), cfg);
  assert.equal(edited.find((f) => f.what === 'IPv6 clients')?.level, 'ok');
  const commented = checkNginxConfig(dump('geo $warden_from_proxy {\n    default 0;\n    #::/0 6;\n}'), cfg);
  assert.equal(commented.find((f) => f.what === 'IPv6 clients')?.level, 'warn');
});

test('the geo examples of the docs keep `::/0 6;` (an operator who copies one must not get per-address IPv6 counting)', () => {
  const cfg = parseConfig({}, {});
  let seen = 0;
  for (const file of ['README.md', 'docs/install.md', 'docs/counters-protocol.md', 'njs/README.md', 'nginx.conf']) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const m of text.matchAll(/^[ \t]*geo\s+\$warden_from_proxy\s*\{[^}]*\}/gm)) {
      seen++;
      const f = checkNginxConfig(`js_import warden from warden.js;\n${m[0].replace(/^[ \t]+/gm, '')}\n`, cfg).find((x) => x.what === 'IPv6 clients');
      assert.equal(f?.level, 'ok', `${file}: ${m[0]}`);
    }
  }
  assert.ok(seen >= 2, `${seen} geo blocks found`);
});

test('doctor fails when nginx.conf and warden.js in nginx are of different versions (handler names against the export array)', { skip: nginxSkipReason() }, async () => {
  const cfg = parseConfig({}, {});
  // An nginx.conf of the version before handler indexes: the same file with the handlers named.
  const names = ['log', 'countRequest', 'log4xx', 'logProbe', 'logProxy', 'banned'];
  const named = (t: string) => t.replace(/ warden\.(\d);/g, (_m, i: string) => ` warden.${names[Number(i)]};`);
  const run = async (opts: { editWardenConf?: (t: string) => string; wardenFiles?: string }) => {
    const ng = await startNginx({ workers: 1, servers: ['location / { return 200 "ok\\n"; }'], ...opts });
    try {
      await (await fetch(ng.url('/'))).text();
      const findings = checkNginxConfig(ng.dumpConfig(), cfg, (p) => {
        try {
          return readFileSync(p.split(ng.dirInNginx).join(ng.dir), 'utf8');
        } catch {
          return undefined;
        }
      });
      return { finding: findings.find((f) => f.what === 'nginx handlers'), log: ng.errorLog() };
    } finally {
      await ng.stop();
    }
  };
  const same = await run({});
  assert.equal(same.finding?.level, 'ok', same.finding?.detail);
  assert.doesNotMatch(same.log, /not found/);
  // An older nginx.conf kept with this version's warden.js: nginx starts, counts nothing, logs an error per request.
  const oldConf = await run({ editWardenConf: named });
  assert.match(oldConf.log, /js function "warden\.log" not found/);
  assert.equal(oldConf.finding?.level, 'fail');
  assert.match(oldConf.finding?.detail ?? '', /older than this version.*nothing is counted/);
  assert.match(oldConf.finding?.fix ?? '', /copy nginx\.conf, dist\/njs\/warden\.js/);
  // This version's nginx.conf with an older warden.js (one that exports its handlers by name).
  const dir = mkdtempSync(join(tmpdir(), 'warden-mixed-'));
  try {
    writeFileSync(join(dir, 'nginx.conf'), readFileSync(join(repoRoot, 'nginx.conf'), 'utf8'));
    writeFileSync(join(dir, 'nginx-server.conf'), readFileSync(join(repoRoot, 'nginx-server.conf'), 'utf8'));
    writeFileSync(join(dir, 'warden-internal.js'), readFileSync(join(repoRoot, 'dist/njs/warden-internal.js'), 'utf8'));
    writeFileSync(join(dir, 'warden.js'), readFileSync(join(repoRoot, 'test/fixtures/njs-v1/warden.js'), 'utf8'));
    const oldJs = await run({ wardenFiles: dir });
    assert.match(oldJs.log, /js function "warden\.0" not found/);
    assert.equal(oldJs.finding?.level, 'fail');
    assert.match(oldJs.finding?.detail ?? '', /older and exports them by name/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // Without the module file to read (doctor not run as root): an older nginx.conf is still named.
  const dumpOnly = checkNginxConfig(named('js_import warden from warden.js;\njs_set $warden_log_plain warden.0;\n'), cfg, () => undefined);
  assert.equal(dumpOnly.find((f) => f.what === 'nginx handlers')?.level, 'warn');
});

test('doctor fails when a map that picks the handler has a plain value (an older $warden_static map): such 4xx are not counted', { skip: nginxSkipReason() }, async () => {
  const cfg = parseConfig({}, {});
  // The $warden_static map of the version before 972ace0 (values 1 / 0), kept over an upgrade.
  const oldStatic = (t: string) => {
    const out = t.replace(/(map \$request_uri \$warden_static \{\n)\s*default\s+\$warden_log_4xx_other;([\s\S]*?)\$warden_log_any;/, '$1    default 0;$2 1;');
    assert.notEqual(out, t, 'the $warden_static map of nginx.conf was found');
    return out;
  };
  for (const [edit, want] of [[undefined, 'ok'], [oldStatic, 'fail']] as const) {
    const ng = await startNginx({ workers: 1, servers: ['location / { return 404; }'], editWardenConf: edit });
    try {
      await (await fetch(ng.url('/a.png'), { headers: {} })).text();
      await (await fetch(ng.url('/page'), { headers: {} })).text();
      await new Promise((r) => setTimeout(r, 1100 - (Date.now() % 1000) + 50));
      const counters = await ng.internalFetch('/counters?v=2');
      const text = await counters.text();
      const totals = text.split('\n').filter((l) => /^.127\.0\.0\.1 /.test(l)).map((l) => Math.floor(Number(l.split(' ')[1]) / 2 ** 34));
      const f = checkNginxConfig(ng.dumpConfig(), cfg).find((x) => x.what === 'nginx handler maps');
      assert.equal(f?.level, want, f?.detail);
      // With the older map nginx runs no handler for a 4xx: neither 404 is counted.
      assert.equal(totals.reduce((a, b) => a + b, 0), want === 'ok' ? 2 : 0, text);
      if (want === 'fail') assert.match(f?.detail ?? '', /not counted/);
    } finally {
      await ng.stop();
    }
  }
});

test('doctor tells whether the systemd unit and the logrotate config are installed, current, and rotate the right file', () => {
  const tmp = tempDir();
  try {
    const cfg = parseConfig({ storage: { audit_log: '/var/log/nginx-warden/audit.log' } }, {});
    const unit = join(tmp.dir, 'nginx-warden.service');
    const lr = join(tmp.dir, 'logrotate-nginx-warden');
    const opts = { nginx: 'nginx', unitPaths: [unit], logrotatePath: lr, repoRoot: root };
    const [absent] = checkSystemdUnit(opts);
    assert.equal(absent.level, 'info');
    assert.equal(absent.see, 'systemd');
    writeFileSync(unit, readFileSync(join(root, 'deploy/nginx-warden.service')));
    const same = checkSystemdUnit(opts);
    assert.equal(same.length, 1);
    assert.match(same[0].detail, new RegExp(`^${unit}`));
    writeFileSync(unit, readFileSync(join(root, 'deploy/nginx-warden.service'), 'utf8').replace('RestartSec=5s', 'RestartSec=1s'));
    const changed = checkSystemdUnit(opts);
    assert.equal(changed[1]?.see, 'upgrading', JSON.stringify(changed));

    assert.equal(checkLogrotate(cfg, opts)[0].see, 'logrotate');
    writeFileSync(lr, readFileSync(join(root, 'deploy/logrotate/nginx-warden')));
    assert.deepEqual(checkLogrotate(cfg, opts).map((f) => f.level), ['ok']);
    const elsewhere = parseConfig({ storage: { audit_log: '/srv/warden/audit.log' } }, {});
    const [wrong] = checkLogrotate(elsewhere, opts);
    assert.equal(wrong.level, 'warn');
    assert.match(wrong.detail, /does not rotate \/srv\/warden\/audit\.log/);
  } finally {
    tmp.remove();
  }
});

test('doctor warns when the config was copied to /etc without pointing storage at /var (the unit keeps /etc read-only)', () => {
  // What `warden.yaml` copied as it is to /etc/nginx-warden/ resolves to: paths next to the config file.
  const copied = parseConfig({ storage: { database: '/etc/nginx-warden/var/warden.db', audit_log: '/etc/nginx-warden/var/audit.log' } }, {});
  const db = checkDatabase(copied).find((f) => f.level === 'warn');
  assert.ok(db, 'a warning for the database');
  assert.match(db.detail, /under a folder the systemd unit keeps read-only/);
  assert.equal(db.see, 'config');
  const audit = checkAuditLog(copied).find((f) => f.level === 'warn');
  assert.equal(audit?.see, 'config');
  const tmp = tempDir();
  try {
    const fine = parseConfig({ storage: { database: join(tmp.dir, 'lib/warden.db'), audit_log: join(tmp.dir, 'log/audit.log') } }, {});
    assert.deepEqual([...checkDatabase(fine), ...checkAuditLog(fine)].map((f) => f.level), ['ok', 'ok']);
  } finally {
    tmp.remove();
  }
});
