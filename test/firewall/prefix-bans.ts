// Tests every kernel backend (ipset, nftables, iptables) must pass, registered once per backend: a ban of an IPv4 /24
// and of an IPv6 /64 drops every address inside it and no address outside, beside address bans, and unban restores it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FirewallOptions } from '../../enforcer/adapters/firewall/exec.js';
import type { FirewallBackend } from '../../enforcer/adapters/firewall/port.js';
import { netnsSkipReason } from '../harness/netns.js';
import { needCommands } from '../harness/tools.js';
import { addPrefixAddresses, canConnect, canConnectFrom, fwOptions, memoryLogger, PREFIX_ADDRS, servedNetwork } from './helpers.js';

const now = () => Math.floor(Date.now() / 1000);

/**
 * Registers the prefix-ban test for a backend; it skips by name, with the install command, when `commands` (the
 * backend's tools and curl) are missing.
 * @example prefixBanTests('ipset', createIpsetBackend, ['ipset', 'iptables', 'ip6tables', 'curl']);
 */
export function prefixBanTests(label: string, create: (fw: FirewallOptions) => FirewallBackend, commands: string[]): void {
  const skip = netnsSkipReason() || needCommands(...commands);

  test(`${label}: a /24 and a /64 ban drop every address inside (real packets), none outside; unban restores them`, { skip }, async (t) => {
    const s = await servedNetwork(2);
    t.after(s.close);
    const { net } = s;
    await addPrefixAddresses(net);
    const { log, lines } = memoryLogger();
    const fw = create(fwOptions(net, log));
    await fw.init();
    const { c0, c1, v4Banned, v6Banned } = PREFIX_ADDRS;

    // Non-canonical input (host bits set, upper case) is canonicalised; an address ban of client 0's first IPv4 sits beside.
    fw.add([{ ip: '198.18.10.77/24', until: now() + 600 }, { ip: '2001:DB8:77:A::1/64', until: null }, { ip: net.clients[0].v4, until: null }]);
    assert.deepEqual(await fw.commit(), { added: 3, removed: 0, failed: [] });
    assert.deepEqual(lines, []);
    const listed = await fw.list();
    assert.deepEqual(listed.map((e) => e.ip).sort(), [net.clients[0].v4, v4Banned, v6Banned].sort());
    const v4 = listed.find((e) => e.ip === v4Banned);
    assert.ok(v4 && v4.until !== null && Math.abs(v4.until - (now() + 600)) <= 2, JSON.stringify(v4));
    assert.equal(listed.find((e) => e.ip === v6Banned)?.until, null);

    for (const a of [c0.v4, c0.v6]) assert.equal(canConnectFrom(net, 0, a), false, `${a} (inside) dropped`);
    for (const a of [c1.v4, c1.v6]) assert.equal(canConnectFrom(net, 1, a), false, `${a} (another address inside) dropped`);
    for (const a of [c1.v4Other, c1.v6Other]) assert.equal(canConnectFrom(net, 1, a), true, `${a} (the next prefix) served`);
    assert.equal(canConnect(net, 0, 4), false, 'the address ban holds');
    assert.equal(canConnect(net, 1, 6), true, 'client 1 first IPv6 address (another /64) served');

    // A narrower network and an address inside a banned one are separate bans: lifting the wide one leaves them.
    fw.add([{ ip: '2001:db8:77:a:ffff::/80', until: null }, { ip: c0.v4, until: null }]);
    assert.deepEqual(await fw.commit(), { added: 2, removed: 0, failed: [] });
    fw.remove([v4Banned, v6Banned]);
    assert.deepEqual(await fw.commit(), { added: 0, removed: 2, failed: [] });
    assert.equal(canConnectFrom(net, 0, c0.v4), false, 'the address ban inside the lifted /24 holds');
    assert.equal(canConnectFrom(net, 1, c1.v4), true, 'the rest of the /24 is served again');
    assert.equal(canConnectFrom(net, 0, c0.v6), true, 'outside the /80: served again');
    assert.equal(canConnectFrom(net, 1, c1.v6), false, 'inside the /80: still dropped');

    fw.remove(['2001:db8:77:a:ffff::/80', c0.v4, net.clients[0].v4, '203.0.113.0/24']); // the last one absent: not an error
    assert.deepEqual(await fw.commit(), { added: 0, removed: 4, failed: [] });
    for (const [i, a] of [[0, c0.v4], [0, c0.v6], [1, c1.v4], [1, c1.v6]] as const) assert.equal(canConnectFrom(net, i, a), true, `${a} served after unban`);
    assert.deepEqual(await fw.list(), []);
    await fw.init(); // a restart with network sets present: nothing duplicated, nothing lost
    fw.add([{ ip: v6Banned, until: null }]);
    await fw.commit();
    await fw.init();
    assert.equal(canConnectFrom(net, 1, c1.v6), false, 'still dropped after a restart');
    assert.deepEqual((await fw.list()).map((e) => e.ip), [v6Banned]);
    await fw.destroy();
    assert.equal(canConnectFrom(net, 1, c1.v6), true, 'served after destroy');
  });
}
