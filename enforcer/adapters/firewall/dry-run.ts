// The dry-run backend: logs what it would do and remembers it, enforcing nothing.
import type { CommitResult, FirewallBackend } from './port.js';
import { createPending } from './pending.js';

/**
 * A backend that only logs.
 * @example const fw = createDryRunBackend({ log }); fw.add([{ ip: '203.0.113.9', until: null }]); await fw.commit();
 */
export function createDryRunBackend(deps: { log: { info(msg: string): void } }): FirewallBackend {
  const enforced = new Map<string, number | null>();
  const pending = createPending();
  return {
    name: 'dry-run',
    async init() {},
    add: pending.add,
    remove: pending.remove,
    async commit(): Promise<CommitResult> {
      const { adds: a, removes: r } = pending.take();
      for (const e of a) enforced.set(e.ip, e.until);
      for (const ip of r) enforced.delete(ip);
      if (a.length || r.length) deps.log.info(`[dry-run] would add ${a.length} and remove ${r.length} firewall entr${a.length + r.length === 1 ? 'y' : 'ies'}${a.length + r.length <= 5 ? `: ${[...a.map((e) => `+${e.ip}`), ...r.map((ip) => `-${ip}`)].join(' ')}` : ''}`);
      return { added: a.length, removed: r.length, failed: [] };
    },
    async list() {
      return [...enforced].map(([ip, until]) => ({ ip, until }));
    },
    async shutdown() {},
    async destroy() { enforced.clear(); },
  };
}
