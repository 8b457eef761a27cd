// The Valkey link against a real redis-server on loopback: the lease and its fencing token, the publish script's
// stand rule, the one-read snapshot, the ACL user docs/fleet.md gives, and no password in any log line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createValkeyLink } from '../../../enforcer/adapters/fleet/valkey-link.js';
import { parseConfig } from '../../../enforcer/config/load.js';
import { freePort } from '../../harness/nginx.js';
import { startRedis, redisSkipReason } from '../../harness/redis.js';

const skip = redisSkipReason();
const PASSWORD = 'S3cret-pass-for-the-test';
/** The ACL line of docs/fleet.md. */
const ACL = `user warden on >${PASSWORD} ~{warden}:* resetchannels -@all +@read +@write +@stream +@scripting +@transaction +@connection +time +info`;

const fleetCfg = (url: string) => parseConfig({ fleet: { url } }).fleet!;
const ban = (id: string, ip: string, until: number | null) => JSON.stringify({ v: 1, id, kind: 'ban', ip, at: 100, until, step: 1,
  rule: 'manual', rate: 0, errorRate: 0, z: 0, src: 'manual', node: 'a', mode: 'manual', ep: 0, bl: { mean: 1, stddev: 1, errorMean: 0, source: 'floor' } });

test('lease: one holder, a growing token, renew only while held, a fenced publish refused after a takeover', { skip }, async (t) => {
  const redis = await startRedis({ port: await freePort(), acl: [ACL] });
  const lines: string[] = [];
  const log = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m) };
  const a = createValkeyLink(fleetCfg(`redis://warden:${PASSWORD}@127.0.0.1:${redis.port}`), log);
  const b = createValkeyLink(fleetCfg(`redis://warden:${PASSWORD}@127.0.0.1:${redis.port}`), log);
  t.after(async () => {
    await a.close();
    await b.close();
    await redis.destroy();
  });
  assert.equal(await a.connect(3000), true, 'the ACL user of docs/fleet.md can connect');
  assert.equal(await b.connect(3000), true);
  const t1 = await a.acquire('a', 300);
  assert.ok(t1 > 0);
  assert.equal(await b.acquire('b', 300), 0, 'a held lease cannot be taken');
  assert.equal(await a.renew(`a|${t1}`, 300), true);
  assert.deepEqual((await a.publish([ban('x1', '192.0.2.1', 500)], `a|${t1}`, 1000))?.length, 1);
  // a stops renewing: the lease runs out and b takes it with a bigger token; a's fenced publish is refused.
  await new Promise((r) => setTimeout(r, 400));
  const t2 = await b.acquire('b', 3000);
  assert.ok(t2 > t1);
  assert.equal(await a.renew(`a|${t1}`, 300), false);
  assert.equal(await a.publish([ban('x2', '192.0.2.2', 500)], `a|${t1}`, 1000), null);
  const snap = await b.snapshot();
  assert.deepEqual(Object.keys(snap.bans), ['192.0.2.1'], 'the fenced-out ban was not written');
  assert.equal(snap.fresh, false);
  assert.equal(await b.leaseHolder(), `b|${t2}`);
  assert.ok(!lines.join('\n').includes(PASSWORD));
});

test('publish: the longer ban stands, a tie goes to the smaller id, an unban removes; the stream keeps every one', { skip }, async (t) => {
  const redis = await startRedis({ port: await freePort() });
  const link = createValkeyLink(fleetCfg(redis.url), { info: () => {}, warn: () => {} });
  t.after(async () => {
    await link.close();
    await redis.destroy();
  });
  await link.connect(3000);
  assert.equal((await link.snapshot()).fresh, true);
  await link.publish([ban('m', '192.0.2.1', 500)], null, 1000);
  await link.publish([ban('n', '192.0.2.1', 400)], null, 1000); // shorter: stays out
  assert.equal(JSON.parse((await link.snapshot()).bans['192.0.2.1']).id, 'm');
  await link.publish([ban('l', '192.0.2.1', 500)], null, 1000); // tie, smaller id: stands
  assert.equal(JSON.parse((await link.snapshot()).bans['192.0.2.1']).id, 'l');
  await link.publish([ban('z', '192.0.2.1', null)], null, 1000); // permanent: stands
  assert.equal(JSON.parse((await link.snapshot()).bans['192.0.2.1']).id, 'z');
  await link.publish([JSON.stringify({ v: 1, id: 'u', kind: 'unban', ip: '192.0.2.1', at: 200, reason: 'manual', node: 'a', mode: 'manual', ep: 0 })], null, 1000);
  const snap = await link.snapshot();
  assert.deepEqual(snap.bans, {});
  // 2,500 at once (a bulk load): published in scripts of 1,000, every one in the stream and the set.
  const many = Array.from({ length: 2500 }, (_, i) => ban(`b${i}`, `10.1.${i >> 8}.${i & 255}`, 500));
  assert.equal((await link.publish(many, null, 100_000))?.length, 2500);
  assert.equal(Object.keys((await link.snapshot()).bans).length, 2500);
  const all = await link.read('0-0', 10, 5);
  assert.deepEqual(all.map((e) => JSON.parse(e.text).id), ['m', 'n', 'l', 'z', 'u']);
  assert.equal(snap.lastId, all[all.length - 1].id);
  assert.equal(await link.streamHas(all[1].id), true);
});

test('a wrong password: connect says unreachable without the password; config errors hide it too', { skip }, async (t) => {
  const redis = await startRedis({ port: await freePort(), acl: [ACL] });
  const lines: string[] = [];
  const link = createValkeyLink(fleetCfg(`redis://warden:wrong-${PASSWORD}@127.0.0.1:${redis.port}`), {
    info: (m) => lines.push(m), warn: (m) => lines.push(m),
  });
  t.after(async () => {
    await link.close();
    await redis.destroy();
  });
  assert.equal(await link.connect(800), false);
  assert.match(lines.join('\n'), /redis:\/\/warden:\*\*\*@127\.0\.0\.1:\d+ not reachable/);
  assert.ok(!lines.join('\n').includes(PASSWORD));
  assert.throws(() => parseConfig({ fleet: { url: `redis://warden:${PASSWORD}@127.0.0.1:1 bad`, node: 'a b' } }), (err: Error) => {
    assert.ok(!err.message.includes(PASSWORD), err.message);
    assert.match(err.message, /fleet\.url/);
    return true;
  });
});
