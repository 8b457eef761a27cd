// `warden allow add|list|remove` and `warden history --alerts` against a real daemon (in this process, with its HTTP
// API on a free port, a real SQLite file and audit log): an entry added from the CLI lifts an active ban at once and
// survives a restart of the daemon; rule alerts of a rule in mode alert are listed, from the daemon and, once it is
// stopped, from the database file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../harness/nginx.js';
import { loadConfig } from '../../enforcer/config/load.js';
import { startDaemon, type Daemon } from '../../enforcer/daemon/daemon.js';
import { main } from '../../enforcer/cli/main.js';
import { fingerprint } from '../../enforcer/api/auth.js';
import { waitFor } from '../e2e/helpers.js';

const TOKEN = 'allow-cli-token-0123456789abcdef';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('warden allow add|list|remove and history --alerts against a real daemon; the entry survives a restart', { timeout: 60_000 }, async (t) => {
  delete process.env.WARDEN_TOKEN;
  const dir = mkdtempSync(join(tmpdir(), 'warden-allow-cli-'));
  const cfg = join(dir, 'warden.yaml');
  writeFileSync(cfg, [
    `nginx: { url: "http://127.0.0.1:${await freePort()}", secret_file: secret.conf }`,
    'enforcement: { backends: [dry-run] }',
    'storage: { database: state/warden.db, audit_log: state/audit.log }',
    `api: { listen: "127.0.0.1:${await freePort()}", tokens: [${TOKEN}] }`,
    'log_level: error',
    'allowlist: [10.9.0.0/16]',
    'detection: { rules: { ceiling: { mode: alert }, burst: { mode: "off" }, population: { mode: "off" }, zscore: { mode: "off" }, multiplier: { mode: "off" } } }',
  ].join('\n'));
  let d: Daemon | null = null;
  t.after(async () => { await d?.stop(); rmSync(dir, { recursive: true, force: true }); });
  const start = async () => startDaemon(loadConfig(cfg), { onGeneratedPassword: () => {}, hostAddresses: [] });
  d = await start();
  const daemon = d;
  const c = ['--config', cfg];

  // A client over the ceiling in mode alert: stored as a rule alert, not banned.
  const flood = async (ip: string) => {
    daemon.engine.ingest([{ t: Math.floor(Date.now() / 1000) - 1, global: [2400, 0, 0, 0, 0], ips: { [ip]: [2400, 0, 0, 0, 0] } }]);
    await daemon.pollOnce();
  };
  await flood('203.0.113.60');
  assert.ok(await waitFor(() => daemon.store.ruleAlerts({}).total > 0, 5000), 'the rule alert is stored');
  const alerts = await cli(['history', '--alerts', ...c]);
  assert.equal(alerts.code, 0, alerts.err);
  assert.match(alerts.out, /^1 rule alert\(s\) match; showing 1, newest first; from daemon$/m);
  assert.match(alerts.out, /^\S+Z +203\.0\.113\.60 +ceiling +40 > 30 +40\.00 mode alert$/m);
  const json = await cli(['history', '--alerts', '--rule', 'ceiling', '--json', ...c]);
  assert.deepEqual(json.out.split('\n').map((l) => JSON.parse(l).ip), ['203.0.113.60']);
  for (const [args, re] of [
    [['--rule', 'manual'], /--alerts --rule expects one of .*spread.*, got `manual`/],
    [['--active'], /--active does not go with it/],
    [['--csv'], /--csv does not go with it/],
  ] as Array<[string[], RegExp]>) {
    const r = await cli(['history', '--alerts', ...args, ...c]);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, re);
  }

  // A banned client, allow-listed from the CLI: the ban is lifted at once.
  const ban = await cli(['ban', '198.51.100.44', '--for', '2h', ...c]);
  assert.equal(ban.code, 0, ban.err);
  const add = await cli(['allow', 'add', '198.51.100.44', '--note', 'backup server', ...c]);
  assert.equal(add.code, 0, add.err);
  assert.equal(add.out, 'allow-listed 198.51.100.44/32; lifted the ban of 198.51.100.44');
  assert.equal(daemon.engine.isBanned('198.51.100.44'), false);
  assert.equal(daemon.store.countActive(), 0);
  const audit = readFileSync(join(dir, 'state/audit.log'), 'utf8');
  const by = `127.0.0.1 (token ${fingerprint(TOKEN)})`;
  assert.ok(audit.includes(`ALLOW_ADD 198.51.100.44/32 | by=${by} | note=backup server`), audit);
  const banLine = audit.split('\n').find((l) => l.includes('BAN 198.51.100.44 | manual'));
  assert.ok(banLine?.endsWith(`| by=${by}`), audit);
  // Refusals: too wide, not an address, usage errors.
  const wide = await cli(['allow', 'add', '0.0.0.0/0', ...c]);
  assert.equal(wide.code, 1);
  assert.match(wide.err, /HTTP 400: `cidr`: 0\.0\.0\.0\/0 is wider than \/8/);
  assert.equal((await cli(['allow', 'add', 'nope', ...c])).code, 1);
  for (const args of [['allow'], ['allow', 'grant', '1.2.3.4'], ['allow', 'add'], ['allow', 'list', 'x'], ['allow', 'remove', '1.2.3.4', '--note', 'n']]) {
    const r = await cli([...args, ...c]);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, /warden allow/);
  }

  // After a restart: the entry is still listed and in force (a ban of it is refused).
  await daemon.stop();
  // With the daemon down, history --alerts reads the database file.
  const offline = await cli(['history', '--alerts', ...c]);
  assert.equal(offline.code, 0, offline.err);
  assert.match(offline.out, /from .*warden\.db \(daemon not running\)/);
  assert.match(offline.out, /203\.0\.113\.60 +ceiling/);
  d = await start();
  const list = await cli(['allow', 'list', ...c]);
  assert.equal(list.code, 0, list.err);
  assert.match(list.out, /^198\.51\.100\.44\/32 +runtime +\S+Z +backup server$/m);
  assert.match(list.out, /^10\.9\.0\.0\/16 +config +- +config file$/m);
  assert.match(list.out, /^127\.0\.0\.0\/8 +builtin/m);
  const refused = await cli(['ban', '198.51.100.44', ...c]);
  assert.equal(refused.code, 1);
  assert.match(refused.err, /HTTP 403: refusing to ban 198\.51\.100\.44: it is on the allow-list/);
  const listJson = await cli(['allow', 'list', '--json', ...c]);
  assert.ok(listJson.out.split('\n').map((l) => JSON.parse(l)).some((e) => e.cidr === '198.51.100.44/32' && e.source === 'api'));

  // Removed: gone from the list, and bannable again.
  const rm = await cli(['allow', 'remove', '198.51.100.44', ...c]);
  assert.equal(rm.code, 0, rm.err);
  assert.equal(rm.out, 'removed 198.51.100.44 from the allow-list');
  assert.equal((await cli(['allow', 'remove', '198.51.100.44', ...c])).code, 1);
  assert.equal((await cli(['ban', '198.51.100.44', ...c])).code, 0);
});
