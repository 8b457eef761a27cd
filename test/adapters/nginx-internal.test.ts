// The daemon's client of nginx's internal listener against a process holding the port in nginx's place (a plain Node
// HTTP server on loopback): an endless answer is cut at the cap and refused, a redirect is never followed, a huge
// `error` is cut for the log, and the clock's timestamps recover after a step back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInternalClient, readCapped, refusalText, AUTH_WINDOW_MS } from '../../enforcer/adapters/nginx-internal.js';

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${String(req.headers['x-warden-auth'] ?? '')}`);
    handler!(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

test('an answer larger than the cap is refused, by Content-Length or while it streams', async (t) => {
  const { server, url } = await listen((req, res) => {
    if (req.url === '/declared') {
      res.writeHead(200, { 'content-length': String(10_000_000) });
      res.end();
      return;
    }
    // Chunked, 64 KiB at a time, without end (until the client goes away).
    res.writeHead(200);
    const chunk = Buffer.alloc(65536, 'x');
    const timer = setInterval(() => res.write(chunk), 1);
    res.on('close', () => clearInterval(timer));
  });
  t.after(() => new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  }));
  const declared = await fetch(`${url}/declared`);
  await assert.rejects(readCapped(declared, 1_000_000, 'x'), /answered more than 1000000 bytes/);
  const endless = await fetch(`${url}/endless`);
  await assert.rejects(readCapped(endless, 1_000_000, 'x'), /answered more than 1000000 bytes/);
});

test('a redirect from the port is not followed; a huge refusal is cut to 300 characters for the log', async (t) => {
  const target = await listen((_req, res) => res.end('{}'));
  const { server, url } = await listen((req, res) => {
    if (req.url === '/counters?v=2') {
      res.writeHead(302, { location: `${target.url}/elsewhere` });
      res.end();
      return;
    }
    res.writeHead(403, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'E'.repeat(100_000) }));
  });
  t.after(() => new Promise<void>((r) => { server.close(() => target.server.close(() => r())); }));
  const c = createInternalClient({ url, channel: 'poll', secret: () => 'b'.repeat(64) });
  await assert.rejects(c.request('GET', '/counters?v=2', { timeoutMs: 2000 }));
  assert.equal(target.seen.length, 0, 'the redirect was followed');
  const refused = await c.request('GET', '/bans', { timeoutMs: 2000 });
  assert.equal(refused.status, 403);
  assert.ok(refusalText(refused).length < 400, 'the refusal text was not cut');
});

test('timestamps stay increasing, and come back to the clock after it steps back more than half the window', async (t) => {
  let now = 1_800_000_000_000;
  const { server, url, seen } = await listen((_req, res) => { res.writeHead(403); res.end('{"error":"no"}'); });
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const c = createInternalClient({ url, channel: 'poll', secret: () => 'c'.repeat(64), nowMs: () => now });
  const tsOf = (i: number) => Number(seen[i].split(' ')[3]);
  await c.request('GET', '/bans', { timeoutMs: 2000 });
  await c.request('GET', '/bans', { timeoutMs: 2000 });
  assert.equal(tsOf(1), tsOf(0) + 1, 'the same millisecond gives the next timestamp');
  now -= 5000;
  await c.request('GET', '/bans', { timeoutMs: 2000 });
  assert.equal(tsOf(2), tsOf(1) + 1, 'a small step back keeps counting up');
  now -= AUTH_WINDOW_MS;
  await c.request('GET', '/bans', { timeoutMs: 2000 });
  assert.equal(tsOf(3), now, 'after a big step back the timestamp is the clock again');
});
