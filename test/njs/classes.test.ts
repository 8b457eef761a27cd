// Every request class counted exactly on real nginx: auth failures, probes, warden's own refusals; IPv6 per /64.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { nginxSkipReason, withNginx } from '../harness/nginx.js';
import { drainAll, emptyTotals, pollOnce, trustLoopbackXff } from './helpers.js';

const skip = nginxSkipReason();

const site = `include {dir}/nginx-server.conf;
    location / { return 200 "ok\\n"; }
    location /login { return 401; }
    location /private { return 403; }
    location /static/ { return 404; }
    location /missing/ { return 404; }
    location /.env { return 200 "x\\n"; }
    location /wp-login.php { return 401; }
    location /teapot { return 418; }
    location /accepted { return 202; }
    location /moved { return 301 /; }
    location /boom { return 500; }`;

test('each class is counted exactly: 401, 403, warden\'s own 403, 404 static, 404 probe, sensitive paths', { skip }, async () => {
  await withNginx({ workers: 2, httpExtra: trustLoopbackXff, servers: [site] }, async (ng) => {
    const get = async (path: string, ip: string) => {
      const res = await fetch(ng.url(path), { headers: { 'X-Forwarded-For': ip }, redirect: 'manual' });
      await res.text();
      return res.status;
    };
    // Ban one client in nginx first: its requests are refused with warden's own 403.
    const now = Math.floor(Date.now() / 1000);
    const ban = await ng.internalFetch('/bans', { method: 'POST', body: JSON.stringify({ add: [{ ip: '198.51.100.66', until: now + 600 }] }) });
    assert.equal(ban.status, 200);
    const cases: Array<[string, string, number, number]> = [
      // [client, path, expected status, times]
      ['192.0.2.1', '/login', 401, 7],            // auth failures from a login location
      ['192.0.2.2', '/private', 403, 5],          // 403 answered by a location: auth failure
      ['198.51.100.66', '/login', 403, 9],        // warden's own refusal: counted, not an error, not a signal
      ['198.51.100.66', '/.env', 403, 2],         // ... also on a sensitive path
      ['192.0.2.3', '/static/x.png', 404, 4],     // a missing image: a 4xx, not a probe
      ['192.0.2.3', '/static/app.css?v=3', 404, 1],
      ['192.0.2.4', '/.env', 200, 3],             // a sensitive path answered 200: a probe
      ['192.0.2.5', '/missing/.env', 404, 2],     // 404 on a sensitive path: a probe (once, not twice)
      ['192.0.2.5', '/missing/page', 404, 6],     // 404 on an ordinary path: a probe
      ['192.0.2.6', '/wp-login.php', 401, 3],     // 401 on a sensitive path: auth failure and probe
      ['192.0.2.7', '/missing/view?file=../../etc/passwd', 404, 1], // traversal in the query ($request_uri has it)
      ['192.0.2.8', '/teapot', 418, 2],           // another 4xx on an ordinary path: a probe
      ['192.0.2.9', '/', 200, 10],                // ordinary
      ['192.0.2.10', '/accepted', 202, 2],        // a rarer 2xx (the general handler)
      ['192.0.2.10', '/moved', 301, 1],           // a common 3xx (the cheapest handler)
      ['192.0.2.11', '/boom', 500, 2],            // a 5xx: an error, not a signal
      // IPv6 clients (their own route through the maps), counted per /64: every class again.
      ['2001:db8:5::1', '/', 200, 4],
      ['2001:db8:5::2', '/login', 401, 2],
      ['2001:db8:5::3', '/missing/page', 404, 3],
      ['2001:db8:5::4', '/static/x.png', 404, 1],
      ['2001:db8:5::5', '/.env', 200, 1],
      ['2001:db8:5::6', '/boom', 500, 1],
      ['2001:db8:6::1', '/private', 403, 2],
      ['2001:db8:6::1', '/wp-login.php', 401, 1],
    ];
    for (const [ip, path, status, n] of cases) {
      for (let i = 0; i < n; i++) assert.equal(await get(path, ip), status, `${ip} ${path}`);
    }
    const totals = emptyTotals();
    await drainAll(ng, totals);
    assert.deepEqual(totals.ips, {
      '192.0.2.1': [7, 7, 0, 7, 0],
      '192.0.2.2': [5, 5, 0, 5, 0],
      '198.51.100.66': [11, 0, 0, 0, 0],
      '192.0.2.3': [5, 5, 0, 0, 0],
      '192.0.2.4': [3, 0, 0, 0, 3],
      '192.0.2.5': [8, 8, 0, 0, 8],
      '192.0.2.6': [3, 3, 0, 3, 3],
      '192.0.2.7': [1, 1, 0, 0, 1],
      '192.0.2.8': [2, 2, 0, 0, 2],
      '192.0.2.9': [10, 0, 0, 0, 0],
      '192.0.2.10': [3, 0, 0, 0, 0],
      '192.0.2.11': [2, 0, 2, 0, 0],
      '2001:db8:5::/64': [12, 6, 1, 2, 4],
      '2001:db8:6::/64': [3, 3, 0, 3, 1],
    });
    assert.deepEqual(totals.global, [75, 40, 3, 20, 22]);
    assert.equal(totals.dropped, 0);
  });
});

test('100,000 requests from distinct addresses of one /64 are one client; the zone stays bounded; the total is exact', { skip }, async () => {
  await withNginx({
    workers: 2, httpExtra: `${trustLoopbackXff}\n  keepalive_requests 1000000;`,
    editWardenConf: (t) => t.replace(/zone=warden_counts:\d+m/, 'zone=warden_counts:1m'),
    servers: ['location / { return 200 "ok\\n"; }'],
  }, async (ng) => {
    const n = 100_000;
    const pipeline = (first: number, count: number) => new Promise<number>((resolve, reject) => {
      const s = connect(ng.port, '127.0.0.1');
      let answers = 0;
      let tail = '';
      s.setEncoding('latin1');
      s.on('data', (d: string) => {
        // A status line can be split between two reads: keep the last 11 characters after the last complete one for
        // the next read (a missed answer left the connection open until nginx's keepalive_timeout, 75 s, then failed).
        const text = tail + d;
        const re = /HTTP\/1\.1 200/g;
        let end = 0;
        for (let m = re.exec(text); m; m = re.exec(text)) {
          answers++;
          end = re.lastIndex;
        }
        tail = text.slice(Math.max(end, text.length - 11));
        if (answers >= count) s.end();
      });
      s.on('close', () => resolve(answers));
      s.on('error', reject);
      const chunk: string[] = [];
      for (let i = first; i < first + count; i++) {
        chunk.push(`GET / HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 2001:db8:aa:bb:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}:${(i * 7 & 0xffff).toString(16)}:1\r\n\r\n`);
        if (chunk.length === 1000) s.write(chunk.splice(0).join(''));
      }
      s.write(chunk.join(''));
    });
    const totals = emptyTotals();
    let maxItems = 0;
    const watch = setInterval(() => {
      fetch(`${ng.internalUrl}/status`).then((r) => r.json()).then((body: unknown) => {
        const st = body as { zones: { warden_counts: { items: number } } };
        maxItems = Math.max(maxItems, st.zones.warden_counts.items);
      }, () => {});
    }, 100);
    const served = await Promise.all([0, 1, 2, 3].map((k) => pipeline(k * (n / 4), n / 4)));
    clearInterval(watch);
    assert.equal(served.reduce((a, b) => a + b, 0), n);
    await drainAll(ng, totals);
    await pollOnce(ng, totals);
    assert.deepEqual(Object.keys(totals.ips), ['2001:db8:aa:bb::/64']);
    assert.deepEqual(totals.ips['2001:db8:aa:bb::/64'], [n, 0, 0, 0, 0]);
    assert.equal(totals.dropped, 0);
    // One key per second at most (and the global ones): nothing like 100,000 entries.
    assert.ok(maxItems <= 64, `at most ${maxItems} keys in the zone`);
  });
});

test('$warden_ipv6_prefix 128 counts each IPv6 address; 56 counts the /56', { skip }, async () => {
  for (const [bits, want] of [['128', ['2001:db8:1:2::5', '2001:db8:1:3::5']], ['56', ['2001:db8:1::/56']]] as const) {
    await withNginx({
      workers: 1, httpExtra: trustLoopbackXff,
      editWardenConf: (t) => t.replace(/js_var \$warden_ipv6_prefix \d+;/, `js_var $warden_ipv6_prefix ${bits};`),
      servers: ['location / { return 200 "ok\\n"; }'],
    }, async (ng) => {
      for (const ip of ['2001:db8:1:2::5', '2001:DB8:1:3:0:0:0:5']) {
        await (await fetch(ng.url('/'), { headers: { 'X-Forwarded-For': ip } })).text();
      }
      const totals = emptyTotals();
      const last = await (async () => { await drainAll(ng, totals); return pollOnce(ng, totals); })();
      assert.equal(last.ipv6Prefix, Number(bits));
      assert.deepEqual(Object.keys(totals.ips).sort(), [...want].sort());
    });
  }
});
