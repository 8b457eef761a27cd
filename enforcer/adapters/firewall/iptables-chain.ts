// The project's dedicated iptables/ip6tables chain in the filter table and its jump rules from the hook chains
// (INPUT, DOCKER-USER, ...): shared by the ipset and iptables backends.
import { runCommand, tryCommand, type FirewallOptions } from './exec.js';

/** The chain name for a base name: upper case (`warden` -> `WARDEN`). */
export function chainName(name: string): string {
  return name.toUpperCase();
}

/** The iptables binary for a family. */
export function iptablesFor(family: 4 | 6): 'iptables' | 'ip6tables' {
  return family === 4 ? 'iptables' : 'ip6tables';
}

/**
 * Creates `chain` (if absent), makes sure it holds exactly the `rules` given first (each checked with -C before
 * adding), and hooks it with ONE jump at position 1 of every existing chain in fw.hookChains (absent chains: warning).
 * Idempotent: a restart finds everything in place and adds nothing.
 * @example await ensureChain(fw, 'ipset', 4, 'WARDEN', [['-m', 'set', '--match-set', 'warden4', 'src', '-j', 'DROP']]);
 */
export async function ensureChain(fw: FirewallOptions, backend: string, family: 4 | 6, chain: string, rules: string[][]): Promise<void> {
  const bin = iptablesFor(family);
  const exists = await tryCommand(fw, backend, bin, ['-w', '-S', chain]);
  if (!exists.ok) await runCommand(fw, backend, bin, ['-w', '-N', chain]);
  for (const rule of rules) {
    const has = await tryCommand(fw, backend, bin, ['-w', '-C', chain, ...rule]);
    if (!has.ok) await runCommand(fw, backend, bin, ['-w', '-A', chain, ...rule]);
  }
  for (const hook of fw.hookChains) {
    const hookExists = await tryCommand(fw, backend, bin, ['-w', '-S', hook]);
    if (!hookExists.ok) {
      fw.log.warn(`backend ${backend}: ${bin} chain ${hook} does not exist (e.g. DOCKER-USER without Docker): not hooking ${chain} into it`);
      continue;
    }
    const jumps = await tryCommand(fw, backend, bin, ['-w', '-C', hook, '-j', chain]);
    if (!jumps.ok) await runCommand(fw, backend, bin, ['-w', '-I', hook, '1', '-j', chain]);
  }
}

/**
 * Removes the jumps to `chain` from every hook chain, then flushes and deletes it. Absent pieces are fine.
 * @example await removeChain(fw, 'ipset', 4, 'WARDEN');
 */
export async function removeChain(fw: FirewallOptions, backend: string, family: 4 | 6, chain: string): Promise<void> {
  const bin = iptablesFor(family);
  for (const hook of fw.hookChains) {
    // Remove every copy (an older version or a manual edit may have added more than one).
    for (let i = 0; i < 100; i++) {
      const r = await tryCommand(fw, backend, bin, ['-w', '-D', hook, '-j', chain]);
      if (!r.ok) break;
    }
  }
  if ((await tryCommand(fw, backend, bin, ['-w', '-S', chain])).ok) {
    await runCommand(fw, backend, bin, ['-w', '-F', chain]);
    await runCommand(fw, backend, bin, ['-w', '-X', chain]);
  }
}
