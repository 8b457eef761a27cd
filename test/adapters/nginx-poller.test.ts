// The nginx poller against real local HTTP servers that sign their answers as nginx does: well-formed batches, `more`
// follow-ups, and every way an answer can be wrong (nginx down, HTTP error, not protocol 2, unsigned or forged), each a
// PollError naming what happened.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPoller, PollError } from '../../enforcer/adapters/nginx-poller.js';
import { answerSignature } from '../../enforcer/adapters/nginx-internal.js';
import { decodeCounters } from '../../enforcer/adapters/counters-text.js';
import { freePort } from '../harness/nginx.js';
import { createEngine, engineConfigFrom } from '../../enforcer/core/engine.js';
import { parseConfig } from '../../enforcer/config/load.js';

const SECRET = 'ab'.repeat(32);

/** Serves `answers` in turn, each signed for its request with SECRET (as nginx does) unless `unsigned`. */
async function serveAnswers(answers: Array<{ status?: number; body: string; unsigned?: boolean }>): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let i = 0;
  const srv: Server = createServer((req, res) => {
    const a = answers[Math.min(i++, answers.length - 1)];
    const status = a.status ?? 200;
    const sig = String(req.headers['x-warden-auth'] ?? '').split(' ')[2];
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (sig && !a.unsigned) headers['x-warden-auth'] = answerSignature(SECRET, sig, status, a.body);
    res.writeHead(status, headers);
    res.end(a.body);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, hits: () => i, close: () => new Promise((r) => srv.close(() => r())) };
}

test('a poll follows `more` until nginx has handed over everything, and adds it all up', async (t) => {
  const T = 17179869184;
  const tag = (t0: number) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'[t0 % 64];
  const batch = (t0: number, more: boolean) => `warden-counters 2 ${t0 + 1}.2 1 ${more ? 1 : 0} 64\n${tag(t0)}192.0.2.9 ${2 * T}\n`;
  const s = await serveAnswers([{ body: batch(100, true) }, { body: batch(101, true) }, { body: batch(102, false) }]);
  t.after(s.close);
  // A wide timeout: a local answer has taken over 1 s on this shared machine under load.
  const r = await createPoller({ url: s.url + '/', timeoutMs: 10_000, secret: () => SECRET })();
  assert.equal(s.hits(), 3);
  assert.deepEqual(r.buckets.map((b) => b.t), [100, 101, 102]);
  assert.equal(r.requests, 6);
  assert.equal(r.dropped, 3);
});

test('nginx down, an HTTP error, a body that is not JSON, and a hung answer are PollErrors that say so', async (t) => {
  const dead = await freePort();
  await assert.rejects(createPoller({ url: `http://127.0.0.1:${dead}`, timeoutMs: 10_000 })(), (e: Error) =>
    e instanceof PollError && /unreachable: ECONNREFUSED/.test(e.message));
  const s = await serveAnswers([{ status: 403, body: '{"error":"loopback only"}', unsigned: true }, { body: '<html>' }, { body: '{"v":1}' }]);
  t.after(s.close);
  const poll = createPoller({ url: s.url, timeoutMs: 10_000, secret: () => SECRET });
  await assert.rejects(poll(), /answered HTTP 403: loopback only \(unsigned answer\)/);
  await assert.rejects(poll(), /something other than counters protocol 2: "<html>"/);
  await assert.rejects(poll(), /something other than counters protocol 2: "\{\\"v\\":1\}"/);
  const hung = createServer(() => { /* never answers */ });
  await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
  t.after(() => { hung.closeAllConnections(); hung.close(); });
  await assert.rejects(createPoller({ url: `http://127.0.0.1:${(hung.address() as AddressInfo).port}`, timeoutMs: 200 })(),
    /no answer within 200 ms/);
  // Without a secret nothing unsigned is believed either.
  const noSecret = await serveAnswers([{ body: 'warden-counters 2 10.5 0 0 64\n' }]);
  t.after(noSecret.close);
  await assert.rejects(createPoller({ url: noSecret.url, timeoutMs: 10_000 })(), /without a signature and this daemon has no secret/);
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
  assert.equal(d.unattributed, 0, 'a module that sends six header fields');
  assert.equal(decodeCounters('warden-counters 2 130.2 0 0 64 9\n').unattributed, 9, 'the 7th field: requests with no client');
  assert.throws(() => decodeCounters('warden-counters 2 130.2 0 0 64 -9\n'), /malformed counters header/);
  for (const bad of ['warden-counters 3 1 0 0 64\n', 'hello', 'warden-counters 2 x 0 0 64\n', 'warden-counters 2 1 0 0 64\n?1.2.3.4 5\n',
    'warden-counters 2 1 0 0 64\nA1.2.3.4\n', 'warden-counters 2 1 0 0 64\nA1.2.3.4 -5\n']) {
    assert.throws(() => decodeCounters(bad), Error, bad);
  }
});

test('an older njs module is never read: protocol 1 (unsigned JSON) and an unsigned protocol 2 module say to copy the new files', async (t) => {
  const v1 = JSON.stringify({ v: 1, now: 201.5, dropped: 0, buckets: [{ t: 200, g: [6, 1, 0], ip: { '192.0.2.1': [2, 1, 0] } }] });
  const s = await serveAnswers([
    { body: v1, unsigned: true },
    // What a protocol 2 module from before signed requests answers a daemon that no longer sends the raw secret.
    { status: 403, unsigned: true, body: '{"error":"the warden secret is required (X-Warden-Secret); a warden daemon that does not send it is older than this njs module (counters protocol 2): upgrade the daemon","protocol":2}' },
  ]);
  t.after(s.close);
  const poll = createPoller({ url: s.url, timeoutMs: 1000, ipv6Prefix: 64, secret: () => SECRET });
  await assert.rejects(poll(), (e: Error) => e instanceof PollError &&
    /answered HTTP 200 without signature .*njs module older than this daemon \(copy dist\/njs\/\*\.js and nginx\.conf .*reload nginx\); nothing of the answer was used/.test(e.message));
  await assert.rejects(poll(), /HTTP 403: the warden secret is required .*\[nginx runs an njs module older than this daemon: .*copy dist\/njs\/warden\.js, dist\/njs\/warden-internal\.js and nginx\.conf .*reload nginx/);
});

test('a newer or refusing module: 409 and 403 say what to do; an IPv6 prefix mismatch is named with both fixes', async (t) => {
  const s = await serveAnswers([
    { status: 409, body: '{"error":"this njs module speaks counters protocol 3, the poller asked for 2: install the warden daemon of the same version"}' },
    { status: 403, body: '{"error":"X-Warden-Auth does not match the secret nginx holds","protocol":2,"auth":1}', unsigned: true },
    { body: 'warden-counters 2 10.5 0 0 56\n' },
  ]);
  t.after(s.close);
  const notes: string[] = [];
  const poll = createPoller({ url: s.url, timeoutMs: 1000, ipv6Prefix: 64, secret: () => SECRET, warn: (m) => notes.push(m) });
  await assert.rejects(poll(), /HTTP 409: this njs module speaks counters protocol 3.*install the warden daemon/);
  await assert.rejects(poll(), /HTTP 403: X-Warden-Auth does not match the secret nginx holds \(unsigned answer\)/);
  await poll();
  assert.match(notes[0], /nginx counts IPv6 clients per \/56 .*js_var \$warden_ipv6_prefix 56;.* detection\.ipv6_prefix is 64: set one to the other/);
});

test('a forged or garbled protocol 2 answer: odd keys are nobody\'s (counted as dropped), absurd numbers are refused, nothing reaches Object.prototype', async (t) => {
  const T = 17179869184;
  const d = decodeCounters([
    'warden-counters 2 130.2 0 0 64',
    `B__proto__ ${3 * T}`,
    `B~__proto__ ${67108864 + 1}`,
    `B$(reboot) ${2 * T}`,
    `B1.2.3.4 timeout 0 ${4 * T}`,
    `B${'1'.repeat(60)} ${T}`,
    `B192.0.2.1 ${T}`,
    '',
  ].join('\n'));
  assert.equal(({} as Record<number, unknown>)[3], undefined, 'Object.prototype untouched');
  assert.equal(Object.getPrototypeOf(d.buckets[0].ips), Object.prototype);
  assert.deepEqual(Object.keys(d.buckets[0].ips), ['192.0.2.1']);
  assert.equal(d.dropped, 3 + 2 + 4 + 1);
  assert.equal(d.requests, 1);
  for (const bad of [
    `warden-counters 2 130.2 0 0 64\nB1.2.3.4 ${'9'.repeat(400)}\n`, // Infinity requests
    `warden-counters 2 130.2 0 0 64\nB1.2.3.4 ${2 ** 53 + 2}\n`,    // above 2^53: not exact
    'warden-counters 2 130.2 -5 0 64\n', 'warden-counters 2 1e300 0 0 64\n', 'warden-counters 2 NaN 0 0 64\n',
    'warden-counters 2 130.2 0 0 999\n', 'warden-counters 2 130.2 0 0 -1\n', 'warden-counters 2 130.2 Infinity 0 64\n',
  ]) {
    assert.throws(() => decodeCounters(bad), /malformed counters/, bad.slice(0, 60));
  }
  // Through a real HTTP answer, the poller and the engine: a forged flood from odd keys bans nobody and crashes nothing.
  const lines = ['warden-counters 2 130.2 0 0 64'];
  for (const k of ['__proto__', '$(reboot)', '128.0.0.0/1', '8000::/1', '::/0', '0.0.0.0/0', '2001:DB8::1', '01.2.3.4', '::ffff:1.2.3.4', 'x', '192.0.2.9']) {
    lines.push(`B${k} ${500 * T}`);
  }
  const srv = await serveAnswers([{ body: lines.join('\n') }]);
  t.after(srv.close);
  const r = await createPoller({ url: srv.url, timeoutMs: 2000, secret: () => SECRET })();
  const e = createEngine(engineConfigFrom(parseConfig({}, {})), { isAllowed: () => false });
  const bans: string[] = [];
  for (let s = 0; s < 30; s++) {
    e.ingest(r.buckets.map((b) => ({ ...b, t: 1000 + s })));
    for (const dd of e.tick(1001 + s)) if (dd.kind === 'ban') bans.push(dd.ip);
  }
  assert.deepEqual(bans, ['192.0.2.9'], 'only the real address (the control) is banned');
});
