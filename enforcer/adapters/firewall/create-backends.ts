// Builds the configured enforcement backends. dry_run (or the `dry-run` backend) enforces nothing.
import type { Config } from '../../config/schema.js';
import type { FirewallBackend } from './port.js';
import { createDryRunBackend } from './dry-run.js';
import { createNginxBackend } from './nginx.js';
import type { Logger } from '../logger.js';

/**
 * One backend per name in `enforcement.backends`; with `dry_run`, only the dry-run backend.
 * `prefix` runs firewall commands through another command (tests: `['ip', 'netns', 'exec', NS]`).
 * @example const backends = createBackends(config, { log });
 */
export async function createBackends(config: Config, deps: { log: Logger; prefix?: string[]; secret?: () => string | null }): Promise<FirewallBackend[]> {
  if (config.dry_run) return [createDryRunBackend(deps)];
  const e = config.enforcement;
  const fw = { name: e.name, hookChains: e.hook_chains, retries: e.retries, prefix: deps.prefix ?? [], log: deps.log };
  const out: FirewallBackend[] = [];
  // Firewall modules are loaded only when configured: an nginx-only host never loads ipset code.
  for (const name of new Set(e.backends)) {
    switch (name) {
      case 'dry-run': out.push(createDryRunBackend(deps)); break;
      case 'nginx': out.push(createNginxBackend({ url: config.nginx.url, retries: e.retries, secret: deps.secret }, deps)); break;
      case 'ipset': out.push((await import('./ipset.js')).createIpsetBackend(fw)); break;
      case 'nftables': out.push((await import('./nftables.js')).createNftablesBackend(fw)); break;
      case 'iptables': out.push((await import('./iptables.js')).createIptablesBackend(fw)); break;
    }
  }
  return out;
}
