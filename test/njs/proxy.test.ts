// Behind a load balancer (issue 13 §2.8): with realip trusting the proxy, a request whose X-Forwarded-For nginx cannot
// parse (or that has none) keeps the proxy's address. Listed in `$warden_from_proxy` (nginx.conf's geo), such a request
// is counted in the totals and as unattributed, never against the proxy; a valid X-Forwarded-For still counts for the
// real client. Without the geo entry (the default) nothing changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nginxSkipReason, withNginx } from '../harness/nginx.js';
import { drainAll, emptyTotals, trustLoopbackXff } from './helpers.js';
import { startDaemon, type Daemon } from '../../enforcer/daemon/daemon.js';
import { metricsText } from '../../enforcer/api/metrics-text.js';
import { tempDir, testConfig, waitFor } from '../e2e/helpers.js';

const skip = nginxSkipReason();
const site = 'location / { return 200 "ok\\n"; }\n    location /nf { return 404; }';
/** The include with the test's own address (the "load balancer") listed as a trusted proxy. */
const listLoopback = (t: string) => {
  const out = t.replace(/^geo \$warden_from_proxy \{\n {4}default 0;\n/m, (m) => `${m}    127.0.0.1 1;\n    ::1 1;\n`);
  assert.notEqual(out, t, 'the geo block of nginx.conf was found');
  return out;
};

async function send(url: string, xff: string | null, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await (await fetch(url, { headers: xff === null ? {} : { 'X-Forwarded-For': xff } })).text();
  }
}

test('garbage or missing X-Forwarded-For from a trusted proxy is counted as unattributed, never against the proxy; valid ones count for the client', { skip }, async () => {
  await withNginx({ workers: 2, httpExtra: trustLoopbackXff, servers: [site], editWardenConf: listLoopback }, async (ng) => {
    await send(ng.url('/'), '203.0.113.40', 4);                 // counted for the client
    await send(ng.url('/nf'), '203.0.113.40', 1);
    await send(ng.url('/'), 'garbage', 5);                      // nginx cannot parse it: $remote_addr stays 127.0.0.1
    await send(ng.url('/'), '999.1.2.3, <script>', 2);
    await send(ng.url('/nf'), 'not-an-address', 3);             // a 404 too: in the 4xx total, not a probe of anyone's
    await send(ng.url('/'), null, 1);                           // no header at all
    const totals = emptyTotals();
    await drainAll(ng, totals);
    assert.deepEqual(totals.ips, { '203.0.113.40': [5, 1, 0, 0, 1] }, 'nothing under 127.0.0.1');
    assert.equal(totals.unattributed, 11);
    assert.deepEqual(totals.global.slice(0, 3), [16, 4, 0], 'every request in the totals');
    const st = (await (await fetch(`${ng.internalUrl}/status`)).json()) as { unattributed_total: number };
    assert.equal(st.unattributed_total, 11);
  });
});

test('without a trusted proxy listed (the default) the proxy address is counted as before', { skip }, async () => {
  await withNginx({ workers: 1, httpExtra: trustLoopbackXff, servers: [site] }, async (ng) => {
    await send(ng.url('/'), 'garbage', 3);
    await send(ng.url('/'), '203.0.113.41', 2);
    const totals = emptyTotals();
    await drainAll(ng, totals);
    assert.deepEqual(totals.ips, { '127.0.0.1': [3, 0, 0, 0, 0], '203.0.113.41': [2, 0, 0, 0, 0] });
    assert.equal(totals.unattributed, 0);
  });
});

test('the daemon shows unattributed requests in status and /metrics, and counts nothing against the proxy', { skip }, async (t) => {
  const tmp = tempDir();
  let daemon: Daemon | null = null;
  t.after(async () => {
    await daemon?.stop();
    tmp.remove();
  });
  await withNginx({ workers: 1, httpExtra: trustLoopbackXff, servers: [site], editWardenConf: listLoopback }, async (ng) => {
    daemon = await startDaemon(testConfig(tmp.dir, { nginx: { url: ng.internalUrl, secret_file: ng.secretFile } }), { onGeneratedPassword: () => {} });
    const d = daemon;
    await send(ng.url('/'), 'garbage', 7);
    await send(ng.url('/'), '203.0.113.42', 2);
    const seen = await waitFor(async () => {
      await d.pollOnce();
      return d.service.status().unattributed.total >= 7;
    }, 5000, 200);
    assert.ok(seen, `status: ${JSON.stringify(d.service.status().unattributed)}`);
    assert.equal(d.service.status().unattributed.total, 7);
    assert.match(metricsText(d.service.metrics()), /^warden_unattributed_requests_total 7$/m);
    const top = d.service.status().topIps.map((x) => x.ip);
    assert.ok(!top.includes('127.0.0.1'), `the proxy is nobody's client: ${top.join(', ')}`);
    assert.equal(d.service.status().unattributed.blind, false, '7 of 9 requests: too few to judge');
    // The proxy stops sending a usable header: most of the minute's requests have no client. Said once, in the log
    // and the audit (FAILURE), and shown in status until the share falls.
    await send(ng.url('/'), 'garbage', 150);
    await send(ng.url('/'), '203.0.113.42', 10);
    const blind = await waitFor(async () => {
      await d.pollOnce();
      return d.service.status().unattributed.blind;
    }, 5000, 200);
    assert.ok(blind, JSON.stringify(d.service.status().unattributed));
    assert.ok(d.service.status().unattributed.share > 0.8, JSON.stringify(d.service.status().unattributed));
    const audit = readFileSync(join(tmp.dir, 'audit.log'), 'utf8');
    assert.equal((audit.match(/FAILURE \| unattributed requests \| \d+% of the last minute's \d+ requests came from a trusted proxy/g) ?? []).length, 1, audit);
  });
});

test('an IPv6 proxy listed in the geo beside `::/0 6;`: its garbage headers are unattributed, its clients counted (IPv6 per /64)', { skip }, async () => {
  await withNginx({
    workers: 1, httpExtra: trustLoopbackXff, editWardenConf: listLoopback,
    servers: [{ body: site, listen: ['[::1]:{port}'] }],
  }, async (ng) => {
    const url = (p: string) => `http://[::1]:${ng.port}${p}`;
    await send(url('/'), 'garbage', 3);                      // the proxy's own address ::1: listed, wins over ::/0
    await send(url('/nf'), null, 2);
    await send(url('/'), '2001:db8:40::1', 2);               // IPv6 clients behind it, one /64
    await send(url('/nf'), '2001:db8:40::2', 1);
    await send(url('/'), '203.0.113.43', 1);                 // an IPv4 client behind it
    const totals = emptyTotals();
    await drainAll(ng, totals);
    assert.deepEqual(totals.ips, { '2001:db8:40::/64': [3, 1, 0, 0, 1], '203.0.113.43': [1, 0, 0, 0, 0] });
    assert.equal(totals.unattributed, 5);
    assert.deepEqual(totals.global.slice(0, 3), [9, 3, 0]);
  });
});
