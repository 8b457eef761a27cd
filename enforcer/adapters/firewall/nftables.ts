// The nftables backend: `table inet <name>` with timeout sets ban4/ban6 and a base chain on the input hook (and one on
// the forward hook when hookChains names DOCKER-USER or FORWARD) dropping their sources. Batches via `nft -f -`.
import {
  appliedCounts, applyBisecting, batchingMethods, nowSeconds, runCommand, timeoutFor, tryCommand,
  type Change, type FirewallOptions,
} from './exec.js';
import type { BanEntry, FirewallBackend } from './port.js';
import { pushAll } from '../../core/arrays.js';

const BACKEND = 'nftables';

/**
 * The `nft -f` script creating (or refreshing after a restart) the table, sets and chains. Set contents are untouched:
 * `add` of an existing table/set/chain is a no-op, and only the chains are flushed and refilled.
 * @example nftInitScript('warden', true) // 'add table inet warden\n...'
 */
export function nftInitScript(name: string, forward: boolean): string {
  const t = `inet ${name}`;
  const lines = [
    `add table ${t}`,
    `add set ${t} ban4 { type ipv4_addr; flags timeout; size 1048576; }`,
    `add set ${t} ban6 { type ipv6_addr; flags timeout; size 1048576; }`,
  ];
  for (const [chain, hook] of [['input', 'input'], ['forward', 'forward']] as const) {
    lines.push(`add chain ${t} ${chain} { type filter hook ${hook} priority -10; policy accept; }`, `flush chain ${t} ${chain}`);
    if (chain === 'forward' && !forward) {
      lines.push(`delete chain ${t} ${chain}`); // added just above, so deleting never fails
      continue;
    }
    lines.push(`add rule ${t} ${chain} ip saddr @ban4 drop`, `add rule ${t} ${chain} ip6 saddr @ban6 drop`);
  }
  return lines.join('\n') + '\n';
}

/**
 * The `nft -f` batch for a list of changes. Each touched element is first added without timeout and deleted, so the
 * delete never fails on an absent element and a re-added ban gets its new timeout; then the bans are added.
 * Adds already expired become removals.
 * @example nftCommitScript('warden', [{ ip: '198.18.1.1', family: 4, op: 'add', until: null }], 0)
 */
export function nftCommitScript(name: string, changes: Change[], nowS: number): string {
  const t = `inet ${name}`;
  const touched: Record<4 | 6, string[]> = { 4: [], 6: [] };
  const adds: Record<4 | 6, string[]> = { 4: [], 6: [] };
  for (const c of changes) {
    touched[c.family].push(c.ip);
    if (c.op !== 'add') continue;
    const left = timeoutFor(c.until, nowS);
    if (left !== 0) adds[c.family].push(left === null ? c.ip : `${c.ip} timeout ${left}s`);
  }
  let s = '';
  for (const family of [4, 6] as const) {
    const set = `${t} ban${family}`;
    if (touched[family].length) {
      const list = touched[family].join(', ');
      s += `add element ${set} { ${list} }\ndelete element ${set} { ${list} }\n`;
    }
    if (adds[family].length) s += `add element ${set} { ${adds[family].join(', ')} }\n`;
  }
  return s;
}

interface NftSetJson { nftables?: Array<{ set?: { elem?: Array<string | { elem?: { val?: string; timeout?: number; expires?: number } }> } }> }

/**
 * Parses `nft -j list set` output (permanent element: a string; timed one: `{ elem: { val, timeout, expires } }`).
 * @example parseNftSetJson('{"nftables":[{"set":{"elem":["198.18.1.1"]}}]}', 0) // [{ ip: '198.18.1.1', until: null }]
 */
export function parseNftSetJson(text: string, nowS: number): BanEntry[] {
  const out: BanEntry[] = [];
  const doc = JSON.parse(text) as NftSetJson;
  for (const item of doc.nftables ?? []) {
    for (const e of item.set?.elem ?? []) {
      if (typeof e === 'string') out.push({ ip: e, until: null });
      else if (e.elem?.val) out.push({ ip: e.elem.val, until: e.elem.expires !== undefined ? Math.floor(nowS) + e.elem.expires : null });
    }
  }
  return out;
}

/**
 * The nftables backend.
 * @example
 *   const fw = createNftablesBackend({ name: 'warden', hookChains: ['INPUT'], retries: 2, prefix: [], log });
 *   await fw.init(); fw.add([{ ip: '2001:db8::9', until: now + 600 }]); await fw.commit();
 */
export function createNftablesBackend(fw: FirewallOptions): FirewallBackend {
  const forward = fw.hookChains.some((c) => c === 'DOCKER-USER' || c === 'FORWARD');
  const nft = (args: string[], input?: string, retries?: number) => runCommand(fw, BACKEND, 'nft', args, { input, retries });

  return {
    name: BACKEND,
    async init() {
      await nft(['-f', '-'], nftInitScript(fw.name, forward));
    },
    ...batchingMethods(fw, BACKEND, async (changes, now) => {
      const failed = await applyBisecting(changes, (part, first) =>
        nft(['-f', '-'], nftCommitScript(fw.name, part, now), first ? fw.retries : 0));
      return { ...appliedCounts(changes, failed, now), failed };
    }),
    async list() {
      const now = nowSeconds(fw);
      const out: BanEntry[] = [];
      for (const set of ['ban4', 'ban6']) pushAll(out, parseNftSetJson(await nft(['-j', 'list', 'set', 'inet', fw.name, set]), now));
      return out;
    },
    async shutdown() { /* bans stay in the kernel */ },
    async destroy() {
      await tryCommand(fw, BACKEND, 'nft', ['delete', 'table', 'inet', fw.name]);
    },
  };
}
