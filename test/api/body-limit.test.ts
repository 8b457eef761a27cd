// Request bodies are capped while they stream, on every route and before login: a chunked (no Content-Length) body
// larger than the cap gets 413 with a reason and the daemon's memory stays bounded. Real HTTP server, real sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createApp } from '../../enforcer/api/app.js';
import { hashPassword } from '../../enforcer/api/password.js';
import { createServiceFixture } from './service-fixture.js';

const TOKEN = 'body-limit-token-0123456789';

async function startServer(t: { after(fn: () => void | Promise<void>): void }) {
  const fx = createServiceFixture();
  const app = createApp(fx.service, {
    auth: { passwordHash: await hashPassword('body limit pw'), tokens: [TOKEN], sessionTtlSec: 3600, loginAttemptsPerMinute: 5 },
    clock: fx.clock,
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  t.after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    fx.close();
  });
  return { fx, port: (server.address() as AddressInfo).port };
}

/** Streams `totalBytes` of JSON-looking text in chunks (Transfer-Encoding: chunked) and resolves with the answer. */
function chunkedPost(port: number, path: string, totalBytes: number, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string; sent: number }>((resolve, reject) => {
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let sent = 0;
    let done = false;
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/json', ...headers } });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => {
        done = true;
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body, sent });
      });
    });
    req.on('error', (err) => { if (!done) reject(err); });
    req.write('{"password":"');
    const pump = () => {
      while (!done && sent < totalBytes) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!done) req.end('"}');
    };
    pump();
  });
}

test('a 200 MB chunked login body is refused with 413 while it streams; memory stays bounded', async (t) => {
  const { port } = await startServer(t);
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  const r = await chunkedPost(port, '/api/v1/login', 200 * 1024 * 1024);
  const grown = process.memoryUsage().rss - rss0;
  assert.equal(r.status, 413, r.body.slice(0, 200));
  assert.match(r.body, /too large/);
  assert.ok(r.sent < 200 * 1024 * 1024, `the server stopped reading early (client sent ${r.sent} bytes)`);
  assert.ok(grown < 100 * 1024 * 1024, `rss grew ${Math.round(grown / 1e6)} MB`);
});

test('every body-taking route caps chunked bodies (before auth, and the bulk route after it)', async (t) => {
  const { port, fx } = await startServer(t);
  for (const path of ['/api/v1/login', '/api/v1/logout', '/api/v1/bans', '/api/v1/allowlist', '/api/v1/status', '/nothing-here']) {
    const r = await chunkedPost(port, path, 2 * 1024 * 1024, { authorization: `Bearer ${TOKEN}` });
    assert.equal(r.status, 413, `${path}: ${r.body.slice(0, 200)}`);
    assert.match(r.body, /too large/, path);
  }
  // Without a token the bulk route answers 401 without reading a big body.
  const anon = await chunkedPost(port, '/api/v1/bans/bulk', 2 * 1024 * 1024);
  assert.equal(anon.status, 401, anon.body);
  // With a token it takes a few megabytes (100,000 addresses) but not more.
  const big = await chunkedPost(port, '/api/v1/bans/bulk', 40 * 1024 * 1024, { authorization: `Bearer ${TOKEN}` });
  assert.equal(big.status, 413, big.body.slice(0, 200));
  assert.match(big.body, /too large/);
  assert.equal(fx.store.countActive(), 0);
});
