// Real source addresses: nginx in a server namespace, clients in their own namespaces (IPv4 and IPv6).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestNetwork, netnsSkipReason } from '../harness/netns.js';
import { nginxSkipReason, withNginx } from '../harness/nginx.js';
import { needCommands } from '../harness/tools.js';
import { decodeCounters } from '../../enforcer/adapters/counters-text.js';
import { clientKey } from '../../enforcer/net/client-key.js';
import { addBatch, emptyTotals, sleep } from './helpers.js';
import { signRequest } from '../../enforcer/adapters/nginx-internal.js';
import { nextTimestamp } from '../harness/signed-fetch.js';

const skip = netnsSkipReason() || nginxSkipReason() || needCommands('curl', 'ab');

test('real client addresses are counted exactly, the internal listener refuses them, bans refuse them', { skip }, async () => {
  const net = createTestNetwork(2);
  try {
    await withNginx({
      workers: 2,
      netns: net.serverNs,
      internalListen: '0.0.0.0:{port}',
      servers: [{ body: 'include {dir}/nginx-server.conf;\n    location / { return 200 "ok\\n"; }\n    location /nf { return 404; }', listen: ['0.0.0.0:{port}', '[::]:{port}'] }],
    }, async (ng) => {
      const [c0, c1] = net.clients;
      const site = (ip: string, path = '/') => `http://${ip.includes(':') ? `[${ip}]` : ip}:${ng.port}${path}`;
      // Signed as the daemon signs (curl inside the server's namespace; the answer's signature is not checked here).
      const internal = (path: string, extra: string[] = []) => {
        const body = extra[0] === '-d' ? extra[1] : '';
        const s = signRequest(ng.secret, body ? 'POST' : 'GET', path, 'netns', nextTimestamp(), body);
        return net.exec(net.serverNs, 'curl',
          ['-s', '--max-time', '5', '-H', `X-Warden-Auth: ${s.header}`, ...extra, `http://127.0.0.1:${ng.internalPort}${path}`]);
      };
      // Load: ab from each client namespace, concurrently; a few IPv6 requests with curl.
      const abIn = (ns: string, url: string, n: number) => new Promise<string>((resolve, reject) => {
        const p = net.spawn(ns, 'ab', ['-q', '-k', '-n', String(n), '-c', '4', url], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        p.stdout?.on('data', (d: Buffer) => (out += d.toString()));
        p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`ab in ${ns} exited ${code}`))));
      });
      const totals = emptyTotals();
      const poll = () => addBatch(totals, decodeCounters(internal('/counters?v=2')));
      const load = Promise.all([abIn(c0.ns, site(net.serverV4), 2000), abIn(c1.ns, site(net.serverV4, '/nf'), 1000)]);
      await sleep(300);
      poll();
      await load;
      net.exec(c1.ns, 'curl', ['-s', '-o', '/dev/null', ...Array.from({ length: 20 }, () => site(net.serverV6))]);
      await sleep(1100);
      poll();
      // The IPv6 client is its /64 (the default $warden_ipv6_prefix); the 404s on a non-static path are probes.
      assert.deepEqual(totals.ips, {
        [c0.v4]: [2000, 0, 0, 0, 0], [c1.v4]: [1000, 1000, 0, 0, 1000], [clientKey(c1.v6, 64) ?? '']: [20, 0, 0, 0, 0],
      });
      assert.equal(totals.dropped, 0);

      // The internal listener answers only loopback: from a client namespace, 403 on every endpoint.
      for (const path of ['/counters', '/bans', '/status']) {
        const code = net.exec(c0.ns, 'curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://${net.serverV4}:${ng.internalPort}${path}`]);
        assert.equal(code, '403', path);
      }
      const post = net.exec(c0.ns, 'curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-d', JSON.stringify({ remove: ['1.2.3.4'] }),
        `http://${net.serverV4}:${ng.internalPort}/bans`]);
      assert.equal(post, '403');

      // Ban client 0 in the dict: refused by nginx; client 1 served; removed: served again.
      const code = (ns: string, ip: string) => net.exec(ns, 'curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', site(ip)]);
      internal('/bans', ['-d', JSON.stringify({ add: [{ ip: c0.v4, until: 0 }] })]);
      assert.equal(code(c0.ns, net.serverV4), '403');
      assert.equal(code(c1.ns, net.serverV4), '200');
      internal('/bans', ['-d', JSON.stringify({ remove: [c0.v4] })]);
      assert.equal(code(c0.ns, net.serverV4), '200');
    });
  } finally {
    net.destroy();
  }
});
