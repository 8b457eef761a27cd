// The dry-run backend logs and remembers, enforcing nothing; the composite sends every change to each backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDryRunBackend } from '../../enforcer/adapters/firewall/dry-run.js';
import { createComposite } from '../../enforcer/adapters/firewall/composite.js';
import type { FirewallBackend } from '../../enforcer/adapters/firewall/port.js';

test('dry-run: logs what it would do and lists the remembered bans', async () => {
  const lines: string[] = [];
  const fw = createDryRunBackend({ log: { info: (m) => { lines.push(m); } } });
  await fw.init();
  fw.add([{ ip: '203.0.113.1', until: 100 }, { ip: '2001:db8::1', until: null }]);
  assert.deepEqual(await fw.commit(), { added: 2, removed: 0, failed: [] });
  assert.match(lines[0], /\[dry-run\] would add 2 and remove 0 firewall entries: \+203\.0\.113\.1 \+2001:db8::1/);
  fw.remove(['203.0.113.1']);
  await fw.commit();
  assert.deepEqual(await fw.list(), [{ ip: '2001:db8::1', until: null }]);
  assert.equal(lines.length, 2);
  await fw.commit();
  assert.equal(lines.length, 2, 'an empty commit logged');
  await fw.destroy();
  assert.deepEqual(await fw.list(), []);
});

function failing(name: string): FirewallBackend {
  return {
    name, async init() {}, add() {}, remove() {},
    async commit() { throw new Error('boom'); },
    async list() { return [{ ip: '198.51.100.9', until: null }]; },
    async shutdown() {}, async destroy() {},
  };
}

test('composite: every backend gets each change; a throwing backend is logged, never thrown; list is the union', async () => {
  const errors: string[] = [];
  const a = createDryRunBackend({ log: { info() {} } });
  const b = createDryRunBackend({ log: { info() {} } });
  const fw = createComposite([a, b, failing('broken')], { log: { error: (m) => { errors.push(m); } } });
  assert.equal(fw.name, 'dry-run+dry-run+broken');
  await fw.init();
  fw.add([{ ip: '203.0.113.5', until: 50 }]);
  const r = await fw.commit();
  assert.equal(r.added, 1);
  assert.deepEqual(r.failed, []);
  assert.match(errors[0], /backend broken: commit failed: boom/);
  assert.deepEqual(await a.list(), [{ ip: '203.0.113.5', until: 50 }]);
  assert.deepEqual(await b.list(), [{ ip: '203.0.113.5', until: 50 }]);
  const all = (await fw.list()).map((e) => e.ip).sort();
  assert.deepEqual(all, ['198.51.100.9', '203.0.113.5']);
});
