// Red-team finding 8: a local process that binds nginx's internal port while nginx is down. The real daemon (poller,
// nginx ban backend, drift check) keeps talking to it: it must receive nothing from which the secret can be had, and
// its forged answers (a flood from an innocent address, an empty ban list, a ban push "done") must not be believed:
// no ban, a clear reason in the log (once) and in status. A control phase has the same listener sign with the real
// secret (as nginx does): then the same forged flood is banned, so it is the signature that kept it out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { secretFileText } from '../../enforcer/nginx/secret-file.js';
import { startNginx, nginxSkipReason, type RunningNginx } from '../harness/nginx.js';
import { startDaemon, type Daemon } from '../../enforcer/daemon/daemon.js';
import { answerSignature } from '../../enforcer/adapters/nginx-internal.js';
import { checkNginxEndpoint } from '../../enforcer/cli/doctor/nginx-checks.js';
import { createLogger } from '../../enforcer/adapters/logger.js';
import { tempDir, testConfig, waitFor } from '../e2e/helpers.js';

const skip = nginxSkipReason();
const realip = 'set_real_ip_from 127.0.0.1; real_ip_header X-Forwarded-For;';
const site = 'include {dir}/nginx-server.conf; location / { return 200 "ok\\n"; }';
const TAGS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const T = 2 ** 34;

interface Seen { method: string; url: string; headers: string; body: string }

/** Listens on 127.0.0.1:`port` (retrying while nginx lets go of it); records every request; `answer` decides. */
async function impostor(port: number, answer: (req: IncomingMessage, body: string) => { status: number; body: string; headers?: Record<string, string> }): Promise<{ seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const srv: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => { body += d.toString('latin1'); });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: JSON.stringify(req.rawHeaders), body });
      const a = answer(req, body);
      res.writeHead(a.status, { 'content-type': 'text/plain', ...a.headers });
      res.end(a.body);
    });
  });
  const end = Date.now() + 10_000;
  for (;;) {
    try {
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(port, '127.0.0.1', () => { srv.off('error', reject); resolve(); });
      });
      break;
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { seen, close: () => new Promise((r) => { srv.closeAllConnections(); srv.close(() => r()); }) };
}

test('a process holding the internal port while nginx is down learns no secret and has no forged answer believed', { skip }, async (t) => {
  const tmp = tempDir();
  let ng: RunningNginx | null = null;
  let daemon: Daemon | null = null;
  let fake: { seen: Seen[]; close: () => Promise<void> } | null = null;
  t.after(async () => {
    await daemon?.stop();
    await fake?.close();
    await ng?.stop();
    tmp.remove();
  });
  ng = await startNginx({ workers: 1, httpExtra: realip, servers: [site] });
  const n = ng;
  const warnings: string[] = [];
  const log = createLogger('warn', (line) => { warnings.push(line); });
  daemon = await startDaemon(testConfig(tmp.dir, {
    dry_run: false, nginx: { url: n.internalUrl, secret_file: n.secretFile, ban_check_interval: 1 }, enforcement: { backends: ['nginx'] },
  }), { onGeneratedPassword: () => {}, log });
  const d = daemon;
  assert.equal((await d.service.ban('192.0.2.10', 3600, 'by hand', { addr: '127.0.0.1', via: 'test' })).ok, true);
  assert.ok(await waitFor(async () => ((await (await n.internalFetch('/bans')).json()) as { bans: unknown[] }).bans.length === 1, 5000));

  // nginx goes down; the impostor takes its port and answers with a flood from the admin's address.
  const port = n.internalPort;
  await n.stop();
  ng = null;
  let signWith = randomBytes(32).toString('hex'); // not the secret: what an impostor can do at best
  let unsignedToo = true;
  let polls = 0;
  fake = await impostor(port, (req, body) => {
    const sig = String(req.headers['x-warden-auth'] ?? '').split(' ')[2] ?? '';
    let status = 200;
    let text: string;
    if (req.url?.startsWith('/counters')) {
      const sec = Math.floor(Date.now() / 1000);
      text = `warden-counters 2 ${sec}.5 0 0 64\n${TAGS[(sec - 1) % 64]}192.0.2.77 ${5000 * T}\n${TAGS[(sec - 1) % 64]} ${5000 * T}\n`;
      polls++;
    } else if (req.url === '/status') {
      text = '{"njs":"0.8.9","nginx":"1.26.3","protocol":2,"auth":1,"ipv6_prefix":64,"secret":true}';
    } else if (req.method === 'GET') {
      text = '{"bans":[]}';
    } else {
      const add = (JSON.parse(body || '{}') as { add?: unknown[] }).add ?? [];
      text = JSON.stringify({ added: add.length, removed: 0, failed: [] });
    }
    // Half the answers unsigned, half with a signature made with the wrong key (in the impostor phase).
    const headers: Record<string, string> = {};
    if (!(unsignedToo && polls % 2 === 0)) headers['x-warden-auth'] = answerSignature(signWith, sig, status, text);
    status = 200;
    return { status, body: text, headers };
  });
  const f = fake;
  // A ban push and the drift check's GET /bans go to the impostor too.
  assert.equal((await d.service.ban('192.0.2.11', 3600, 'by hand', { addr: '127.0.0.1', via: 'test' })).ok, true);
  const got = await waitFor(() => polls >= 6 && f.seen.some((s) => s.method === 'POST'), 15_000, 50);
  assert.ok(got, `the impostor saw: ${f.seen.map((s) => `${s.method} ${s.url}`).join(', ')}`);
  // `warden doctor` asks too (its GET /bans is signed): it names the impostor as an nginx problem.
  // (Stopping the test nginx removed its folder with secret.conf: doctor reads a copy.)
  const copy = join(tmp.dir, 'secret-copy.conf');
  writeFileSync(copy, secretFileText(n.secret), { mode: 0o600 });
  const findings = await checkNginxEndpoint({ ...d.config, nginx: { ...d.config.nginx, secret_file: copy } });
  const answers = findings.find((x) => x.what === 'nginx answers');
  assert.equal(answers?.level, 'fail', JSON.stringify(findings));
  assert.match(answers?.detail ?? '', /\/bans answered HTTP 200 (without|with a wrong) signature/);
  assert.match(answers?.fix ?? '', /find what listens on 127\.0\.0\.1:\d+/);
  assert.ok(f.seen.some((s) => s.method === 'GET' && s.url === '/bans'));

  // Nothing it received holds the secret, in any spelling; every request carries only a signature.
  const secret = n.secret;
  const forms = [secret, secret.toUpperCase(), Buffer.from(secret, 'hex').toString('base64'), Buffer.from(secret).toString('base64')];
  for (const s of f.seen) {
    for (const form of forms) {
      assert.ok(!s.headers.includes(form) && !s.body.includes(form), `${s.method} ${s.url} carried the secret`);
    }
    assert.doesNotMatch(s.headers, /x-warden-secret/i);
    if (s.url !== '/status') assert.match(s.headers, /"X-Warden-Auth","[a-z]+ \d{13} [0-9a-f]{64}"/);
  }
  // The forged flood banned nobody; status and the log say why, once.
  assert.equal(d.engine.isBanned('192.0.2.77'), false);
  assert.ok(!d.store.activeBans().some((b) => b.ip === '192.0.2.77'));
  const st = d.service.status();
  assert.match(st.nginx.lastError ?? '', /answered HTTP 200 (without|with a wrong) signature \(X-Warden-Auth\): not nginx with the warden secret. Another process may hold 127\.0\.0\.1:\d+/);
  const said = warnings.filter((w) => /counters.*signature \(X-Warden-Auth\)/.test(w));
  assert.equal(said.length, 1, `logged once: ${JSON.stringify(warnings)}`);

  // Control: the same answers signed with the real secret (what nginx does) are believed, and the flood is banned.
  signWith = secret;
  unsignedToo = false;
  const banned = await waitFor(() => d.engine.isBanned('192.0.2.77'), 20_000, 50);
  assert.ok(banned, 'the same flood, signed with the secret, is banned: the signature is what kept it out');
});
