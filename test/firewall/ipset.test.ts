// The ipset backend against real ipset + iptables inside test namespaces, checked with real TCP connections.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createIpsetBackend } from '../../enforcer/adapters/firewall/ipset.js';
import { BackendUnavailableError } from '../../enforcer/adapters/firewall/port.js';
import { netnsSkipReason } from '../harness/netns.js';
import { needCommands } from '../harness/tools.js';
import { canConnect, fwOptions, memoryLogger, servedNetwork } from './helpers.js';
import { timeoutAndBulkTests } from './timeout-and-bulk.js';
import { prefixBanTests } from './prefix-bans.js';
import { createLogger } from '../../enforcer/adapters/logger.js';

const commands = ['ipset', 'iptables', 'ip6tables', 'curl'];
const skip = netnsSkipReason() || needCommands(...commands);
const now = () => Math.floor(Date.now() / 1000);

test('ipset: a banned client (IPv4 and IPv6) cannot connect, another can; unban restores it; init and add are idempotent', { skip }, async (t) => {
  const s = await servedNetwork(2);
  t.after(s.close);
  const { net } = s;
  const { log, lines } = memoryLogger();
  const fw = createIpsetBackend(fwOptions(net, log, { hookChains: ['INPUT', 'DOCKER-USER'] }));
  await fw.init();
  await fw.init(); // a restart: nothing duplicated
  assert.ok(lines.some((l) => /DOCKER-USER does not exist/.test(l)), 'absent hook chain is a warning');
  for (const bin of ['iptables', 'ip6tables']) {
    const input = net.exec(net.serverNs, bin, ['-S', 'INPUT']);
    assert.equal(input.split('\n').filter((l) => l === '-A INPUT -j WDT').length, 1, `${bin}: one jump rule`);
    assert.equal(net.exec(net.serverNs, bin, ['-S', 'WDT']).split('\n').filter((l) => l.includes('--match-set')).length, 1);
  }
  for (const f of [4, 6] as const) assert.ok(canConnect(net, 0, f) && canConnect(net, 1, f), `IPv${f} reachable before the ban`);

  const [c0] = net.clients;
  const banUntil = now() + 600;
  fw.add([{ ip: c0.v4, until: banUntil }, { ip: c0.v6, until: null }]);
  fw.add([{ ip: c0.v4, until: banUntil }]); // same ban twice
  fw.remove(['198.18.200.200']); // absent: not an error
  const r = await fw.commit();
  assert.deepEqual(r, { added: 2, removed: 1, failed: [] });
  const saved = net.exec(net.serverNs, 'ipset', ['list', 'wdt4']) + net.exec(net.serverNs, 'ipset', ['list', 'wdt6']);
  assert.match(saved, new RegExp(`${c0.v4.replace(/\./g, '\\.')} timeout \\d+`));
  assert.match(saved, new RegExp(`${c0.v6} timeout 0`));
  for (const f of [4, 6] as const) {
    assert.equal(canConnect(net, 0, f), false, `banned client 0 blocked over IPv${f}`);
    assert.equal(canConnect(net, 1, f), true, `client 1 still served over IPv${f}`);
  }

  const listed = await fw.list();
  assert.equal(listed.length, 2);
  const v4 = listed.find((e) => e.ip === c0.v4);
  assert.ok(v4 && v4.until !== null && Math.abs(v4.until - banUntil) <= 1, `until round trip: ${JSON.stringify(v4)} vs ${banUntil}`);
  assert.deepEqual(listed.find((e) => e.ip === c0.v6), { ip: c0.v6, until: null });

  // Re-adding updates the timeout; an invalid address fails alone; an expired ban is skipped.
  fw.add([{ ip: c0.v4, until: now() + 60 }, { ip: 'not-an-ip', until: null }, { ip: '198.18.9.9', until: now() - 5 }]);
  const r2 = await fw.commit();
  assert.equal(r2.added, 1);
  assert.deepEqual(r2.failed.map((f) => f.ip), ['not-an-ip']);
  const again = (await fw.list()).find((e) => e.ip === c0.v4);
  assert.ok(again && again.until !== null && again.until <= now() + 61, 'timeout updated on re-add');

  fw.remove([c0.v4, c0.v6]);
  assert.deepEqual(await fw.commit(), { added: 0, removed: 2, failed: [] });
  for (const f of [4, 6] as const) assert.ok(canConnect(net, 0, f), `client 0 served again over IPv${f}`);

  await fw.shutdown();
  await fw.destroy();
  assert.equal(net.tryExec(net.serverNs, 'ipset', ['list', 'wdt4']).status !== 0, true, 'sets gone');
  assert.ok(!net.exec(net.serverNs, 'iptables', ['-S', 'INPUT']).includes('WDT'), 'jump gone');
});

timeoutAndBulkTests('ipset', createIpsetBackend, 4, commands);

test('ipset: a missing binary is a clear BackendUnavailableError; commit reports failures without throwing', async () => {
  const fw = createIpsetBackend({ name: 'wdt', hookChains: ['INPUT'], retries: 0, prefix: ['env', 'PATH=/nonexistent'], log: memoryLogger().log });
  await assert.rejects(fw.init(), (err: Error) => {
    assert.ok(err instanceof BackendUnavailableError);
    assert.equal(err.message, 'backend `ipset`: `ipset` not found: apt-get install ipset');
    return true;
  });
  fw.add([{ ip: '198.18.1.1', until: null }]);
  const r = await fw.commit();
  assert.equal(r.failed.length, 1);
  assert.match(r.failed[0].error, /not found/);
});

prefixBanTests('ipset', createIpsetBackend, commands);

test('ipset: an older version\'s hash:ip sets are upgraded to hash:net at init, keeping every ban and its time left', { skip }, async (t) => {
  const s = await servedNetwork(2);
  t.after(s.close);
  const { net } = s;
  const [c0, c1] = net.clients;
  // What the previous version left: hash:ip sets with bans (one timed, one permanent) hooked into WDT.
  const ns = (cmd: string, args: string[], input?: string) => net.exec(net.serverNs, cmd, args, input);
  for (const [f, inet, bin] of [[4, 'inet', 'iptables'], [6, 'inet6', 'ip6tables']] as const) {
    ns('ipset', ['create', `wdt${f}`, 'hash:ip', 'family', inet, 'hashsize', '4096', 'maxelem', '1048576', 'timeout', '0']);
    ns(bin, ['-N', 'WDT']);
    ns(bin, ['-A', 'WDT', '-m', 'set', '--match-set', `wdt${f}`, 'src', '-j', 'DROP']);
    ns(bin, ['-I', 'INPUT', '1', '-j', 'WDT']);
  }
  ns('ipset', ['restore'], `add wdt4 ${c0.v4} timeout 600\nadd wdt6 ${c0.v6} timeout 0\n`);
  for (const f of [4, 6] as const) assert.equal(canConnect(net, 0, f), false, `IPv${f} banned before the upgrade`);

  const { log, lines } = createLoggerLines();
  const fw = createIpsetBackend(fwOptions(net, log));
  await fw.init();
  for (const f of [4, 6] as const) {
    assert.match(ns('ipset', ['-t', 'list', `wdt${f}`]), /Type: hash:net/);
    assert.equal(net.tryExec(net.serverNs, 'ipset', ['list', `wdt${f}-up`]).status !== 0, true, 'temporary set gone');
    const rules = ns(f === 4 ? 'iptables' : 'ip6tables', ['-S', 'WDT']).split('\n').filter((l) => l.includes('--match-set'));
    assert.deepEqual(rules, [`-A WDT -m set --match-set wdt${f} src -j DROP`]);
    assert.equal(canConnect(net, 0, f), false, `IPv${f} still banned after the upgrade`);
    assert.equal(canConnect(net, 1, f), true, `IPv${f} client 1 served`);
  }
  const listed = await fw.list();
  assert.deepEqual(listed.map((e) => e.ip).sort(), [c0.v4, c0.v6].sort());
  const v4 = listed.find((e) => e.ip === c0.v4)!;
  assert.ok(v4.until !== null && v4.until - now() > 590 && v4.until - now() <= 600, `time left kept: ${JSON.stringify(v4)}`);
  assert.equal(listed.find((e) => e.ip === c0.v6)?.until, null);
  assert.ok(lines.some((l) => /upgraded set wdt4 from hash:ip to hash:net .*1 ban\(s\) kept/.test(l)), lines.join('\n'));

  // The upgraded set takes a prefix ban of client 1's /64; a second init changes nothing.
  fw.add([{ ip: `${c1.v6.split('::')[0]}::/64`, until: null }]);
  assert.equal((await fw.commit()).added, 1);
  await fw.init();
  assert.equal((await fw.list()).length, 3);
  assert.equal(canConnect(net, 1, 6), false, 'client 1 dropped by the /64 ban');
  await fw.destroy();
});

/** A logger at info level that keeps its lines. */
function createLoggerLines(): { log: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger('info', (l) => lines.push(l)), lines };
}
