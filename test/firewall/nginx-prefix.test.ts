// The nginx backend's side of prefix bans: network keys go to the njs ban endpoint in canonical form (as njs stores and
// looks them up), in one POST with the addresses, and what njs refuses comes back as failed entries (the request format
// against a loopback stand-in for the endpoint); then on real nginx with njs, real requests from inside and outside a
// banned /64 (client addresses through a trusted X-Forwarded-For).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createNginxBackend } from '../../enforcer/adapters/firewall/nginx.js';
import { answerSignature } from '../../enforcer/adapters/nginx-internal.js';
import { nginxSkipReason, startNginx, type RunningNginx } from '../harness/nginx.js';

const SECRET = 'cd'.repeat(32);

interface Change { add: Array<{ ip: string; until: number }>; remove: string[] }

test('nginx backend: networks are sent canonical in one batch with addresses; njs refusals become failed entries', async (t) => {
  const posts: Change[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (b) => { body += b; });
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      // Signed as nginx signs its answers (the backend believes nothing else).
      const sig = String(req.headers['x-warden-auth'] ?? '').split(' ')[2] ?? '';
      const reply = (text: string) => {
        res.setHeader('x-warden-auth', answerSignature(SECRET, sig, 200, text));
        res.end(text);
      };
      if (req.method === 'GET') return reply(JSON.stringify({ bans: [{ ip: '2001:db8:1:2::/64', until: 0 }] }));
      const c = JSON.parse(body) as Change;
      posts.push(c);
      // As njs: only addresses and /64 prefixes are held; anything else fails alone.
      const failed = c.add.filter((a) => a.ip.includes('/') && !a.ip.endsWith('/64')).map((a) => ({ ip: a.ip, error: 'not an IP address, nor an IPv6 prefix of /64' }));
      reply(JSON.stringify({ added: c.add.length - failed.length, removed: c.remove.length, failed }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const addr = server.address();
  const port = addr && typeof addr === 'object' ? addr.port : 0;
  const fw = createNginxBackend({ url: `http://127.0.0.1:${port}`, retries: 0, secret: () => SECRET }, { log: { warn: () => {} } });
  await fw.init();

  fw.add([{ ip: '2001:DB8:1:2::99/64', until: 1_900_000_000 }, { ip: '203.0.113.7', until: null }, { ip: '198.51.100.0/24', until: null }]);
  fw.remove(['2001:db8:1:3:0:0:0:0/64']);
  const r = await fw.commit();
  assert.deepEqual(posts, [{
    add: [{ ip: '2001:db8:1:2::/64', until: 1_900_000_000 }, { ip: '203.0.113.7', until: 0 }, { ip: '198.51.100.0/24', until: 0 }],
    remove: ['2001:db8:1:3::/64'],
  }]);
  assert.equal(r.added, 2);
  assert.deepEqual(r.failed, [{ ip: '198.51.100.0/24', op: 'add', error: 'not an IP address, nor an IPv6 prefix of /64' }]);
  assert.deepEqual(await fw.list(), [{ ip: '2001:db8:1:2::/64', until: null }]);
});

test('nginx backend on real nginx: a /64 ban refuses every address of the /64, not the next /64; unban restores; an IPv4 /24 is reported as not enforceable there', { skip: nginxSkipReason() }, async (t) => {
  let ng: RunningNginx | null = null;
  t.after(async () => { await ng?.stop(); });
  ng = await startNginx({ workers: 2, httpExtra: 'set_real_ip_from 127.0.0.1; real_ip_header X-Forwarded-For;',
    servers: ['include {dir}/nginx-server.conf; location / { return 200 "ok\\n"; }'] });
  const warnings: string[] = [];
  const fw = createNginxBackend({ url: ng.internalUrl, retries: 0, secret: () => ng!.secret }, { log: { warn: (m) => { warnings.push(m); } } });
  await fw.init();
  assert.deepEqual(warnings, []);
  const url = ng.url('/');
  const status = async (xff: string) => (await fetch(url, { headers: { 'X-Forwarded-For': xff } })).status;

  // Not canonical on the way in (host bits, upper case): the backend sends `2001:db8:1:2::/64`, as njs looks it up.
  fw.add([{ ip: '2001:DB8:1:2::99/64', until: Math.floor(Date.now() / 1000) + 600 }, { ip: '203.0.113.0/24', until: null }]);
  const r = await fw.commit();
  assert.equal(r.added, 1);
  assert.deepEqual(r.failed.map((f) => [f.ip, f.op]), [['203.0.113.0/24', 'add']]);
  assert.match(r.failed[0].error, /IPv6 prefix of \/64/);
  for (const a of ['2001:db8:1:2::99', '2001:db8:1:2::', '2001:db8:1:2:ffff:ffff:ffff:ffff', '::ffff:203.0.113.9']) {
    assert.equal(await status(a), a.includes('203.0.113') ? 200 : 403, a);
  }
  assert.equal(await status('2001:db8:1:3::99'), 200, 'the next /64 is served');
  assert.deepEqual((await fw.list()).map((e) => e.ip), ['2001:db8:1:2::/64']);
  fw.remove(['2001:db8:1:2::/64']);
  assert.deepEqual(await fw.commit(), { added: 0, removed: 1, failed: [] });
  assert.equal(await status('2001:db8:1:2::99'), 200, 'unban restores the /64');
  assert.deepEqual(await fw.list(), []);
});
