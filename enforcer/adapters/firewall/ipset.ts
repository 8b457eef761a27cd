// The ipset backend: hash:net sets `<name>4`/`<name>6` (addresses and networks such as 2001:db8:1:2::/64, overlapping
// ones too) with per-entry timeouts, dropped by one rule each in the dedicated iptables/ip6tables chain `<NAME>`, which
// INPUT (and other hook chains) jump to. Batches via `ipset restore`. A hash:ip set left by an earlier version is
// upgraded in place at init without losing a ban or leaving a moment unprotected (see upgradeSet).
import {
  appliedCounts, applyBisecting, batchingMethods, nowSeconds, runCommand, timeoutFor, tryCommand,
  type Change, type FirewallOptions,
} from './exec.js';
import { chainName, ensureChain, removeChain } from './iptables-chain.js';
import type { BanEntry, FirewallBackend } from './port.js';
import { normaliseBanKey } from '../../net/cidr.js';

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
    out.push({ ip: normaliseBanKey(f[2]) ?? f[2], until: secs > 0 ? Math.floor(nowS) + secs : null });
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
  // `timeout 0` at create: entries may carry their own timeout; `timeout 0` on an entry = permanent.
  const create = (set: string, family: 4 | 6) => ipset(['create', set, 'hash:net', 'family', family === 4 ? 'inet' : 'inet6',
    'hashsize', '4096', 'maxelem', '1048576', 'timeout', '0', '-exist']);
  const dropRule = (set: string) => ['-m', 'set', '--match-set', set, 'src', '-j', 'DROP'];
  const bin = (family: 4 | 6) => (family === 4 ? 'iptables' : 'ip6tables');
  /** Copies every entry of `from` (with its time left) into `to`; returns how many. */
  const copy = async (from: string, to: string): Promise<number> => {
    const lines = (await ipset(['save', from])).split('\n').filter((l) => l.startsWith(`add ${from} `));
    if (lines.length) await ipset(['restore', '-exist'], lines.map((l) => `add ${to} ${l.slice(5 + from.length)}\n`).join(''));
    return lines.length;
  };
  /** Removes the drop rule of `set` from the chain (every copy) and destroys the set. */
  const retire = async (family: 4 | 6, set: string) => {
    for (let i = 0; i < 10 && (await tryCommand(fw, BACKEND, bin(family), ['-w', '-D', chain, ...dropRule(set)])).ok; i++) { /* next copy */ }
    await ipset(['destroy', set]);
  };
  /** The type of an existing set (`hash:ip`), or null when there is none. */
  const typeOf = async (set: string): Promise<string | null> => {
    const r = await tryCommand(fw, BACKEND, 'ipset', ['-t', 'list', set]);
    return r.ok ? (/^Type:\s*(\S+)/m.exec(r.stdout)?.[1] ?? null) : null;
  };
  /**
   * Turns an older version's hash:ip set into hash:net under the same name: its bans are copied into a temporary
   * hash:net set whose drop rule goes in first, then the old set is replaced and the bans copied back (init then
   * hooks the new set and retires the temporary one). The chain drops the banned sources at every step.
   */
  const upgradeSet = async (family: 4 | 6, set: string, type: string) => {
    const tmp = `${set}-up`;
    await create(tmp, family);
    const n = await copy(set, tmp);
    const chainExists = (await tryCommand(fw, BACKEND, bin(family), ['-w', '-S', chain])).ok;
    if (chainExists && !(await tryCommand(fw, BACKEND, bin(family), ['-w', '-C', chain, ...dropRule(tmp)])).ok) {
      await runCommand(fw, BACKEND, bin(family), ['-w', '-I', chain, '1', ...dropRule(tmp)]);
    }
    await retire(family, set);
    await create(set, family);
    await copy(tmp, set);
    fw.log.info(`backend ${BACKEND}: upgraded set ${set} from ${type} to hash:net (for prefix bans), ${n} ban(s) kept`);
  };

  return {
    name: BACKEND,
    async init() {
      for (const family of [4, 6] as const) {
        const set = sets[family];
        const type = await typeOf(set);
        if (type !== null && type !== 'hash:net') await upgradeSet(family, set, type);
        else await create(set, family);
        await ensureChain(fw, BACKEND, family, chain, [dropRule(set)]);
        // The temporary set of an upgrade (this one, or one interrupted earlier): its bans are in `set` now.
        if ((await typeOf(`${set}-up`)) !== null) {
          await copy(`${set}-up`, set);
          await retire(family, `${set}-up`);
        }
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
        out.push(...parseIpsetSave(await ipset(['save', sets[family]]), new Set([sets[family]]), now));
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
