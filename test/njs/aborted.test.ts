// A client that gives up on slow answers (a browser leaving a page while its thumbnails load: nginx logs 499) is a 4xx
// each time but not a probe: an aborted request says nothing about the path, and a Nextcloud user browsing quickly
// would otherwise cross `probing.max_probes` (16) and be banned. Real nginx, a slow upstream, real aborts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { nginxSkipReason, startUpstream, withNginx } from '../harness/nginx.js';
import { drainAll, emptyTotals, trustLoopbackXff } from './helpers.js';

const skip = nginxSkipReason();

/** Starts a GET and closes the connection after `ms`, before the answer. */
function abortAfter(url: string, xff: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const req = request(url, { headers: { 'X-Forwarded-For': xff }, agent: false });
    req.on('error', () => resolve());
    req.on('response', (res) => { res.resume(); res.on('end', () => resolve()); });
    req.end();
    setTimeout(() => { req.destroy(); resolve(); }, ms);
  });
}

test('requests the client aborted (499) are 4xx, never probes, from IPv4 and IPv6 clients', { skip }, async () => {
  const pending: Array<() => void> = [];
  const up = await startUpstream((_req, res) => {
    // Never answers on its own: the client gives up first.
    pending.push(() => res.end());
  });
  try {
    await withNginx({
      workers: 1, httpExtra: trustLoopbackXff,
      servers: [`location / { proxy_pass http://127.0.0.1:${up.port}; proxy_read_timeout 30s; }`],
    }, async (ng) => {
      const jobs: Array<Promise<void>> = [];
      for (let i = 0; i < 20; i++) jobs.push(abortAfter(ng.url(`/core/preview?fileId=${i}&x=64&y=64`), '192.0.2.90', 150));
      for (let i = 0; i < 3; i++) jobs.push(abortAfter(ng.url(`/index.php/apps/files/?dir=/${i}`), '2001:db8:90::1', 150));
      await Promise.all(jobs);
      // Wait until nginx has logged all 23 (the log phase runs when nginx sees the close).
      const totals = emptyTotals();
      for (let t = 0; t < 20 && (totals.ips['192.0.2.90']?.[0] ?? 0) + (totals.ips['2001:db8:90::/64']?.[0] ?? 0) < 23; t++) {
        await drainAll(ng, totals);
      }
      assert.deepEqual(totals.ips['192.0.2.90'], [20, 20, 0, 0, 0]);
      assert.deepEqual(totals.ips['2001:db8:90::/64'], [3, 3, 0, 0, 0]);
    });
  } finally {
    for (const end of pending) end();
    await up.close();
  }
});
