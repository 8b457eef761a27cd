// The nginx poller against real local HTTP servers: well-formed batches, `more` follow-ups, and every way an answer
// can be wrong (nginx down, HTTP error, not JSON, not a batch), each a PollError naming what happened.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPoller, parseCounterBatch, PollError } from '../../enforcer/adapters/nginx-poller.js';
import { decodeCounters } from '../../enforcer/adapters/counters-text.js';
import { freePort } from '../harness/nginx.js';
import { createEngine, engineConfigFrom } from '../../enforcer/core/engine.js';
import { parseConfig } from '../../enforcer/config/load.js';

async function serveAnswers(answers: Array<{ status?: number; body: string }>): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let i = 0;
  const srv: Server = createServer((req, res) => {
    const a = answers[Math.min(i++, answers.length - 1)];
    res.writeHead(a.status ?? 200, { 'content-type': 'application/json' });
    res.end(a.body);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, hits: () => i, close: () => new Promise((r) => srv.close(() => r())) };
}

test('parseCounterBatch sorts buckets and sums requests; the engine skips malformed per-IP entries', () => {
  const r = parseCounterBatch({ v: 1, now: 12.5, dropped: 3, buckets: [
    { t: 11, g: [5, 1, 0], ip: { '192.0.2.1': [4, 1, 0], '192.0.2.2': [1, 0, 0], bad: [1, 2], worse: 'x' } },
    { t: 10, g: [2, 0, 2], ip: { '2001:db8::1': [2, 0, 2] } },
  ] });
  assert.deepEqual(r.buckets.map((b) => b.t), [10, 11]);
  const engine = createEngine(engineConfigFrom(parseConfig({})), { isAllowed: () => false });
  engine.ingest(r.buckets);
  assert.deepEqual(engine.status(12, 10).topIps.map((x) => x.ip).sort(), ['192.0.2.1', '192.0.2.2', '2001:db8::1']);
  assert.equal(r.requests, 7);
  assert.equal(r.dropped, 3);
  assert.equal(r.more, false);
  for (const bad of [null, {}, { v: 2, buckets: [] }, { v: 1, buckets: [{ t: 'x', g: [1, 0, 0], ip: {} }] }, { v: 1, buckets: [{ t: 1, g: [1, 0], ip: {} }] }]) {
    assert.throws(() => parseCounterBatch(bad), PollError, JSON.stringify(bad));
  }
});

test('a poll follows `more` until nginx has handed over everything, and adds it all up', async (t) => {
  const batch = (t0: number, more: boolean) => JSON.stringify({ v: 1, now: t0 + 1, dropped: 1, more,
    buckets: [{ t: t0, g: [2, 0, 0], ip: { '192.0.2.9': [2, 0, 0] } }] });
  const s = await serveAnswers([{ body: batch(100, true) }, { body: batch(101, true) }, { body: batch(102, false) }]);
  t.after(s.close);
  const r = await createPoller({ url: s.url + '/', timeoutMs: 1000 })();
  assert.equal(s.hits(), 3);
  assert.deepEqual(r.buckets.map((b) => b.t), [100, 101, 102]);
  assert.equal(r.requests, 6);
  assert.equal(r.dropped, 3);
});

test('nginx down, an HTTP error, a body that is not JSON, and a hung answer are PollErrors that say so', async (t) => {
  const dead = await freePort();
  await assert.rejects(createPoller({ url: `http://127.0.0.1:${dead}`, timeoutMs: 500 })(), (e: Error) =>
    e instanceof PollError && /unreachable: ECONNREFUSED/.test(e.message));
  const s = await serveAnswers([{ status: 403, body: '{"error":"loopback only"}' }, { body: '<html>' }, { body: '{"v":1}' }]);
  t.after(s.close);
  const poll = createPoller({ url: s.url, timeoutMs: 500 });
  await assert.rejects(poll(), /answered HTTP 403/);
  await assert.rejects(poll(), /neither counters protocol 2 nor JSON/);
  await assert.rejects(poll(), /not a version 1 counter batch/);
  const hung = createServer(() => { /* never answers */ });
  await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
  t.after(() => { hung.closeAllConnections(); hung.close(); });
  await assert.rejects(createPoller({ url: `http://127.0.0.1:${(hung.address() as AddressInfo).port}`, timeoutMs: 200 })(),
    /no answer within 200 ms/);
});

test('a protocol 2 answer is decoded: tags to seconds by nginx\'s clock, both keys of a client merged, old-layout keys dropped', () => {
  // now = 130.2: second 130 has tag index 130 % 64 = 2 ('C'); 'B' is second 129, 'A' 128, '/' (63) is 127.
  const T = 17179869184;
  const text = [
    'warden-counters 2 130.2 4 0 64',
    `B192.0.2.1 ${3 * T + 2 * 131072 + 1}`,  // 3 requests, 2 4xx, 1 5xx
    `B~192.0.2.1 ${1 * 67108864 + 2}`,       // 1 auth failure, 2 probes
    `A2001:db8:1:2::/64 ${5 * T}`,
    `A~10.0.0.9 1`,                          // a probe whose main key came in an earlier answer
    `B ${2 * T}`,                            // 2 requests counted globally only
    `B~ ${67108864}`,
    `/192.0.2.7 ${T}`,
    'A!192.0.2.8 3',                         // old layout: a 4xx field of its own (not requests)
    'A192.0.2.9 6',                          // old layout: 6 requests, counted as dropped
    '',
  ].join('\n');
  const d = decodeCounters(text);
  assert.equal(d.ipv6Prefix, 64);
  assert.equal(d.more, false);
  assert.equal(d.dropped, 4 + 6);
  assert.equal(d.requests, 3 + 5 + 2 + 1);
  assert.deepEqual(d.buckets.map((b) => b.t), [127, 128, 129]);
  assert.deepEqual(d.buckets[2].ips, { '192.0.2.1': [3, 2, 1, 1, 2] });
  assert.deepEqual(d.buckets[2].global, [5, 2, 1, 2, 2]);
  assert.deepEqual(d.buckets[1].ips, { '2001:db8:1:2::/64': [5, 0, 0, 0, 0], '10.0.0.9': [0, 0, 0, 0, 1] });
  assert.deepEqual(d.buckets[0].ips, { '192.0.2.7': [1, 0, 0, 0, 0] });
  for (const bad of ['warden-counters 3 1 0 0 64\n', 'hello', 'warden-counters 2 x 0 0 64\n', 'warden-counters 2 1 0 0 64\n?1.2.3.4 5\n',
    'warden-counters 2 1 0 0 64\nA1.2.3.4\n', 'warden-counters 2 1 0 0 64\nA1.2.3.4 -5\n']) {
    assert.throws(() => decodeCounters(bad), Error, bad);
  }
});

test('an older njs module (protocol 1) is read right, its IPv6 addresses added up by prefix, with an upgrade notice once', async (t) => {
  const v1 = JSON.stringify({ v: 1, now: 201.5, dropped: 0, buckets: [{ t: 200, g: [6, 1, 0],
    ip: { '192.0.2.1': [2, 1, 0], '2001:db8:1:2::5': [3, 0, 0], '2001:db8:1:2::6': [1, 0, 0] } }] });
  const s = await serveAnswers([{ body: v1 }]);
  t.after(s.close);
  const notes: string[] = [];
  const poll = createPoller({ url: s.url, timeoutMs: 1000, ipv6Prefix: 64, warn: (m) => notes.push(m) });
  const r = await poll();
  await poll();
  assert.deepEqual(r.buckets[0].ips, { '192.0.2.1': [2, 1, 0], '2001:db8:1:2::/64': [4, 0, 0] });
  assert.equal(notes.length, 1, 'the notice is given once, not at every poll');
  assert.match(notes[0], /counters protocol 1 .*copy dist\/njs\/warden\.js, dist\/njs\/warden-internal\.js and nginx\.conf .* reload nginx/);
});

test('a newer or refusing module: 409 and 403 say what to do; an IPv6 prefix mismatch is named with both fixes', async (t) => {
  const s = await serveAnswers([
    { status: 409, body: '{"error":"this njs module speaks counters protocol 3, the poller asked for 2: install the warden daemon of the same version"}' },
    { status: 403, body: '{"error":"wrong warden secret"}' },
    { body: 'warden-counters 2 10.5 0 0 56\n' },
  ]);
  t.after(s.close);
  const notes: string[] = [];
  const poll = createPoller({ url: s.url, timeoutMs: 1000, ipv6Prefix: 64, secret: () => 'ab'.repeat(32), warn: (m) => notes.push(m) });
  await assert.rejects(poll(), /HTTP 409: this njs module speaks counters protocol 3.*install the warden daemon/);
  await assert.rejects(poll(), /HTTP 403: wrong warden secret/);
  await poll();
  assert.match(notes[0], /nginx counts IPv6 clients per \/56 .*js_var \$warden_ipv6_prefix 56;.* detection\.ipv6_prefix is 64: set one to the other/);
});
