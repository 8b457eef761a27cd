// The uninstall commands of docs/install.md#uninstalling, run as written against what the real ipset, iptables and
// nftables backends create (default name `warden`, hooked into INPUT and DOCKER-USER, one ban each) inside a network
// namespace this test creates: afterwards no set, chain, jump or table of warden is left, and Docker's chain is intact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { netnsSkipReason, sh } from '../harness/netns.js';
import { needCommands } from '../harness/tools.js';
import { createIpsetBackend } from '../../enforcer/adapters/firewall/ipset.js';
import { createIptablesBackend } from '../../enforcer/adapters/firewall/iptables.js';
import { createNftablesBackend } from '../../enforcer/adapters/firewall/nftables.js';
import { createLogger } from '../../enforcer/adapters/logger.js';

const root = process.env.WARDEN_ROOT ?? process.cwd();

/** The shell block that follows "The bans stay in the kernel" in the install guide. */
function uninstallSnippet(): string {
  const guide = readFileSync(join(root, 'docs/install.md'), 'utf8');
  const at = guide.indexOf('The bans stay in the kernel');
  assert.ok(at > 0, 'docs/install.md#uninstalling lost its firewall clean-up paragraph');
  const m = /```sh\n([\s\S]*?)```/.exec(guide.slice(at));
  assert.ok(m, 'no sh block after the paragraph');
  return m[1];
}

test('the guide\'s uninstall commands remove every set, chain, jump and table the backends made', { skip: netnsSkipReason() || needCommands('ipset', 'nft', 'iptables', 'ip6tables') }, async (t) => {
  const ns = `wds-${process.pid.toString(36)}-uninst`;
  sh('ip', ['netns', 'add', ns]);
  t.after(() => { spawnSync('ip', ['netns', 'del', ns]); });
  const inNs = (cmd: string, args: string[]) => sh('ip', ['netns', 'exec', ns, cmd, ...args]);
  inNs('ip', ['link', 'set', 'lo', 'up']);
  for (const ipt of ['iptables', 'ip6tables']) inNs(ipt, ['-w', '-N', 'DOCKER-USER']);
  inNs('iptables', ['-w', '-A', 'DOCKER-USER', '-j', 'RETURN']);

  const log = createLogger('error', () => {});
  const fw = { name: 'warden', hookChains: ['INPUT', 'DOCKER-USER'], retries: 0, prefix: ['ip', 'netns', 'exec', ns], log };
  for (const backend of [createIpsetBackend(fw), createIptablesBackend(fw), createNftablesBackend(fw)]) {
    await backend.init();
    backend.add([{ ip: '192.0.2.9', until: null }, { ip: '2001:db8::9', until: null }]);
    const r = await backend.commit();
    assert.deepEqual(r.failed, [], `${backend.name}: ${JSON.stringify(r.failed)}`);
  }
  // What there is to remove (so the test cannot pass on an empty namespace).
  assert.match(inNs('iptables', ['-w', '-S', 'DOCKER-USER']), /-A DOCKER-USER -j WARDEN/);
  assert.match(inNs('ip6tables', ['-w', '-S', 'INPUT']), /-A INPUT -j WARDEN-IP/);
  assert.deepEqual(inNs('ipset', ['list', '-n']).trim().split('\n').sort(), ['warden4', 'warden6']);
  assert.match(inNs('nft', ['list', 'tables']), /table inet warden/);

  const r = spawnSync('ip', ['netns', 'exec', ns, 'sh', '-e', '-c', uninstallSnippet()], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);

  for (const ipt of ['iptables', 'ip6tables']) {
    const rules = inNs(ipt, ['-w', '-S']);
    assert.doesNotMatch(rules, /WARDEN/, `${ipt} still has:\n${rules}`);
    assert.match(rules, /^-N DOCKER-USER$/m, `${ipt}: Docker's own chain stays`);
  }
  assert.match(inNs('iptables', ['-w', '-S', 'DOCKER-USER']), /-A DOCKER-USER -j RETURN/, "Docker's rule stays");
  assert.equal(inNs('ipset', ['list', '-n']).trim(), '');
  assert.doesNotMatch(inNs('nft', ['list', 'tables']), /warden/);
});
