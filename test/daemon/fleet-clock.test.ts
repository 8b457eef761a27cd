// One clock decides: a node whose clock runs 3 s ahead files its nginx's seconds under the Valkey server's second
// (real redis-server; the node's poll step fed one drained bucket as nginx on that host would label it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createFleetNode } from '../../enforcer/daemon/fleet-node.js';
import { createValkeyLink } from '../../enforcer/adapters/fleet/valkey-link.js';
import { fleetKeys } from '../../enforcer/adapters/fleet/keys.js';
import { createEngine, engineConfigFrom } from '../../enforcer/core/engine.js';
import { decodeCounts } from '../../enforcer/core/fleet/counts-codec.js';
import { openStore } from '../../enforcer/adapters/store/warden-store.js';
import { freePort } from '../harness/nginx.js';
import { startRedis, redisSkipReason } from '../harness/redis.js';
import { tempDir, testConfig } from '../e2e/helpers.js';

test('a node 3 s fast publishes its counts under the server\'s second', { skip: redisSkipReason() }, async (t) => {
  const redis = await startRedis({ port: await freePort() });
  const tmp = tempDir();
  const config = testConfig(tmp.dir, { fleet: { url: redis.url, node: 'fast' } });
  const store = openStore(join(tmp.dir, 'w.db'));
  const engineCfg = engineConfigFrom(config);
  const engine = createEngine(engineCfg, { isAllowed: () => false });
  const log = { info: () => {}, warn: () => {}, error: () => {} };
  const clock = { nowMs: () => Date.now() + 3000 };
  const node = createFleetNode({
    fleet: config.fleet!, node: 'fast', link: createValkeyLink(config.fleet!, log), engine, engineCfg, store,
    audit: { failure: () => {} }, log, clock, apply: async () => null, isAllowed: () => false, ipv6Prefix: 64, onGlobalAlert: () => {},
  });
  const client = new Redis(redis.port, '127.0.0.1');
  t.after(async () => {
    await node.stop();
    client.disconnect();
    store.close();
    await redis.destroy();
    tmp.remove();
  });
  await node.start(3000);
  assert.ok(Math.abs(node.view().clockOffsetMs + 3000) < 200, `offset ${node.view().clockOffsetMs} ms`);
  const localSec = Math.floor(clock.nowMs() / 1000) - 1; // the second nginx on that host just completed
  await node.step({ buckets: [{ t: localSec, global: [5, 0, 0], ips: { '192.0.2.5': [5, 0, 0] } }], dropped: 0, unattributed: 0, requests: 5, nginxNow: localSec + 1 }, localSec + 1);
  const keys = fleetKeys('{warden}:');
  assert.equal(await client.hget(keys.counts(localSec), 'fast'), null, 'filed under its own (wrong) second');
  const text = await client.hget(keys.counts(localSec - 3), 'fast');
  assert.ok(text, 'not filed under the server\'s second');
  assert.deepEqual(decodeCounts(localSec - 3, text).bucket.ips['192.0.2.5'], [5, 0, 0]);
});
