// The nginx backend: bans live in njs's warden_bans shared dict, checked by `if ($warden_banned)` in each server.
// For sites behind a CDN or load balancer (the firewall only sees the proxy) and hosts without NET_ADMIN.
// Keys are sent canonical: addresses, and IPv6 prefixes such as `2001:db8:1:2::/64` (njs looks up a client's address
// and its prefix of `$warden_ipv6_prefix` bits; other networks are refused by njs and reported as failed entries).
import { BackendUnavailableError, type CommitResult, type FirewallBackend } from './port.js';
import { createPending } from './pending.js';
import { normaliseBanKey } from '../../net/cidr.js';

interface BansAnswer { bans: Array<{ ip: string; until: number }> }
interface PostAnswer { added: number; removed: number; failed: Array<{ ip: string; error: string }> }

/**
 * A backend speaking to the njs ban endpoints on nginx's internal listener (`GET/POST <url>/bans`).
 * @example const fw = createNginxBackend({ url: 'http://127.0.0.1:9181', timeoutMs: 2000, retries: 2 });
 */
export function createNginxBackend(opts: { url: string; timeoutMs?: number; retries?: number; secret?: () => string | null },
  deps: { log: { warn(msg: string): void } }): FirewallBackend {
  const base = opts.url.replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? 2000;
  const retries = opts.retries ?? 2;
  const pending = createPending();

  const call = async <T>(method: 'GET' | 'POST', body?: unknown): Promise<T> => {
    let last: Error | null = null;
    for (let attempt = 0; attempt <= retries; attempt++) {
      try {
        const headers: Record<string, string> = {};
        if (body) headers['content-type'] = 'application/json';
        const secret = opts.secret?.();
        if (secret) headers['X-Warden-Secret'] = secret;
        const res = await fetch(`${base}/bans`, {
          method, signal: AbortSignal.timeout(timeoutMs), headers, body: body ? JSON.stringify(body) : undefined,
        });
        const text = await res.text();
        if (!res.ok) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
        return JSON.parse(text) as T;
      } catch (err) {
        last = err as Error;
        if (attempt < retries) await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
      }
    }
    throw new Error(`${base}/bans: ${last?.message ?? 'failed'}`, { cause: last });
  };

  return {
    name: 'nginx',
    async init() {
      try {
        await call<BansAnswer>('GET');
      } catch (err) {
        // nginx may come up after the daemon: the daemon re-applies every active ban when nginx becomes reachable.
        deps.log.warn(new BackendUnavailableError('nginx', `cannot reach the njs ban endpoint ${base}/bans (${(err as Error).message}); ` +
          'bans are sent when nginx answers. Include nginx.conf in http {} and reload nginx, or check `nginx.url`').message);
      }
    },
    add: pending.add,
    remove: pending.remove,
    async commit(): Promise<CommitResult> {
      // Keys in canonical form (`2001:db8:1:2::/64`), as njs stores and looks them up; njs refuses what it cannot hold.
      const taken = pending.take();
      const a = taken.adds.map((e) => ({ ip: normaliseBanKey(e.ip) ?? e.ip, until: e.until }));
      const r = taken.removes.map((ip) => normaliseBanKey(ip) ?? ip);
      if (!a.length && !r.length) return { added: 0, removed: 0, failed: [] };
      const body = { add: a.map((e) => ({ ip: e.ip, until: e.until ?? 0 })), remove: r };
      try {
        const ans = await call<PostAnswer>('POST', body);
        const failedAdd = new Set(a.map((e) => e.ip));
        return {
          added: ans.added, removed: ans.removed,
          failed: ans.failed.map((f) => ({ ip: f.ip, op: failedAdd.has(f.ip) ? 'add' as const : 'remove' as const, error: f.error })),
        };
      } catch (err) {
        const error = (err as Error).message;
        return { added: 0, removed: 0, failed: [...a.map((e) => ({ ip: e.ip, op: 'add' as const, error })), ...r.map((ip) => ({ ip, op: 'remove' as const, error }))] };
      }
    },
    async list() {
      const ans = await call<BansAnswer>('GET');
      return ans.bans.map((b) => ({ ip: b.ip, until: b.until === 0 ? null : b.until }));
    },
    async shutdown() {},
    async destroy() {
      const present = await this.list();
      if (present.length) await call<PostAnswer>('POST', { add: [], remove: present.map((b) => b.ip) });
    },
  };
}
