// Several backends at once (e.g. nginx + ipset): every change goes to each; results are merged.
import type { BanEntry, CommitResult, FirewallBackend } from './port.js';
import { maxOf } from '../../core/arrays.js';

/**
 * Combines backends; `list()` is the union (a ban missing from one backend is re-added by reconcile's add, which is idempotent).
 * @example const fw = createComposite([nginxBackend, ipsetBackend], { log });
 */
export function createComposite(backends: FirewallBackend[], deps: { log: { error(msg: string): void } }): FirewallBackend {
  return {
    name: backends.map((b) => b.name).join('+'),
    async init() {
      for (const b of backends) await b.init();
    },
    add(entries) { for (const b of backends) b.add(entries); },
    remove(ips) { for (const b of backends) b.remove(ips); },
    async commit(): Promise<CommitResult> {
      const results = await Promise.all(backends.map(async (b) => {
        try {
          const r = await b.commit();
          return { ...r, failed: r.failed.map((f) => ({ ...f, error: `${b.name}: ${f.error}` })) };
        } catch (err) {
          deps.log.error(`backend ${b.name}: commit failed: ${(err as Error).message}`);
          return { added: 0, removed: 0, failed: [] };
        }
      }));
      return {
        added: maxOf(results.map((r) => r.added), 0),
        removed: maxOf(results.map((r) => r.removed), 0),
        failed: results.flatMap((r) => r.failed),
      };
    },
    async list(): Promise<BanEntry[]> {
      const seen = new Map<string, number | null>();
      for (const b of backends) for (const e of await b.list()) seen.set(e.ip, e.until);
      return [...seen].map(([ip, until]) => ({ ip, until }));
    },
    async shutdown() { for (const b of backends) await b.shutdown(); },
    async destroy() { for (const b of backends) await b.destroy(); },
  };
}
