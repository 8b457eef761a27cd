// The routes of nginx.conf's class map, edge by edge, on real nginx: every kind of address (IPv4, IPv4-mapped IPv6,
// IPv6 of any first group, a unix socket client) with the statuses that take a route of their own (2xx/3xx, 4xx, 444,
// warden's own 403 and 444 of a banned client, 5xx), counted exactly as docs/counters-protocol.md says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { nginxSkipReason, withNginx } from '../harness/nginx.js';
import { drainAll, emptyTotals, trustLoopbackXff } from './helpers.js';

const skip = nginxSkipReason();

const locations = `location / { return 200 "ok\\n"; }
    location /login { return 401; }
    location /missing/ { return 404; }
    location /static/ { return 404; }
    location /.env { return 200 "x\\n"; }
    location /close { return 444; }
    location /accepted { return 202; }
    location /dav/ { return 207 "multi\\n"; }
    location /boom { return 500; }`;

/** One GET over TCP (`port`) or a unix socket (`socket`); resolves with the status, or 0 when nginx closed without one. */
function get(where: { port?: number; socket?: string }, path: string, xff?: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({
      host: '127.0.0.1', port: where.port, socketPath: where.socket, path, agent: false,
      headers: xff === undefined ? {} : { 'X-Forwarded-For': xff },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? -1));
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

test('every address kind x route is counted once, under the right client, with the right classes', { skip }, async () => {
  await withNginx({
    workers: 2, httpExtra: `${trustLoopbackXff}\n  set_real_ip_from unix:;`,
    servers: [
      `include {dir}/nginx-server.conf;\n    ${locations}`,
      // A server that closes on banned clients (444), reachable over a unix socket too.
      `listen unix:{dir}/site.sock;\n    if ($warden_banned) { return 444; }\n    ${locations}`,
    ],
  }, async (ng) => {
    const now = Math.floor(Date.now() / 1000);
    const ban = await ng.internalFetch('/bans', { method: 'POST', body: JSON.stringify({ add: [
      { ip: '198.51.100.66', until: now + 600 }, { ip: '2001:db8:7::/64', until: 0 },
    ] }) });
    assert.equal(ban.status, 200);
    const a = { port: ng.ports[0] };
    const b = { port: ng.ports[1] };
    const sock = { socket: join(ng.dir, 'site.sock') };
    const cases: Array<[{ port?: number; socket?: string }, string | undefined, string, number, number]> = [
      // IPv4-mapped IPv6 (geo looks it up as IPv4, the handlers key it as IPv4): every route.
      [a, '::ffff:192.0.2.50', '/', 200, 3],
      [a, '::ffff:192.0.2.50', '/missing/p', 404, 2],
      [a, '::ffff:192.0.2.50', '/login', 401, 1],
      [a, '::ffff:192.0.2.50', '/.env', 200, 1],
      [a, '::ffff:192.0.2.50', '/boom', 500, 1],
      [a, '::ffff:192.0.2.50', '/accepted', 202, 1],
      [a, '::ffff:192.0.2.50', '/static/a.png', 404, 1],
      // The same client as IPv4 adds to the same key; a WebDAV 207 takes the common route.
      [a, '192.0.2.50', '/', 200, 1],
      [a, '192.0.2.50', '/dav/x', 207, 2],
      // A banned client written IPv4-mapped: warden's own 403 (not an error, not a signal).
      [a, '::ffff:198.51.100.66', '/missing/p', 403, 2],
      // Banned clients closed with 444: a request only, on every route (ordinary, 4xx path, static, sensitive).
      [b, '198.51.100.66', '/', 0, 1],
      [b, '198.51.100.66', '/missing/p', 0, 1],
      [b, '2001:db8:7::1', '/missing/p', 0, 2],
      [b, '2001:db8:7::2', '/static/a.png', 0, 1],
      [b, '2001:db8:7::3', '/.env', 0, 1],
      [b, '2001:db8:7::4', '/', 0, 1],
      // The site's own 444 for a client that is not banned: a 4xx on an ordinary path, so a probe.
      [a, '192.0.2.60', '/close', 0, 2],
      [a, '2001:db8:8::1', '/close', 0, 1],
      // IPv6 outside 2000::/3 (first character a-f): per /64, on every route.
      [a, 'fd00:1:2:3::1', '/missing/p', 404, 2],
      [a, 'fd00:1:2:3::2', '/', 200, 1],
      [a, 'fd00:1:2:3::3', '/login', 401, 1],
      // A unix socket client with no X-Forwarded-For: not an address, counted globally and as dropped.
      [sock, undefined, '/', 200, 2],
      [sock, undefined, '/missing/p', 404, 1],
      // ... and with one (realip trusts unix:): its client.
      [sock, '192.0.2.70', '/missing/p', 404, 1],
    ];
    for (const [where, xff, path, status, n] of cases) {
      for (let i = 0; i < n; i++) assert.equal(await get(where, path, xff), status, `${xff} ${path}`);
    }
    const totals = emptyTotals();
    await drainAll(ng, totals);
    assert.deepEqual(totals.ips, {
      '192.0.2.50': [13, 4, 1, 1, 3],
      '198.51.100.66': [4, 0, 0, 0, 0],
      '2001:db8:7::/64': [5, 0, 0, 0, 0],
      '192.0.2.60': [2, 2, 0, 0, 2],
      '2001:db8:8::/64': [1, 1, 0, 0, 1],
      'fd00:1:2:3::/64': [4, 3, 0, 1, 2],
      '192.0.2.70': [1, 1, 0, 0, 1],
    });
    assert.equal(totals.dropped, 3, 'the unix socket client without an address');
    assert.deepEqual(totals.global, [33, 12, 1, 2, 10]);
    assert.doesNotMatch(ng.errorLog(), /\[(error|alert|crit)\]/);
  });
});
