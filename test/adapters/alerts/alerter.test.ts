import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createAlerter, type AlerterOptions } from '../../../enforcer/adapters/alerts/alerter.js';
import { createLogger } from '../../../enforcer/adapters/logger.js';
import { frozenClock } from '../../../enforcer/adapters/clock.js';
import type { AlertRow } from '../../../enforcer/adapters/store/types.js';
import { NOON, autoBan, manualBan, unban, globalAlert } from '../fixtures.js';

interface Received { path: string; headers: IncomingMessage['headers']; body: unknown }

/** A real HTTP server on 127.0.0.1:0 answering with `handler`; records every request body as JSON. */
async function server(
  t: { after(fn: () => Promise<void> | void): void },
  handler: (n: number, res: ServerResponse) => void = (_n, res) => res.end('ok'),
): Promise<{ url: string; got: Received[] }> {
  const got: Received[] = [];
  const srv: Server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      got.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(data) });
      handler(got.length, res);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => { srv.closeAllConnections(); srv.close(() => r()); }));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, got };
}

/** A port nothing listens on (bound, then closed). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function make(opts: Partial<AlerterOptions>) {
  const rows: Array<Omit<AlertRow, 'id'>> = [];
  const logged: string[] = [];
  const clock = frozenClock(NOON * 1000);
  const alerter = createAlerter(
    { slackUrl: '', webhookUrl: '', timeoutMs: 2000, retries: 0, events: ['ban', 'unban', 'global_alert'], backoffMs: () => 0, ...opts },
    { log: createLogger('info', (l) => logged.push(l), clock), clock, onResult: (r) => rows.push(r) },
  );
  return { alerter, rows, logged };
}

test('Slack and webhook receive the documented payloads', async (t) => {
  const { url, got } = await server(t);
  const { alerter, rows } = make({ slackUrl: `${url}/slack`, webhookUrl: `${url}/hook` });
  alerter.notify(autoBan({ tightened: true, threshold: 1.5 }));
  alerter.notify(manualBan('<!channel> & scrapers'));
  alerter.notify(unban);
  alerter.notify(globalAlert);
  assert.equal(alerter.pending(), 8);
  await alerter.flush(5000);
  assert.equal(alerter.pending(), 0);
  assert.equal(got.length, 8);
  assert.equal(rows.length, 8);
  assert.ok(rows.every((r) => r.ok === 1 && r.error === null && r.at === NOON));
  assert.deepEqual(rows.map((r) => `${r.kind}/${r.channel}`), [
    'ban/slack', 'ban/webhook', 'ban/slack', 'ban/webhook', 'unban/slack', 'unban/webhook', 'global_alert/slack', 'global_alert/webhook',
  ]);
  assert.equal(got[0].headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(rows[1].payload), got[1].body, 'the stored payload is what was sent');

  // Slack ban: text + blocks with condition, rate, baseline mean/stddev/source, time, duration, step.
  const slackBan = got.find((g) => g.path === '/slack') as Received;
  const sb = slackBan.body as { text: string; blocks: Array<{ type: string; text: { text: string }; fields: Array<{ type: string; text: string }> }> };
  assert.equal(sb.text, 'Banned 203.0.113.9 for 10m: zscore=7.21&gt;1.5 (error surge)'); // Slack renders &gt; as >
  assert.equal(sb.blocks[0].type, 'section');
  const fields = sb.blocks[0].fields.map((f) => f.text).join('\n');
  for (const want of ['*Condition:* zscore=7.21&gt;1.5 (error surge)', '*Rate:* 41.20 req/s (errors 3.10/s)',
    '*Baseline:* mean 2.10 req/s, stddev 5.42 (hour_slot(14), 3600 samples)', '*Time:* 2026-01-01T12:00:00Z',
    '*Duration:* 10m', '*Ladder step:* 1']) {
    assert.ok(fields.includes(want), `missing ${want} in\n${fields}`);
  }

  // Webhook ban: the JSON object.
  assert.deepEqual(got[1].body, {
    event: 'ban', time: '2026-01-01T12:00:00Z', ip: '203.0.113.9', rule: 'zscore', threshold: 1.5, rate: 41.2, error_rate: 3.1,
    z: 7.21, baseline: { mean: 2.1, stddev: 5.42, source: 'hour_slot(14)' }, duration_sec: 600, step: 1, source: 'auto', reason: null,
  });

  // Manual ban: user text escaped for Slack, raw in JSON.
  const slackManual = JSON.stringify(got[2].body);
  assert.ok(slackManual.includes('&lt;!channel&gt; &amp; scrapers'), slackManual);
  assert.ok(!slackManual.includes('<!channel>'));
  assert.equal((got[3].body as { reason: string }).reason, '<!channel> & scrapers');
  assert.equal((got[3].body as { source: string }).source, 'manual');

  // Unban and global alert.
  assert.equal((got[4].body as { text: string }).text, 'Unbanned 203.0.113.9 (expired)');
  assert.deepEqual(got[5].body, {
    event: 'unban', time: '2026-01-01T12:10:00Z', ip: '203.0.113.9', rule: null, threshold: null, rate: null, error_rate: null,
    z: null, baseline: null, duration_sec: null, step: null, source: null, reason: 'expired',
  });
  assert.match((got[6].body as { text: string }).text, /^Global traffic surge: 80\.50 req\/s \(zscore=14\.46&gt;3\.0\)$/);
  const wg = got[7].body as { event: string; ip: null; z: number; rate: number };
  assert.equal(wg.event, 'global_alert');
  assert.equal(wg.ip, null);
  assert.equal(wg.z, 14.46);
});

test('only configured events are sent', async (t) => {
  const { url, got } = await server(t);
  const { alerter } = make({ webhookUrl: url, events: ['ban'] });
  alerter.notify(unban);
  alerter.notify(globalAlert);
  alerter.notify(autoBan());
  await alerter.flush(5000);
  assert.deepEqual(got.map((g) => (g.body as { event: string }).event), ['ban']);
});

test('a 500 then 200 is retried and succeeds', async (t) => {
  const { url, got } = await server(t, (n, res) => {
    res.statusCode = n === 1 ? 500 : 200;
    res.end();
  });
  const { alerter, rows, logged } = make({ webhookUrl: url, retries: 2 });
  alerter.notify(autoBan());
  await alerter.flush(5000);
  assert.equal(got.length, 2);
  assert.deepEqual(rows.map((r) => [r.ok, r.error]), [[1, null]]);
  assert.deepEqual(logged, []);
});

test('a server that keeps failing is retried `retries` times, then recorded and logged', async (t) => {
  const { url, got } = await server(t, (_n, res) => {
    res.statusCode = 503;
    res.end();
  });
  const { alerter, rows, logged } = make({ webhookUrl: url, retries: 2 });
  alerter.notify(autoBan());
  await alerter.flush(5000);
  assert.equal(got.length, 3);
  assert.deepEqual(rows.map((r) => [r.ok, r.error]), [[0, 'HTTP 503']]);
  assert.equal(logged.length, 1);
  assert.match(logged[0], /WARN webhook alert \(ban\) failed after 3 attempt\(s\): HTTP 503/);
});

test('a hanging server times out', async (t) => {
  const { url, got } = await server(t, () => { /* never answers */ });
  const { alerter, rows } = make({ webhookUrl: url, timeoutMs: 150, retries: 1 });
  const t0 = performance.now();
  alerter.notify(autoBan());
  await alerter.flush(5000);
  const took = performance.now() - t0;
  assert.equal(got.length, 2);
  assert.deepEqual(rows.map((r) => [r.ok, r.error]), [[0, 'timeout after 150 ms']]);
  // Two attempts of 150 ms each; the upper bound only shows flush() did not give up (5 s) before the timeouts fired.
  assert.ok(took >= 300 && took < 5000, `took ${took} ms`);
});

test('a dead port: logged (rate-limited), recorded ok=0, and notify never blocks nor throws', async (t) => {
  const port = await deadPort();
  const { alerter, rows, logged } = make({ slackUrl: `http://127.0.0.1:${port}/x`, retries: 1, queueLimit: 1000 });
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    assert.doesNotThrow(() => alerter.notify(autoBan({ at: NOON + i })));
    times.push(performance.now() - t0);
  }
  // Never blocks: all 200 were queued in one synchronous loop, none was sent or recorded yet (a blocking notify would
  // have sent and recorded them one by one). The time per call is a figure, not a test: this machine is shared.
  assert.equal(alerter.pending(), 200);
  assert.equal(rows.length, 0);
  times.sort((a, b) => a - b);
  t.diagnostic(`notify: median ${(times[100] * 1000).toFixed(1)} µs, max ${(times[199] * 1000).toFixed(1)} µs`);
  await alerter.flush(20_000);
  assert.equal(rows.length, 200);
  assert.ok(rows.every((r) => r.ok === 0 && /ECONNREFUSED/.test(r.error ?? '')), rows[0].error ?? '');
  assert.equal(logged.length, 1, 'one warning per minute, not one per message');
  assert.match(logged[0], /WARN slack alert \(ban\) failed after 2 attempt\(s\): ECONNREFUSED/);
});

test('queue overflow drops the oldest and counts them', async () => {
  const port = await deadPort();
  const { alerter, rows, logged } = make({ webhookUrl: `http://127.0.0.1:${port}/`, queueLimit: 3 });
  for (let i = 0; i < 10; i++) alerter.notify(autoBan({ at: NOON + i }));
  assert.equal(alerter.dropped(), 7);
  assert.equal(alerter.pending(), 3);
  await alerter.flush(5000);
  assert.equal(alerter.pending(), 0);
  assert.deepEqual(rows.map((r) => (JSON.parse(r.payload) as { time: string }).time),
    ['2026-01-01T12:00:07Z', '2026-01-01T12:00:08Z', '2026-01-01T12:00:09Z'], 'the newest three were kept');
  assert.ok(logged.some((l) => /alert queue full \(3\)/.test(l)));
});

test('flush() gives up after its timeout; no channel configured means nothing queued', async (t) => {
  const { url } = await server(t, () => { /* never answers */ });
  const { alerter } = make({ webhookUrl: url, timeoutMs: 5000 });
  alerter.notify(autoBan());
  const t0 = performance.now();
  await alerter.flush(100);
  // The request hangs for 5 s: returning well before that is giving up on time (a loose bound: the machine is shared).
  assert.ok(performance.now() - t0 < 3000);
  assert.equal(alerter.pending(), 1);
  const none = make({});
  none.alerter.notify(autoBan());
  assert.equal(none.alerter.pending(), 0);
  await none.alerter.flush(10);
});
