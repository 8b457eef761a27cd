// The nftables backend against real nft inside test namespaces, checked with real TCP connections.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNftablesBackend, nftCommitScript, parseNftSetJson } from '../../enforcer/adapters/firewall/nftables.js';
import { BackendUnavailableError } from '../../enforcer/adapters/firewall/port.js';
import { createTestNetwork, netnsSkipReason } from '../harness/netns.js';
import { needCommands } from '../harness/tools.js';
import { canConnect, fwOptions, memoryLogger, servedNetwork } from './helpers.js';
import { timeoutAndBulkTests } from './timeout-and-bulk.js';
import { prefixBanTests } from './prefix-bans.js';

const commands = ['nft', 'curl'];
const skip = netnsSkipReason() || needCommands(...commands);
const now = () => Math.floor(Date.now() / 1000);

test('nftables: the commit script adds/deletes each touched element first, so absent removals never fail', () => {
  const s = nftCommitScript('w', [
    { ip: '198.18.1.1', family: 4, op: 'add', until: 1060 },
    { ip: '2001:db8::1', family: 6, op: 'add', until: null },
    { ip: '198.18.1.2', family: 4, op: 'remove' },
    { ip: '198.18.1.3', family: 4, op: 'add', until: 999 },
  ], 1000);
  assert.equal(s, [
    'add element inet w ban4 { 198.18.1.1, 198.18.1.2, 198.18.1.3 }',
    'delete element inet w ban4 { 198.18.1.1, 198.18.1.2, 198.18.1.3 }',
    'add element inet w ban4 { 198.18.1.1 timeout 60s }',
    'add element inet w ban6 { 2001:db8::1 }',
    'delete element inet w ban6 { 2001:db8::1 }',
    'add element inet w ban6 { 2001:db8::1 }',
    '',
  ].join('\n'));
});

test('nftables: a banned client (IPv4 and IPv6) cannot connect, another can; unban restores it; init and add are idempotent', { skip }, async (t) => {
  const s = await servedNetwork(2);
  t.after(s.close);
  const { net } = s;
  const fw = createNftablesBackend(fwOptions(net, memoryLogger().log));
  await fw.init();
  for (const f of [4, 6] as const) assert.ok(canConnect(net, 0, f) && canConnect(net, 1, f), `IPv${f} reachable before the ban`);

  const [c0] = net.clients;
  const banUntil = now() + 600;
  fw.add([{ ip: c0.v4, until: banUntil }, { ip: c0.v6, until: null }]);
  fw.remove(['198.18.200.200']); // absent: not an error
  assert.deepEqual(await fw.commit(), { added: 2, removed: 1, failed: [] });
  await fw.init(); // a restart: rules not duplicated, set contents kept
  fw.add([{ ip: c0.v4, until: banUntil }]); // present already
  assert.deepEqual(await fw.commit(), { added: 1, removed: 0, failed: [] });
  const ruleset = net.exec(net.serverNs, 'nft', ['list', 'ruleset']);
  assert.equal(ruleset.match(/ip saddr @ban4 drop/g)?.length, 1, ruleset);
  assert.equal(ruleset.match(/ip6 saddr @ban6 drop/g)?.length, 1, ruleset);
  assert.ok(ruleset.includes(c0.v4) && ruleset.includes(c0.v6), ruleset);
  assert.ok(!ruleset.includes('hook forward'), 'no forward chain without DOCKER-USER');
  for (const f of [4, 6] as const) {
    assert.equal(canConnect(net, 0, f), false, `banned client 0 blocked over IPv${f}`);
    assert.equal(canConnect(net, 1, f), true, `client 1 still served over IPv${f}`);
  }

  const listed = await fw.list();
  assert.equal(listed.length, 2);
  const v4 = listed.find((e) => e.ip === c0.v4);
  assert.ok(v4 && v4.until !== null && Math.abs(v4.until - banUntil) <= 1, `until round trip: ${JSON.stringify(v4)} vs ${banUntil}`);
  assert.deepEqual(listed.find((e) => e.ip === c0.v6), { ip: c0.v6, until: null });

  // Re-adding with a shorter ban updates the timeout; an invalid address fails alone.
  fw.add([{ ip: c0.v4, until: now() + 60 }, { ip: 'not-an-ip', until: null }]);
  const r2 = await fw.commit();
  assert.equal(r2.added, 1);
  assert.deepEqual(r2.failed.map((f) => f.ip), ['not-an-ip']);
  const again = (await fw.list()).find((e) => e.ip === c0.v4);
  assert.ok(again && again.until !== null && again.until <= now() + 61, `timeout updated on re-add: ${JSON.stringify(again)}`);

  fw.remove([c0.v4, c0.v6]);
  assert.deepEqual(await fw.commit(), { added: 0, removed: 2, failed: [] });
  for (const f of [4, 6] as const) assert.ok(canConnect(net, 0, f), `client 0 served again over IPv${f}`);
  assert.deepEqual(await fw.list(), []);

  await fw.shutdown();
  await fw.destroy();
  assert.ok(!net.exec(net.serverNs, 'nft', ['list', 'ruleset']).includes('wdt'), 'table gone');
});

test('nftables: hookChains with DOCKER-USER adds a forward-hook chain with the same drops', { skip }, async (t) => {
  const net = createTestNetwork(1);
  t.after(() => net.destroy());
  const fw = createNftablesBackend(fwOptions(net, memoryLogger().log, { hookChains: ['INPUT', 'DOCKER-USER'] }));
  await fw.init();
  await fw.init();
  const ruleset = net.exec(net.serverNs, 'nft', ['list', 'ruleset']);
  assert.match(ruleset, /hook forward priority filter - 10/);
  assert.equal(ruleset.match(/ip saddr @ban4 drop/g)?.length, 2, ruleset);
  // Dropping DOCKER-USER from the config removes the forward chain at the next start.
  await createNftablesBackend(fwOptions(net, memoryLogger().log)).init();
  assert.doesNotMatch(net.exec(net.serverNs, 'nft', ['list', 'ruleset']), /hook forward/);
});

timeoutAndBulkTests('nftables', createNftablesBackend, 6, commands);

test('nftables: a missing binary is a clear BackendUnavailableError', async () => {
  const fw = createNftablesBackend({ name: 'wdt', hookChains: ['INPUT'], retries: 0, prefix: ['env', 'PATH=/nonexistent'], log: memoryLogger().log });
  await assert.rejects(fw.init(), (err: Error) => err instanceof BackendUnavailableError &&
    err.message === 'backend `nftables`: `nft` not found: apt-get install nftables');
});

prefixBanTests('nftables', createNftablesBackend, commands);

test('nftables: networks go to one interval set per prefix length, created with their drop rules when first needed', () => {
  const created = new Set<string>();
  const s = nftCommitScript('w', [
    { ip: '2001:db8:1:2::/64', family: 6, op: 'add', until: null },
    { ip: '203.0.113.0/24', family: 4, op: 'add', until: 1600 },
    { ip: '2001:db8:1::/48', family: 6, op: 'remove' },
    { ip: '198.18.1.1', family: 4, op: 'add', until: null },
  ], 1000, { known: new Set(['net6_48']), forward: true, created });
  assert.equal(s, [
    'add element inet w ban4 { 198.18.1.1 }',
    'delete element inet w ban4 { 198.18.1.1 }',
    'add element inet w ban4 { 198.18.1.1 }',
    'add set inet w net4_24 { type ipv4_addr; flags interval, timeout; size 1048576; }',
    'add rule inet w input ip saddr @net4_24 drop',
    'add rule inet w forward ip saddr @net4_24 drop',
    'add element inet w net4_24 { 203.0.113.0/24 }',
    'delete element inet w net4_24 { 203.0.113.0/24 }',
    'add element inet w net4_24 { 203.0.113.0/24 timeout 600s }',
    'add element inet w net6_48 { 2001:db8:1::/48 }',
    'delete element inet w net6_48 { 2001:db8:1::/48 }',
    'add set inet w net6_64 { type ipv6_addr; flags interval, timeout; size 1048576; }',
    'add rule inet w input ip6 saddr @net6_64 drop',
    'add rule inet w forward ip6 saddr @net6_64 drop',
    'add element inet w net6_64 { 2001:db8:1:2::/64 }',
    'delete element inet w net6_64 { 2001:db8:1:2::/64 }',
    'add element inet w net6_64 { 2001:db8:1:2::/64 }',
    '',
  ].join('\n'));
  assert.deepEqual([...created].sort(), ['net4_24', 'net6_64']);
  assert.deepEqual(parseNftSetJson('{"nftables":[{"set":{"name":"net6_64","elem":[{"elem":{"val":{"prefix":{"addr":"2001:db8::","len":64}},"timeout":100,"expires":99}},{"prefix":{"addr":"2001:db8:1::","len":64}}]}}]}', 1000),
    [{ ip: '2001:db8::/64', until: 1099 }, { ip: '2001:db8:1::/64', until: null }]);
});

test('nftables: a restart keeps the network sets and their rules once each; forward chain gets them too', { skip }, async (t) => {
  const net = createTestNetwork(1);
  t.after(() => net.destroy());
  const fw = createNftablesBackend(fwOptions(net, memoryLogger().log, { hookChains: ['INPUT', 'DOCKER-USER'] }));
  await fw.init();
  fw.add([{ ip: '2001:db8:5::/48', until: null }, { ip: '2001:db8:5:1::/64', until: null }, { ip: '203.0.113.0/24', until: null }]);
  assert.deepEqual(await fw.commit(), { added: 3, removed: 0, failed: [] });
  await createNftablesBackend(fwOptions(net, memoryLogger().log, { hookChains: ['INPUT', 'DOCKER-USER'] })).init();
  const ruleset = net.exec(net.serverNs, 'nft', ['list', 'ruleset']);
  for (const r of ['ip6 saddr @net6_48 drop', 'ip6 saddr @net6_64 drop', 'ip saddr @net4_24 drop']) {
    assert.equal(ruleset.split(r).length - 1, 2, `${r} once in input and once in forward:\n${ruleset}`);
  }
  assert.deepEqual((await fw.list()).map((e) => e.ip).sort(), ['2001:db8:5:1::/64', '2001:db8:5::/48', '203.0.113.0/24']);
});
