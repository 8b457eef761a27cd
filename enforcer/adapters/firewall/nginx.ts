// The nginx backend: bans live in njs's warden_bans shared dict, checked by `if ($warden_banned)` in each server.
// For sites behind a CDN or load balancer (the firewall only sees the proxy) and hosts without NET_ADMIN.
// Keys are sent canonical: addresses, and IPv6 prefixes such as `2001:db8:1:2::/64` (njs looks up a client's address
// and its prefix of `$warden_ipv6_prefix` bits; other networks are refused by njs and reported as failed entries).
// Requests are signed with the warden secret (channel `bans`, never the secret itself) and only answers signed by nginx
// are believed: a ban list or a POST result from whoever else holds the port is an error, never a result.
import { BackendUnavailableError, type CommitResult, type FirewallBackend } from './port.js';
import { createPending } from './pending.js';
import { normaliseBanKey } from '../../net/cidr.js';
import { createInternalClient, refusalText, UnsignedAnswerError } from '../nginx-internal.js';

/**
 * Entries (adds, and removes) per POST /bans: an IPv6 add is at most ~70 bytes of JSON, so 5,000 stay well under the
 * internal listener's 1 MiB body limit.
 */
export const POST_CHUNK = 5000;

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

  const client = createInternalClient({ url: base, channel: 'bans', secret: () => opts.secret?.() ?? null });
  const call = async <T>(method: 'GET' | 'POST', body?: unknown): Promise<T> => {
    let last: Error | null = null;
    for (let attempt = 0; attempt <= retries; attempt++) {
      try {
        const a = await client.request(method, '/bans', { timeoutMs, body: body ? JSON.stringify(body) : undefined });
        if (a.status < 200 || a.status >= 300) throw new Error(`HTTP ${a.status}: ${refusalText(a)}`);
        if (!a.verified) throw new UnsignedAnswerError('answered without a signature and this daemon has no secret to check one (`nginx.secret_file`)');
        return JSON.parse(a.text) as T;
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
      const adds = taken.adds.map((e) => ({ ip: normaliseBanKey(e.ip) ?? e.ip, until: e.until }));
      const removes = taken.removes.map((ip) => normaliseBanKey(ip) ?? ip);
      const out: CommitResult = { added: 0, removed: 0, failed: [] };
      // One POST per POST_CHUNK entries: the internal listener takes bodies up to 1 MiB (client_max_body_size), and a
      // 100,000-ban batch is several MiB.
      for (let i = 0; i < adds.length || i < removes.length; i += POST_CHUNK) {
        const a = adds.slice(i, i + POST_CHUNK);
        const r = removes.slice(i, i + POST_CHUNK);
        try {
          const ans = await call<PostAnswer>('POST', { add: a.map((e) => ({ ip: e.ip, until: e.until ?? 0 })), remove: r });
          const failedAdd = new Set(a.map((e) => e.ip));
          out.added += ans.added;
          out.removed += ans.removed;
          for (const f of ans.failed) out.failed.push({ ip: f.ip, op: failedAdd.has(f.ip) ? 'add' : 'remove', error: f.error });
        } catch (err) {
          const error = (err as Error).message;
          for (const e of a) out.failed.push({ ip: e.ip, op: 'add', error });
          for (const ip of r) out.failed.push({ ip, op: 'remove', error });
        }
      }
      return out;
    },
    async list() {
      const ans = await call<BansAnswer>('GET');
      return ans.bans.map((b) => ({ ip: b.ip, until: b.until === 0 ? null : b.until }));
    },
    async shutdown() {},
    async destroy() {
      const present = await this.list();
      if (present.length) {
        pending.remove(present.map((b) => b.ip));
        await this.commit();
      }
    },
  };
}
