// Doctor's firewall checks: each configured backend's tools, and Docker's DOCKER-USER chain.
import { spawnSync } from 'node:child_process';
import type { Config } from '../../config/schema.js';
import { hasBinary, type Finding } from './finding.js';

export function checkBackends(config: Config): Finding[] {
  const out: Finding[] = [];
  const root = process.getuid ? process.getuid() === 0 : false;
  const need: Record<string, string[]> = { ipset: ['ipset', 'iptables', 'ip6tables'], nftables: ['nft'], iptables: ['iptables', 'ip6tables'] };
  for (const b of config.enforcement.backends) {
    if (config.dry_run) {
      out.push({ level: 'warn', what: `backend ${b}`, detail: 'dry_run is on: nothing is enforced',
        fix: 'set `dry_run: false` once replay and dry-run look right', see: 'enforcing' });
      continue;
    }
    const bins = need[b];
    if (!bins) {
      out.push({ level: 'ok', what: `backend ${b}`, detail: b === 'nginx' ? `bans go to ${config.nginx.url}/bans` : 'logs only' });
      continue;
    }
    const missing = bins.filter((x) => !hasBinary(x));
    if (missing.length) {
      out.push({ level: 'fail', what: `backend ${b}`, detail: `missing ${missing.join(', ')}`,
        fix: `apt-get install ${b === 'nftables' ? 'nftables' : b === 'ipset' ? 'ipset iptables' : 'iptables'}`, see: 'firewall' });
    } else if (!root) {
      out.push({ level: 'fail', what: `backend ${b}`, detail: 'not running as root',
        fix: 'run the daemon as root or with CAP_NET_ADMIN and CAP_NET_RAW (the systemd unit does)', see: 'firewall' });
    } else {
      out.push({ level: 'ok', what: `backend ${b}`, detail: `${bins.join(', ')} present` });
    }
  }
  return out;
}

/** True when `iptables -S CHAIN` succeeds (the chain exists in this network namespace). */
function chainExists(bin: string, chain: string): boolean {
  const r = spawnSync(bin, ['-w', '-S', chain], { stdio: 'ignore', timeout: 10_000 });
  return r.status === 0;
}

/**
 * Docker publishes ports through FORWARD -> DOCKER-USER, never INPUT: a DOCKER-USER chain that the ban chain is not
 * hooked into means published ports ignore every ban. Only for the firewall backends (nginx bans work anyway).
 */
export function checkDockerUser(config: Config): Finding[] {
  const firewall = config.enforcement.backends.filter((b) => b === 'ipset' || b === 'iptables' || b === 'nftables');
  if (firewall.length === 0 || !hasBinary('iptables')) return [];
  const families = ['iptables', 'ip6tables'].filter((bin) => hasBinary(bin) && chainExists(bin, 'DOCKER-USER'));
  if (families.length === 0) return [];
  const hooked = config.enforcement.hook_chains.includes('DOCKER-USER');
  if (hooked) return [{ level: 'ok', what: 'docker', detail: `DOCKER-USER exists (${families.join(', ')}) and is in enforcement.hook_chains` }];
  return [{
    level: 'warn', what: 'docker',
    detail: `a DOCKER-USER chain exists (${families.join(', ')}) but enforcement.hook_chains is [${config.enforcement.hook_chains.join(', ')}]: ` +
      'ports published by Docker go through FORWARD, not INPUT, so bans do not reach them',
    fix: 'add DOCKER-USER to enforcement.hook_chains and restart the daemon', see: 'docker',
  }];
}
