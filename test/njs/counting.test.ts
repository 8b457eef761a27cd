// The counters on real nginx (2 workers): exact per-IP totals under concurrent load, status classes, IPv6, reload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { nginxSkipReason, startUpstream, withNginx, freePort } from '../harness/nginx.js';
import { needCommands } from '../harness/tools.js';
import { ab, drainAll, emptyTotals, pollInBackground, pollOnce, sleep, trustLoopbackXff } from './helpers.js';

const skip = nginxSkipReason();
const skipAb = skip || needCommands('ab');

const site = `
    location / { return 200 "ok\\n"; }
    location /nf { return 404; }
    location /boom { return 500; }
`;

test('N requests from each of several X-Forwarded-For clients come back exactly, under concurrent load and polling', { skip: skipAb }, async () => {
  await withNginx({ workers: 2, httpExtra: trustLoopbackXff, servers: [site] }, async (ng) => {
    const totals = emptyTotals();
    const stopPolling = pollInBackground(ng, totals, 200);
    const clients = [
      { ip: '203.0.113.1', path: '/', n: 3000 },
      { ip: '203.0.113.2', path: '/nf', n: 2000 },
      { ip: '203.0.113.3', path: '/boom', n: 1000 },
      { ip: '2001:db8::42', path: '/', n: 1500 },
      { ip: '::ffff:198.51.100.7', path: '/', n: 500 },
    ];
    // Three waves with a pause longer than the poll interval between them: polls land between and during the waves
    // however fast this machine serves them.
    const complete = clients.map(() => 0);
    for (let wave = 0; wave < 3; wave++) {
      const results = await Promise.all(clients.map((c) => ab(ng.url(c.path), c.n / 5 * (wave === 0 ? 1 : 2), 8, [`X-Forwarded-For: ${c.ip}`])));
      results.forEach((r, i) => { complete[i] += r.complete; });
      await new Promise((r) => setTimeout(r, 450));
    }
    await stopPolling();
    await drainAll(ng, totals);
    complete.forEach((n, i) => assert.equal(n, clients[i].n));
    assert.deepEqual(totals.ips, {
      '203.0.113.1': [3000, 0, 0, 0, 0],
      '203.0.113.2': [2000, 2000, 0, 0, 2000],
      '203.0.113.3': [1000, 0, 1000, 0, 0],
      '2001:db8::/64': [1500, 0, 0, 0, 0],
      '198.51.100.7': [500, 0, 0, 0, 0],
    });
    assert.deepEqual(totals.global, [8000, 2000, 1000, 0, 2000]);
    assert.equal(totals.dropped, 0);
    assert.ok(totals.polls >= 3, `polled ${totals.polls} times`);
    // Nothing more to come: a later poll is empty.
    const again = emptyTotals();
    await pollOnce(ng, again);
    assert.deepEqual(again.global, [0, 0, 0, 0, 0]);
  });
});

test('404, 500, 502, 499 and 400 are classified right; IPv6 clients work', { skip }, async () => {
  const up = await startUpstream((req, res) => {
    setTimeout(() => { res.writeHead(200); res.end('late\n'); }, 3000).unref();
    req.on('close', () => res.destroy());
  });
  const dead = await freePort();
  try {
    await withNginx({
      workers: 2,
      httpExtra: trustLoopbackXff,
      servers: [
        { body: `${site}
    location /dead { proxy_pass http://127.0.0.1:${dead}; }
    location /slow { proxy_pass http://127.0.0.1:${up.port}; }`, listen: ['127.0.0.1:{port}', '[::1]:{port}'] },
      ],
    }, async (ng) => {
      const get = async (path: string, ip: string) => (await fetch(ng.url(path), { headers: { 'X-Forwarded-For': ip } })).status;
      assert.equal(await get('/nf', '192.0.2.4'), 404);
      assert.equal(await get('/boom', '192.0.2.5'), 500);
      assert.equal(await get('/dead', '192.0.2.6'), 502);
      assert.equal(await get('/', '192.0.2.7'), 200);
      // 499: the client goes away while nginx waits for the upstream.
      const ac = new AbortController();
      const p = fetch(ng.url('/slow'), { headers: { 'X-Forwarded-For': '192.0.2.8' }, signal: ac.signal }).catch(() => 'aborted');
      await sleep(300);
      ac.abort();
      assert.equal(await p, 'aborted');
      // 400: a garbage request line from 127.0.0.1 (no header parsed, so the connection address counts).
      await new Promise<void>((resolve, reject) => {
        const s = connect(ng.port, '127.0.0.1', () => s.end('GARBAGE\r\n\r\n'));
        s.on('data', () => {});
        s.on('close', () => resolve());
        s.on('error', reject);
      });
      // IPv6: a real ::1 connection without X-Forwarded-For.
      assert.equal((await fetch(`http://[::1]:${ng.port}/`)).status, 200);
      await sleep(200);
      const totals = emptyTotals();
      await drainAll(ng, totals);
      assert.deepEqual(totals.ips, {
        '192.0.2.4': [1, 1, 0, 0, 1],
        '192.0.2.5': [1, 0, 1, 0, 0],
        '192.0.2.6': [1, 0, 1, 0, 0],
        '192.0.2.7': [1, 0, 0, 0, 0],
        '192.0.2.8': [1, 1, 0, 0, 0],               // 499: a 4xx, not a probe (the client gave up)
        '127.0.0.1': [1, 1, 0, 0, 1],
        '::/64': [1, 0, 0, 0, 0],
      });
      assert.match(ng.errorLog(), /connect\(\) failed/);
    });
  } finally {
    await up.close();
  }
});

test('nginx -s reload during counting loses no completed bucket and returns nothing twice', { skip: skipAb }, async () => {
  // nginx's own access log (a second http-level access_log: both apply) is the truth for what nginx served: during a
  // reload ab's own figures are not exact (a keep-alive request cut by a retiring worker has counted as complete).
  const httpExtra = `${trustLoopbackXff} log_format wt '$remote_addr $status'; access_log {dir}/served.log wt;`;
  await withNginx({ workers: 2, httpExtra, servers: [site] }, async (ng) => {
    const totals = emptyTotals();
    const stopPolling = pollInBackground(ng, totals, 300);
    const load = Promise.all([
      // -r: a retiring worker resets keep-alive connections (seen on nginx 1.30), which would make ab give up.
      ab(ng.url('/'), 6000, 4, ['X-Forwarded-For: 203.0.113.50'], ['-r']),
      ab(ng.url('/nf'), 3000, 2, ['X-Forwarded-For: 203.0.113.51'], ['-r']),
    ]);
    load.catch(() => undefined); // awaited below; an early failure must not surface as an unhandled rejection
    await sleep(400);
    await ng.reload();
    await sleep(300);
    await ng.reload();
    const [a, b] = await load;
    await stopPolling();
    await drainAll(ng, totals);
    // While workers reload, ab (keep-alive) has reported complete + failed above n (6006 of 6000, 3004 of 3000 seen),
    // and 6000 complete when nginx served 5996: what must hold is that every request was tried, and that the counts
    // equal what nginx served, exactly, per address and status class.
    assert.ok(a.complete <= 6000 && a.complete + a.failed >= 6000, `ab: ${a.complete} complete, ${a.failed} failed of 6000`);
    assert.ok(b.complete <= 3000 && b.complete + b.failed >= 3000, `ab: ${b.complete} complete, ${b.failed} failed of 3000`);
    // [total, 4xx, 5xx, auth, probe]: every 4xx here is a 404 on /nf, a non-static path, so it is also a probe.
    const served: Record<string, [number, number, number, number, number]> = {};
    for (const line of readFileSync(join(ng.dir, 'served.log'), 'utf8').split('\n').filter(Boolean)) {
      const [ip, status] = line.split(' ');
      const c = (served[ip] ??= [0, 0, 0, 0, 0]);
      c[0]++;
      if (status.startsWith('4')) { c[1]++; c[4]++; }
      if (status.startsWith('5')) c[2]++;
      if (status === '401' || status === '403') c[3]++;
    }
    assert.ok(served['203.0.113.50'][0] > 5000 && served['203.0.113.51'][0] > 2500, JSON.stringify(served));
    assert.deepEqual(totals.ips, served);
    assert.equal(totals.dropped, 0);
  });
});
