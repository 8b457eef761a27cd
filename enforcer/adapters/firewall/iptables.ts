// The iptables backend (the Python original's design, for hosts without ipset): one `-s IP -j DROP` rule per banned
// address or network (`-s 2001:db8:1:2::/64`) in the dedicated chain `<NAME>-IP` (ip6tables for IPv6; its own chain, so it can run beside the ipset backend), batched through `iptables-restore --noflush`.
// The kernel has no timeouts here: the daemon unbans; each rule's comment keeps its planned end for list().
import {
  appliedCounts, applyBisecting, batchingMethods, runCommand, timeoutFor,
  type Change, type FirewallOptions,
} from './exec.js';
import { chainName, ensureChain, iptablesFor, removeChain } from './iptables-chain.js';
import type { BanEntry, CommitResult, FirewallBackend } from './port.js';
import { normaliseBanKey } from '../../net/cidr.js';

const BACKEND = 'iptables';

/** A change with the rule currently present for its address. */
type Work = Change & { present?: RuleLine };

/** One banned address's or network's rule as `iptables -S` prints it, keyed by its canonical ban key. */
export interface RuleLine { ip: string; until: number | null; spec: string }

/**
 * Parses `iptables -S <CHAIN>` into the per-IP DROP rules (`-A CHAIN -s IP/32 -m comment --comment "until=N" -j DROP`);
 * a network's rule (`-s 203.0.113.0/24`) gives its CIDR, an address's (`/32`, `/128`) the address.
 * @example parseChainRules('-A WARDEN -s 198.18.1.1/32 -m comment --comment "until=0" -j DROP', 'WARDEN')[0].ip === '198.18.1.1'
 */
export function parseChainRules(text: string, chain: string): RuleLine[] {
  const out: RuleLine[] = [];
  for (const line of text.split('\n')) {
    const m = /^-A (\S+) -s (\S+) .*-j DROP\s*$/.exec(line.trim());
    if (!m || m[1] !== chain) continue;
    const ip = normaliseBanKey(m[2]);
    if (!ip) continue;
    const u = /--comment "?until=(\d+)"?/.exec(line);
    const until = u ? Number(u[1]) : 0;
    out.push({ ip, until: until > 0 ? until : null, spec: line.trim().slice(3) });
  }
  return out;
}

/**
 * The iptables backend.
 * @example
 *   const fw = createIptablesBackend({ name: 'warden', hookChains: ['INPUT'], retries: 2, prefix: [], log });
 *   await fw.init(); fw.add([{ ip: '203.0.113.9', until: null }]); await fw.commit();
 */
export function createIptablesBackend(fw: FirewallOptions): FirewallBackend {
  const chain = `${chainName(fw.name)}-IP`;
  const current = async (family: 4 | 6) => parseChainRules(await runCommand(fw, BACKEND, iptablesFor(family), ['-w', '-S', chain]), chain);

  /** Restore lines for one family: delete the present rule of every touched address, then add the bans. */
  const restoreScript = (part: Work[], nowS: number): string => {
    let s = '*filter\n';
    for (const c of part) if (c.present) s += `-D ${c.present.spec}\n`;
    for (const c of part) {
      if (c.op !== 'add' || timeoutFor(c.until, nowS) === 0) continue;
      const until = c.until === null ? 0 : Math.ceil(c.until);
      s += `-A ${chain} -s ${c.ip} -m comment --comment "until=${until}" -j DROP\n`;
    }
    return s + 'COMMIT\n';
  };

  return {
    name: BACKEND,
    async init() {
      for (const family of [4, 6] as const) await ensureChain(fw, BACKEND, family, chain, []);
    },
    ...batchingMethods(fw, BACKEND, async (changes, now) => {
      const failed: CommitResult['failed'] = [];
      let added = 0;
      let removed = 0;
      for (const family of [4, 6] as const) {
        const mine = changes.filter((c) => c.family === family);
        if (!mine.length) continue;
        let present: Map<string, RuleLine>;
        try {
          present = new Map((await current(family)).map((r) => [r.ip, r]));
        } catch (err) {
          for (const c of mine) failed.push({ ip: c.ip, op: c.op, error: (err as Error).message });
          continue;
        }
        // -C before adding, for the whole batch at once: an unchanged rule is left alone, an absent one not deleted.
        const work = mine.flatMap((c): Work[] => {
          const p = present.get(c.ip);
          if (c.op === 'remove') return p ? [{ ...c, present: p }] : [];
          const left = timeoutFor(c.until, now);
          if (left === 0) return p ? [{ ...c, present: p }] : [];
          const until = c.until === null ? null : Math.ceil(c.until);
          if (p && p.until === until) return [];
          return [{ ...c, present: p }];
        });
        const bad = await applyBisecting(work, (part, first) =>
          runCommand(fw, BACKEND, `${iptablesFor(family)}-restore`, ['-w', '--noflush'], { input: restoreScript(part, now), retries: first ? fw.retries : 0 }));
        failed.push(...bad);
        const counts = appliedCounts(mine, bad, now);
        added += counts.added;
        removed += counts.removed;
      }
      return { added, removed, failed };
    }),
    async list() {
      const out: BanEntry[] = [];
      for (const family of [4, 6] as const) for (const r of await current(family)) out.push({ ip: r.ip, until: r.until });
      return out;
    },
    async shutdown() { /* bans stay in the kernel */ },
    async destroy() {
      for (const family of [4, 6] as const) await removeChain(fw, BACKEND, family, chain);
    },
  };
}
