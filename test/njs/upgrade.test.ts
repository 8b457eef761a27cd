// Upgrading in either order (real nginx): today's daemon code never believes a protocol 1 module (it cannot sign its
// answers) and says what to copy; today's module refuses a protocol 1 poller without draining, so nothing is misread
// while the other side waits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createPoller, PollError } from '../../enforcer/adapters/nginx-poller.js';
import { nginxSkipReason, repoRoot, withNginx } from '../harness/nginx.js';
import { drainAll, emptyTotals, sleep, trustLoopbackXff } from './helpers.js';

const skip = nginxSkipReason();
const v1Files = join(repoRoot, 'test/fixtures/njs-v1');
const site = 'location / { return 200 "ok\\n"; }\n    location /nf { return 404; }';

async function hit(url: string, ip: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await (await fetch(url, { headers: { 'X-Forwarded-For': ip } })).text();
}

test('daemon first: the new poller reads nothing from a protocol 1 module (unsigned) and tells the operator what to copy', { skip }, async () => {
  await withNginx({ workers: 2, httpExtra: trustLoopbackXff, servers: [site], wardenFiles: v1Files }, async (ng) => {
    await hit(ng.url('/'), '192.0.2.1', 5);
    await sleep(1150 - (Date.now() % 1000));
    const poll = createPoller({ url: ng.internalUrl, timeoutMs: 2000, ipv6Prefix: 64, secret: () => ng.secret });
    await assert.rejects(poll(), (e: Error) => e instanceof PollError &&
      /without signature .*njs module older than this daemon \(copy dist\/njs\/\*\.js and nginx\.conf of this version .* reload nginx\); nothing of the answer was used/.test(e.message));
  });
});

test('nginx files first: a protocol 1 poller gets 403 or 409 with what to do, and drains nothing', { skip }, async () => {
  await withNginx({ workers: 2, httpExtra: trustLoopbackXff, servers: [site] }, async (ng) => {
    await hit(ng.url('/'), '192.0.2.1', 5);
    await sleep(1150 - (Date.now() % 1000));
    // What a protocol 1 daemon sends: GET /counters, no secret.
    const old = await fetch(`${ng.internalUrl}/counters`);
    assert.equal(old.status, 403);
    const body = (await old.json()) as { error: string; protocol: number };
    assert.equal(body.protocol, 2);
    assert.match(body.error, /not signed \(X-Warden-Auth\).*older than this njs module \(counters protocol 2\): upgrade the daemon/);
    // With the secret but without asking for protocol 2 (an older poller that had it): 409, still nothing drained.
    const noVersion = await ng.internalFetch('/counters');
    assert.equal(noVersion.status, 409);
    assert.match(((await noVersion.json()) as { error: string }).error, /speaks counters protocol 2, the poller asked for 1: install the warden daemon/);
    assert.match(ng.errorLog(), /warden: internal listener refused a request: the request is not signed/);
    // The upgraded daemon then gets every count.
    const totals = emptyTotals();
    await drainAll(ng, totals);
    assert.deepEqual(totals.ips, { '192.0.2.1': [5, 0, 0, 0, 0] });
  });
});
