// The iptables (rule per IP) backend against real iptables/ip6tables inside test namespaces, with real TCP connections.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createIptablesBackend, parseChainRules } from '../../enforcer/adapters/firewall/iptables.js';
import { BackendUnavailableError } from '../../enforcer/adapters/firewall/port.js';
import { createTestNetwork, netnsSkipReason } from '../harness/netns.js';
import { needCommands } from '../harness/tools.js';
import { canConnect, fwOptions, manyAddresses, memoryLogger, servedNetwork } from './helpers.js';
import { prefixBanTests } from './prefix-bans.js';

const skip = netnsSkipReason() || needCommands('iptables', 'ip6tables', 'iptables-restore', 'curl');
const now = () => Math.floor(Date.now() / 1000);

test('iptables: parses the per-IP rules of `iptables -S`', () => {
  const rules = parseChainRules([
    '-N WDT',
    '-A WDT -s 198.18.1.1/32 -m comment --comment "until=1700000000" -j DROP',
    '-A WDT -s 2001:db8::1/128 -m comment --comment until=0 -j DROP',
    '-A OTHER -s 198.18.1.2/32 -j DROP',
  ].join('\n'), 'WDT');
  assert.deepEqual(rules.map((r) => [r.ip, r.until]), [['198.18.1.1', 1700000000], ['2001:db8::1', null]]);
  assert.equal(rules[0].spec, 'WDT -s 198.18.1.1/32 -m comment --comment "until=1700000000" -j DROP');
});

test('iptables: a banned client (IPv4 and IPv6) cannot connect, another can; unban restores it; init and add are idempotent', { skip }, async (t) => {
  const s = await servedNetwork(2);
  t.after(s.close);
  const { net } = s;
  const { log, lines } = memoryLogger();
  const fw = createIptablesBackend(fwOptions(net, log, { hookChains: ['INPUT', 'DOCKER-USER'] }));
  await fw.init();
  await fw.init();
  assert.ok(lines.some((l) => /DOCKER-USER does not exist/.test(l)), 'absent hook chain is a warning');
  for (const bin of ['iptables', 'ip6tables']) {
    assert.equal(net.exec(net.serverNs, bin, ['-S', 'INPUT']).split('\n').filter((l) => l === '-A INPUT -j WDT-IP').length, 1, `${bin}: one jump`);
  }
  for (const f of [4, 6] as const) assert.ok(canConnect(net, 0, f) && canConnect(net, 1, f), `IPv${f} reachable before the ban`);

  const [c0] = net.clients;
  const banUntil = now() + 600;
  fw.add([{ ip: c0.v4, until: banUntil }, { ip: c0.v6, until: null }]);
  fw.remove(['198.18.200.200']);
  assert.deepEqual(await fw.commit(), { added: 2, removed: 1, failed: [] });
  fw.add([{ ip: c0.v4, until: banUntil }, { ip: c0.v6, until: null }]); // again: no duplicate rule
  await fw.commit();
  const v4rules = net.exec(net.serverNs, 'iptables', ['-S', 'WDT-IP']);
  const v6rules = net.exec(net.serverNs, 'ip6tables', ['-S', 'WDT-IP']);
  assert.equal(v4rules.split('\n').filter((l) => l.includes(`-s ${c0.v4}/32`) && l.endsWith('-j DROP')).length, 1, v4rules);
  assert.equal(v6rules.split('\n').filter((l) => l.includes(`-s ${c0.v6}/128`) && l.endsWith('-j DROP')).length, 1, v6rules);
  for (const f of [4, 6] as const) {
    assert.equal(canConnect(net, 0, f), false, `banned client 0 blocked over IPv${f}`);
    assert.equal(canConnect(net, 1, f), true, `client 1 still served over IPv${f}`);
  }
  const listed = await fw.list();
  assert.deepEqual(listed.sort((a, b) => a.ip.localeCompare(b.ip)), [{ ip: c0.v4, until: banUntil }, { ip: c0.v6, until: null }]);

  // A new end replaces the rule (still one); an invalid address fails alone.
  fw.add([{ ip: c0.v4, until: banUntil + 60 }, { ip: '999.1.1.1', until: null }]);
  const r2 = await fw.commit();
  assert.equal(r2.added, 1);
  assert.deepEqual(r2.failed.map((f) => f.ip), ['999.1.1.1']);
  assert.deepEqual((await fw.list()).filter((e) => e.ip === c0.v4), [{ ip: c0.v4, until: banUntil + 60 }]);

  fw.remove([c0.v4, c0.v6]);
  assert.deepEqual(await fw.commit(), { added: 0, removed: 2, failed: [] });
  for (const f of [4, 6] as const) assert.ok(canConnect(net, 0, f), `client 0 served again over IPv${f}`);
  assert.deepEqual(await fw.list(), []);

  await fw.shutdown();
  await fw.destroy();
  assert.ok(!net.exec(net.serverNs, 'iptables', ['-S']).includes('WDT'), 'chain and jump gone');
  assert.ok(!net.exec(net.serverNs, 'ip6tables', ['-S']).includes('WDT'), 'v6 chain and jump gone');
});

test('iptables: 5,000 bans in one iptables-restore batch', { skip }, async (t) => {
  const net = createTestNetwork(1);
  t.after(() => net.destroy());
  const fw = createIptablesBackend(fwOptions(net, memoryLogger().log));
  await fw.init();
  const t0 = performance.now();
  fw.add(manyAddresses(5000).map((ip) => ({ ip, until: null })));
  const r = await fw.commit();
  t.diagnostic(`iptables: commit of 5,000 rule-per-IP bans: ${(performance.now() - t0).toFixed(0)} ms`);
  assert.deepEqual(r, { added: 5000, removed: 0, failed: [] });
  assert.equal((await fw.list()).length, 5000);
});

test('iptables: a missing binary is a clear BackendUnavailableError', async () => {
  const fw = createIptablesBackend({ name: 'wdt', hookChains: ['INPUT'], retries: 0, prefix: ['env', 'PATH=/nonexistent'], log: memoryLogger().log });
  await assert.rejects(fw.init(), (err: Error) => err instanceof BackendUnavailableError &&
    err.message === 'backend `iptables`: `iptables` not found: apt-get install iptables');
});

prefixBanTests('iptables', createIptablesBackend, ['iptables', 'ip6tables', 'iptables-restore', 'curl']);

test('iptables: a network rule parses as its CIDR, an address rule (/32, /128) as the address', () => {
  const rules = parseChainRules([
    '-A WARDEN-IP -s 203.0.113.0/24 -m comment --comment "until=0" -j DROP',
    '-A WARDEN-IP -s 2001:db8:1:2::/64 -m comment --comment "until=1700000000" -j DROP',
    '-A WARDEN-IP -s 198.18.1.1/32 -m comment --comment "until=0" -j DROP',
    '-A WARDEN-IP -s 2001:db8::1/128 -m comment --comment "until=0" -j DROP',
  ].join('\n'), 'WARDEN-IP');
  assert.deepEqual(rules.map((r) => [r.ip, r.until]), [
    ['203.0.113.0/24', null], ['2001:db8:1:2::/64', 1700000000], ['198.18.1.1', null], ['2001:db8::1', null],
  ]);
});
