// The nginx poller against real local HTTP servers: well-formed batches, `more` follow-ups, and every way an answer
// can be wrong (nginx down, HTTP error, not JSON, not a batch), each a PollError naming what happened.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPoller, parseCounterBatch, PollError } from '../../enforcer/adapters/nginx-poller.js';
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
  // A wide timeout: a local answer has taken over 1 s on this shared machine under load.
  const r = await createPoller({ url: s.url + '/', timeoutMs: 10_000 })();
  assert.equal(s.hits(), 3);
  assert.deepEqual(r.buckets.map((b) => b.t), [100, 101, 102]);
  assert.equal(r.requests, 6);
  assert.equal(r.dropped, 3);
});

test('nginx down, an HTTP error, a body that is not JSON, and a hung answer are PollErrors that say so', async (t) => {
  const dead = await freePort();
  await assert.rejects(createPoller({ url: `http://127.0.0.1:${dead}`, timeoutMs: 10_000 })(), (e: Error) =>
    e instanceof PollError && /unreachable: ECONNREFUSED/.test(e.message));
  const s = await serveAnswers([{ status: 403, body: '{"error":"loopback only"}' }, { body: '<html>' }, { body: '{"v":1}' }]);
  t.after(s.close);
  const poll = createPoller({ url: s.url, timeoutMs: 10_000 });
  await assert.rejects(poll(), /answered HTTP 403/);
  await assert.rejects(poll(), /invalid JSON/);
  await assert.rejects(poll(), /not a version 1 counter batch/);
  const hung = createServer(() => { /* never answers */ });
  await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
  t.after(() => { hung.closeAllConnections(); hung.close(); });
  await assert.rejects(createPoller({ url: `http://127.0.0.1:${(hung.address() as AddressInfo).port}`, timeoutMs: 200 })(),
    /no answer within 200 ms/);
});
