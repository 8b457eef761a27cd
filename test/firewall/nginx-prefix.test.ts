// The nginx backend's side of prefix bans: network keys go to the njs ban endpoint in canonical form (as njs stores and
// looks them up), in one POST with the addresses, and what njs refuses comes back as failed entries. The far edge (the
// njs endpoint) is a loopback HTTP server answering as njs does; the real-nginx test of a /64 ban is
// test/njs/bans.test.ts's once the njs prefix lookup is merged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createNginxBackend } from '../../enforcer/adapters/firewall/nginx.js';

interface Change { add: Array<{ ip: string; until: number }>; remove: string[] }

test('nginx backend: networks are sent canonical in one batch with addresses; njs refusals become failed entries', async (t) => {
  const posts: Change[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (b) => { body += b; });
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.method === 'GET') return res.end(JSON.stringify({ bans: [{ ip: '2001:db8:1:2::/64', until: 0 }] }));
      const c = JSON.parse(body) as Change;
      posts.push(c);
      // As njs: only addresses and /64 prefixes are held; anything else fails alone.
      const failed = c.add.filter((a) => a.ip.includes('/') && !a.ip.endsWith('/64')).map((a) => ({ ip: a.ip, error: 'not an IP address, nor an IPv6 prefix of /64' }));
      res.end(JSON.stringify({ added: c.add.length - failed.length, removed: c.remove.length, failed }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const addr = server.address();
  const port = addr && typeof addr === 'object' ? addr.port : 0;
  const fw = createNginxBackend({ url: `http://127.0.0.1:${port}`, retries: 0 }, { log: { warn: () => {} } });
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
