// The ipset backend: hash:ip sets `<name>4`/`<name>6` with per-entry timeouts, dropped by one rule each in the
// dedicated iptables/ip6tables chain `<NAME>`, which INPUT (and other hook chains) jump to. Batches via `ipset restore`.
import {
  appliedCounts, applyBisecting, batchingMethods, nowSeconds, runCommand, timeoutFor, tryCommand,
  type Change, type FirewallOptions,
} from './exec.js';
import { chainName, ensureChain, removeChain } from './iptables-chain.js';
import type { BanEntry, FirewallBackend } from './port.js';
import { pushAll } from '../../core/arrays.js';

const BACKEND = 'ipset';

/** Names of the two sets for a base name. */
export function ipsetNames(name: string): { 4: string; 6: string } {
  return { 4: `${name}4`, 6: `${name}6` };
}

/**
 * Parses `ipset save` output into entries of the given sets (`timeout N` -> until = now + N; `timeout 0` -> null).
 * @example parseIpsetSave('add warden4 198.18.1.1 timeout 60\n', new Set(['warden4']), 1000) // [{ ip: '198.18.1.1', until: 1060 }]
 */
export function parseIpsetSave(text: string, sets: Set<string>, nowS: number): BanEntry[] {
  const out: BanEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] !== 'add' || !sets.has(f[1]) || !f[2]) continue;
    const t = f.indexOf('timeout');
    const secs = t > 0 ? Number(f[t + 1]) : 0;
    out.push({ ip: f[2], until: secs > 0 ? Math.floor(nowS) + secs : null });
  }
  return out;
}

/**
 * The `ipset restore` lines for a batch of changes; adds already expired are left out (and counted as skipped).
 * @example restoreLines([{ ip: '198.18.1.1', family: 4, op: 'add', until: null }], { 4: 'w4', 6: 'w6' }, 0) // 'add w4 198.18.1.1 timeout 0\n'
 */
export function restoreLines(changes: Change[], sets: { 4: string; 6: string }, nowS: number): string {
  let s = '';
  for (const c of changes) {
    if (c.op === 'remove') {
      s += `del ${sets[c.family]} ${c.ip}\n`;
      continue;
    }
    const t = timeoutFor(c.until, nowS);
    if (t === 0) continue;
    s += `add ${sets[c.family]} ${c.ip} timeout ${t ?? 0}\n`;
  }
  return s;
}

/**
 * The ipset backend.
 * @example
 *   const fw = createIpsetBackend({ name: 'warden', hookChains: ['INPUT'], retries: 2, prefix: [], log });
 *   await fw.init(); fw.add([{ ip: '203.0.113.9', until: null }]); await fw.commit();
 */
export function createIpsetBackend(fw: FirewallOptions): FirewallBackend {
  const sets = ipsetNames(fw.name);
  const chain = chainName(fw.name);
  const ipset = (args: string[], input?: string) => runCommand(fw, BACKEND, 'ipset', args, { input });

  return {
    name: BACKEND,
    async init() {
      for (const family of [4, 6] as const) {
        // `timeout 0` at create: entries may carry their own timeout; `timeout 0` on an entry = permanent.
        await ipset(['create', sets[family], 'hash:ip', 'family', family === 4 ? 'inet' : 'inet6',
          'hashsize', '4096', 'maxelem', '1048576', 'timeout', '0', '-exist']);
        await ensureChain(fw, BACKEND, family, chain, [['-m', 'set', '--match-set', sets[family], 'src', '-j', 'DROP']]);
      }
    },
    ...batchingMethods(fw, BACKEND, async (changes, now) => {
      const live = changes.filter((c) => c.op === 'remove' || timeoutFor(c.until, now) !== 0);
      // First attempt with fw.retries; the halves of a failed batch are tried once each.
      const failed = await applyBisecting(live, (part, first) =>
        runCommand(fw, BACKEND, 'ipset', ['restore', '-exist'], { input: restoreLines(part, sets, now), retries: first ? fw.retries : 0 }));
      return { ...appliedCounts(live, failed, now), failed };
    }),
    async list() {
      const now = nowSeconds(fw);
      const out: BanEntry[] = [];
      for (const family of [4, 6] as const) {
        pushAll(out, parseIpsetSave(await ipset(['save', sets[family]]), new Set([sets[family]]), now));
      }
      return out;
    },
    async shutdown() { /* bans stay in the kernel */ },
    async destroy() {
      for (const family of [4, 6] as const) {
        await removeChain(fw, BACKEND, family, chain);
        await tryCommand(fw, BACKEND, 'ipset', ['destroy', sets[family]]);
      }
    },
  };
}
