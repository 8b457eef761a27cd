// The nftables backend: `table inet <name>` with timeout sets ban4/ban6 for addresses, one interval set per network
// prefix length for prefix bans (`net6_64`, `net4_24`: made when first needed), and a base chain on the input hook
// (and one on the forward hook when hookChains names DOCKER-USER or FORWARD) dropping their sources. Batches via `nft -f -`.
// One interval set per length because nft refuses overlapping intervals in one set, and networks of one length never
// overlap: a /48 ban and a /64 ban inside it are both kept (and lifted) on their own.
import {
  appliedCounts, applyBisecting, batchingMethods, nowSeconds, runCommand, timeoutFor, tryCommand,
  type Change, type FirewallOptions,
} from './exec.js';
import type { BanEntry, FirewallBackend } from './port.js';
import { normaliseBanKey } from '../../net/cidr.js';

const BACKEND = 'nftables';

/**
 * The `nft -f` script creating (or refreshing after a restart) the table, sets and chains. Set contents are untouched:
 * `add` of an existing table/set/chain is a no-op, and only the chains are flushed and refilled.
 * @example nftInitScript('warden', true) // 'add table inet warden\n...'
 */
export function nftInitScript(name: string, forward: boolean, netSets: string[] = []): string {
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
    for (const set of netSets) lines.push(netRule(t, chain, set));
  }
  return lines.join('\n') + '\n';
}

/** The interval set holding networks of one family and prefix length: `net6_64`, `net4_24`. */
export function netSetName(family: 4 | 6, prefix: number): string {
  return `net${family}_${prefix}`;
}

/** The drop rule of a network set in one chain. */
function netRule(t: string, chain: string, set: string): string {
  return `add rule ${t} ${chain} ${set.startsWith('net4') ? 'ip' : 'ip6'} saddr @${set} drop`;
}

/** The lines creating a network set and its drop rules (in `input`, and `forward` when used). */
function netSetLines(t: string, set: string, forward: boolean): string[] {
  const type = set.startsWith('net4') ? 'ipv4_addr' : 'ipv6_addr';
  const lines = [`add set ${t} ${set} { type ${type}; flags interval, timeout; size 1048576; }`, netRule(t, 'input', set)];
  if (forward) lines.push(netRule(t, 'forward', set));
  return lines;
}

/**
 * The `nft -f` batch for a list of changes. Each touched element is first added without timeout and deleted, so the
 * delete never fails on an absent element and a re-added ban gets its new timeout; then the bans are added.
 * Adds already expired become removals. Addresses go to ban4/ban6, networks to their length's interval set; a set
 * not in `known` is created first with its drop rules (the caller adds it to `known` once the batch succeeded).
 * @example nftCommitScript('warden', [{ ip: '198.18.1.1', family: 4, op: 'add', until: null }], 0)
 */
export function nftCommitScript(name: string, changes: Change[], nowS: number,
  opts: { known?: ReadonlySet<string>; forward?: boolean; created?: Set<string> } = {}): string {
  const t = `inet ${name}`;
  const touched = new Map<string, string[]>();
  const adds = new Map<string, string[]>();
  const push = (m: Map<string, string[]>, k: string, v: string) => {
    const list = m.get(k);
    if (list) list.push(v);
    else m.set(k, [v]);
  };
  for (const c of changes) {
    const slash = c.ip.indexOf('/');
    const set = slash < 0 ? `ban${c.family}` : netSetName(c.family, Number(c.ip.slice(slash + 1)));
    push(touched, set, c.ip);
    if (c.op !== 'add') continue;
    const left = timeoutFor(c.until, nowS);
    if (left !== 0) push(adds, set, left === null ? c.ip : `${c.ip} timeout ${left}s`);
  }
  let s = '';
  const sets = [...touched.keys()].sort((a, b) => (a.startsWith('ban') === b.startsWith('ban') ? (a < b ? -1 : a > b ? 1 : 0) : a.startsWith('ban') ? -1 : 1));
  for (const set of sets) {
    if (!set.startsWith('ban') && !opts.known?.has(set)) {
      s += netSetLines(t, set, opts.forward ?? false).join('\n') + '\n';
      opts.created?.add(set);
    }
    const list = touched.get(set)!.join(', ');
    s += `add element ${t} ${set} { ${list} }\ndelete element ${t} ${set} { ${list} }\n`;
    const a = adds.get(set);
    if (a) s += `add element ${t} ${set} { ${a.join(', ')} }\n`;
  }
  return s;
}

/** An element value as `nft -j` prints it: an address, or a network `{ prefix: { addr, len } }`. */
type NftVal = string | { prefix?: { addr?: string; len?: number } };
interface NftSetJson {
  nftables?: Array<{ set?: { name?: string; elem?: Array<NftVal | { elem?: { val?: NftVal; timeout?: number; expires?: number } }> } }>;
}

/** The canonical address or CIDR of an element value, or null for anything else (a range). */
function valText(v: NftVal | undefined): string | null {
  if (typeof v === 'string') return normaliseBanKey(v) ?? v;
  if (v && typeof v === 'object' && v.prefix?.addr !== undefined && v.prefix.len !== undefined) {
    const cidr = `${v.prefix.addr}/${v.prefix.len}`;
    return normaliseBanKey(cidr) ?? cidr;
  }
  return null;
}

/**
 * Parses `nft -j list set` (or `list table`) output: permanent element: an address or `{ prefix }`; timed one:
 * `{ elem: { val, timeout, expires } }`.
 * @example parseNftSetJson('{"nftables":[{"set":{"elem":["198.18.1.1"]}}]}', 0) // [{ ip: '198.18.1.1', until: null }]
 */
export function parseNftSetJson(text: string, nowS: number): BanEntry[] {
  const out: BanEntry[] = [];
  const doc = JSON.parse(text) as NftSetJson;
  for (const item of doc.nftables ?? []) {
    for (const e of item.set?.elem ?? []) {
      if (typeof e === 'object' && e !== null && 'elem' in e) {
        const ip = valText(e.elem?.val);
        if (ip) out.push({ ip, until: e.elem?.expires !== undefined ? Math.floor(nowS) + e.elem.expires : null });
      } else {
        const ip = valText(e as NftVal);
        if (ip) out.push({ ip, until: null });
      }
    }
  }
  return out;
}

/**
 * The names of the table's network sets in `nft -j list table` output.
 * @example netSetsOf('{"nftables":[{"set":{"name":"net6_64"}},{"set":{"name":"ban4"}}]}') // ['net6_64']
 */
export function netSetsOf(text: string): string[] {
  const doc = JSON.parse(text) as NftSetJson;
  return (doc.nftables ?? []).map((i) => i.set?.name ?? '').filter((n) => /^net[46]_\d{1,3}$/.test(n)).sort();
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
  /** Network sets that exist with their drop rules (read at init, grown by commits). */
  const known = new Set<string>();
  const existingNetSets = async () => {
    const r = await tryCommand(fw, BACKEND, 'nft', ['-j', '-t', 'list', 'sets', 'table', 'inet', fw.name]);
    return r.ok ? netSetsOf(r.stdout) : [];
  };

  return {
    name: BACKEND,
    async init() {
      const nets = await existingNetSets();
      await nft(['-f', '-'], nftInitScript(fw.name, forward, nets));
      known.clear();
      for (const n of nets) known.add(n);
    },
    ...batchingMethods(fw, BACKEND, async (changes, now) => {
      const failed = await applyBisecting(changes, async (part, first) => {
        const created = new Set<string>();
        await nft(['-f', '-'], nftCommitScript(fw.name, part, now, { known, forward, created }), first ? fw.retries : 0);
        for (const n of created) known.add(n);
      });
      return { ...appliedCounts(changes, failed, now), failed };
    }),
    async list() {
      const now = nowSeconds(fw);
      const out: BanEntry[] = [];
      for (const set of ['ban4', 'ban6', ...await existingNetSets()]) {
        out.push(...parseNftSetJson(await nft(['-j', 'list', 'set', 'inet', fw.name, set]), now));
      }
      return out;
    },
    async shutdown() { /* bans stay in the kernel */ },
    async destroy() {
      await tryCommand(fw, BACKEND, 'nft', ['delete', 'table', 'inet', fw.name]);
    },
  };
}
