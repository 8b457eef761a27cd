// Replay sees what nginx sees: the same traffic through real nginx (counted by njs) and through replay (read back from
// nginx's own access log) gives the same per-client counts in every class, IPv6 per /64 included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { nginxSkipReason, repoRoot, withNginx } from '../harness/nginx.js';
import { drainAll, emptyTotals, trustLoopbackXff } from '../njs/helpers.js';
import { readLog } from '../../enforcer/replay/read-log.js';
import { loadPathClasses } from '../../enforcer/replay/path-classes.js';
import { countEvents } from '../../enforcer/replay/client-counts.js';

const skip = nginxSkipReason();

test('nginx and replay count every class of the same traffic identically', { skip }, async () => {
  await withNginx({
    workers: 2, httpExtra: trustLoopbackXff,
    servers: [`# Its own access log, and the warden line repeated next to it (so it is still counted).
    access_log /dev/null combined if=$warden_log;
    access_log {dir}/access.log combined;
    location / { return 200 "ok\\n"; }
    location /login { return 401; }
    location /admin { return 403; }
    location /assets/ { return 404; }
    location /gone/ { return 404; }
    location /boom { return 500; }
    location /wp-login.php { return 401; }
    location /remote.php/ { return 207; }
    location /remote.php/dav/files/a/gone/ { return 404; }`],
  }, async (ng) => {
    const paths = ['/', '/login', '/admin', '/assets/logo.png', '/assets/site.css?v=2', '/gone/page', '/gone/.git/config',
      '/.env', '/backup.zip', '/boom', '/wp-login.php', '/gone/x?f=../../etc/passwd', '/phpmyadmin/index.php', '/robots.txt',
      '/cgi-bin/test.cgi', '/x.php.bak', '/Index.HTML', '/assets/app.js.map', '/%2eenv', '/remote.php/dav/files/a/.git/config',
      '/remote.php/dav/files/a/gone/.env', '/remote.php/dav/files/a/gone/notes.txt', '/remote.php/dav/files/a/notes.txt'];
    const clients = ['192.0.2.10', '192.0.2.11', '198.51.100.12', '2001:db8:5:6::1', '2001:db8:5:6::2', '2001:db8:5:7::9'];
    // A fixed pseudo-random mix: every client asks for several paths, several times.
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    for (let i = 0; i < 400; i++) {
      const ip = clients[next() % clients.length];
      const path = paths[next() % paths.length];
      await (await fetch(ng.url(path), { headers: { 'X-Forwarded-For': ip } })).arrayBuffer();
    }
    const totals = emptyTotals();
    await drainAll(ng, totals);
    const log = await readLog(join(ng.dir, 'access.log'));
    assert.equal(log.events.length, 400);
    const replayed = countEvents(log.events, loadPathClasses(join(repoRoot, 'nginx.conf')), 64);
    assert.deepEqual(replayed, totals.ips);
    // Every class was exercised.
    const sum = [0, 0, 0, 0, 0];
    for (const c of Object.values(totals.ips)) for (let k = 0; k < 5; k++) sum[k] += c[k] ?? 0;
    assert.ok(sum.every((n) => n > 0), `class totals ${sum.join(',')}`);
    assert.ok(totals.ips['2001:db8:5:6::/64'] && totals.ips['2001:db8:5:7::/64']);
  });
});
