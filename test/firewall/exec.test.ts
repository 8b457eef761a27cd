// The kernel backends' shared machinery: commands with retries and clear errors, the change queue, bisecting batches.
// Runs no firewall command at all, so it needs no netns: the "ipset" label runs `cat`/`sh`, and the one
// `ip6tables` call runs with PATH=/nonexistent to prove the "not found" error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  applyBisecting, CommandError, createChangeQueue, MAX_TIMEOUT_S, runCommand, timeoutFor, type FirewallOptions,
} from '../../enforcer/adapters/firewall/exec.js';
import { BackendUnavailableError } from '../../enforcer/adapters/firewall/port.js';
import { memoryLogger } from './helpers.js';

const fw = (over: Partial<FirewallOptions> = {}): FirewallOptions =>
  ({ name: 'wdt', hookChains: ['INPUT'], retries: 2, prefix: [], log: memoryLogger().log, ...over });

test('runCommand returns stdout, passes stdin, and throws CommandError with the command and stderr', async () => {
  assert.equal(await runCommand(fw(), 'ipset', 'cat', [], { input: 'add x 1.2.3.4\n' }), 'add x 1.2.3.4\n');
  await assert.rejects(runCommand(fw({ retries: 0 }), 'ipset', 'sh', ['-c', 'echo boom >&2; exit 3']), (err: Error) => {
    assert.ok(err instanceof CommandError);
    assert.equal(err.status, 3);
    assert.match(err.message, /^`sh -c echo boom >&2; exit 3` failed \(exit 3\): boom$/);
    return true;
  });
});

test('runCommand retries a failing command fw.retries times', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wd-exec-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // Fails twice, then succeeds: a counter file inside a temp dir.
  const script = `n=$(cat ${dir}/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${dir}/n; [ $n -ge 3 ] && echo ok || exit 1`;
  assert.equal(await runCommand(fw({ retries: 2 }), 'ipset', 'sh', ['-c', script]), 'ok\n');
  await assert.rejects(runCommand(fw({ retries: 1 }), 'ipset', 'sh', ['-c', 'exit 1']), CommandError);
});

test('a missing binary or a refused permission is a BackendUnavailableError naming the backend and the fix', async () => {
  await assert.rejects(runCommand(fw(), 'ipset', 'ipset-not-installed-here', []),
    (err: Error) => err instanceof BackendUnavailableError && /backend `ipset`: `ipset-not-installed-here` not found: apt-get install/.test(err.message));
  await assert.rejects(runCommand(fw({ prefix: ['env', 'PATH=/nonexistent'] }), 'iptables', 'ip6tables', ['-S']),
    (err: Error) => err instanceof BackendUnavailableError && err.message === 'backend `iptables`: `ip6tables` not found: apt-get install iptables');
  await assert.rejects(runCommand(fw(), 'nftables', 'sh', ['-c', 'echo "Error: Operation not permitted" >&2; exit 1']),
    (err: Error) => err instanceof BackendUnavailableError && /needs root or CAP_NET_ADMIN/.test(err.message) && err.cause instanceof CommandError);
});

test('timeoutFor: seconds left, null for permanent or beyond the kernel maximum, 0 when over', () => {
  assert.equal(timeoutFor(1000, 400), 600);
  assert.equal(timeoutFor(1000, 999.5), 1);
  assert.equal(timeoutFor(null, 400), null);
  assert.equal(timeoutFor(300, 400), 0);
  assert.equal(timeoutFor(400 + MAX_TIMEOUT_S + 1, 400), null);
});

test('the change queue normalises addresses, keeps the last change per IP and reports invalid ones', () => {
  const q = createChangeQueue();
  q.add([{ ip: '198.18.1.1', until: 10 }, { ip: '2001:DB8:0::1', until: null }, { ip: '10.0.0.300', until: null }]);
  q.remove(['198.18.1.1', '::ffff:198.18.1.2']);
  q.add([{ ip: '198.18.1.1', until: 20 }]);
  const { changes, invalid } = q.take();
  assert.deepEqual(changes, [
    { ip: '2001:db8::1', family: 6, op: 'add', until: null },
    { ip: '198.18.1.2', family: 4, op: 'remove' },
    { ip: '198.18.1.1', family: 4, op: 'add', until: 20 },
  ]);
  assert.deepEqual(invalid, [{ ip: '10.0.0.300', op: 'add', error: 'not an IP address or CIDR' }]);
  assert.deepEqual(q.take(), { changes: [], invalid: [] });
});

test('applyBisecting finds the failing entries of a batch and applies the rest', async () => {
  const applied: string[] = [];
  const items = Array.from({ length: 64 }, (_, i) => ({ ip: `198.18.0.${i}`, op: 'add' as const }));
  let calls = 0;
  const failed = await applyBisecting(items, async (part) => {
    calls++;
    if (part.some((p) => p.ip === '198.18.0.5' || p.ip === '198.18.0.40')) throw new Error('bad element');
    applied.push(...part.map((p) => p.ip));
  });
  assert.deepEqual(failed.map((f) => f.ip), ['198.18.0.5', '198.18.0.40']);
  assert.equal(applied.length, 62);
  assert.ok(calls <= 25, `${calls} batches`);
  const none = await applyBisecting(items, async () => { throw new BackendUnavailableError('ipset', 'gone'); });
  assert.equal(none.length, 64, 'an unavailable backend fails everything at once, without splitting');
});
