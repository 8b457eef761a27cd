// createBackends builds one backend per configured name; dry_run replaces them all by the dry-run backend.
// Only builds backend objects (no init, no firewall command), so it needs no netns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../enforcer/config/load.js';
import { createBackends } from '../../enforcer/adapters/firewall/create-backends.js';
import { createLogger } from '../../enforcer/adapters/logger.js';

const log = createLogger('error', () => {});

test('createBackends: one backend per configured name, duplicates once, in order; nothing is run at creation', async () => {
  const config = parseConfig({ enforcement: { backends: ['nginx', 'ipset', 'nftables', 'iptables', 'nginx'] } }, {});
  const names = (await createBackends(config, { log })).map((b) => b.name);
  assert.deepEqual(names, ['nginx', 'ipset', 'nftables', 'iptables']);
});

test('createBackends: dry_run gives only the dry-run backend, whatever the backends list says', async () => {
  const config = parseConfig({ dry_run: true, enforcement: { backends: ['ipset', 'nginx'] } }, {});
  const backends = await createBackends(config, { log });
  assert.deepEqual(backends.map((b) => b.name), ['dry-run']);
});
