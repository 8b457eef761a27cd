// reconcile() against the dry-run backend: strays (entries the database does not hold) are removed, expired bans are
// reported, and an entry the running engine holds (a ban applied to the backend but not yet committed to the database,
// e.g. during a bulk load when nginx comes back) is kept, never removed as a stray.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reconcile } from '../../enforcer/daemon/reconcile.js';
import { createDryRunBackend } from '../../enforcer/adapters/firewall/dry-run.js';

test('strays are removed, in-flight bans the engine holds are kept, expired ones reported', async () => {
  const fw = createDryRunBackend({ log: { info() {} } });
  fw.add([{ ip: '198.51.100.1', until: null }, { ip: '198.51.100.2', until: 5000 }, { ip: '198.51.100.3', until: 5000 }]);
  await fw.commit();
  const inFlight = new Set(['198.51.100.3']);
  const r = await reconcile(fw, [{ ip: '198.51.100.1', planned_end: null }, { ip: '198.51.100.9', planned_end: 900 }], 1000,
    (ip) => inFlight.has(ip));
  assert.deepEqual(r, { applied: 1, expired: ['198.51.100.9'], strays: 1, failed: 0 });
  assert.deepEqual((await fw.list()).map((e) => e.ip).sort(), ['198.51.100.1', '198.51.100.3']);
});
