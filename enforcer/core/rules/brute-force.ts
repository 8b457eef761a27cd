// Rule `brute_force`: auth failures (401/403 answered by the site; never warden's own refusals) per client over the
// main window (the long windows count requests only). When many clients fail at once (a site-wide auth-failure surge: a botnet spreading
// a credential-stuffing list so each address fails slowly) the per-client thresholds are lowered, but never to or
// below `min_failures`, so a person who mistypes a password three or four times is never banned.
// References: fail2ban nginx-http-auth (maxretry 5 in findtime 10 min), CrowdSec http-generic-bf (leaky bucket of 5
// failures leaking one per 10 s); see docs/detection.md.
import { num, positiveInt } from '../../config/fields.js';
import type { ClientRule, TickContext } from './types.js';
import { below } from './stats.js';

/** The brute-force rule's settings (keys under `detection.rules.brute_force`). */
export interface BruteForceSettings {
  /** Ban above this many failures over the main window. */
  maxFailures: number;
  /** Never ban at or below this many failures, surge or not. */
  minFailures: number;
  /** A surge: at least this many clients with auth failures over the main window. */
  surgeClients: number;
  /** Factor on both thresholds during a surge. */
  surgeFactor: number;
}

/** True when the site sees an auth-failure surge at this tick (many clients failing at once). */
export function authSurge(s: BruteForceSettings, ctx: TickContext): boolean {
  return ctx.population.count('auth', 'main') >= s.surgeClients;
}

/** The threshold in force at this tick (failures over the main window). */
export function bruteForceThreshold(s: BruteForceSettings, ctx: TickContext): number {
  return Math.max(s.minFailures, s.maxFailures * (authSurge(s, ctx) ? s.surgeFactor : 1));
}

/** The brute-force rule: auth failures per client over the window, the threshold lowered during a site-wide surge. */
const rule: ClientRule<BruteForceSettings> = {
  name: 'brute_force',
  scope: 'client',
  title: 'brute force',
  summary: "the client's auth failures over the window are above `max_failures` (lower while many clients fail, never at `min_failures` or below)",
  defaultMode: 'ban',
  tightenable: false,
  keys: {
    max_failures: { schema: positiveInt().default(10), doc: 'auth failures (401/403 from the site) over `window` above which a client is banned', shown: '`10`' },
    min_failures: {
      schema: positiveInt().default(4),
      doc: 'never ban at or below this many failures, even during a surge (a person mistyping a password)',
      shown: '`4`',
    },
    surge_clients: {
      schema: positiveInt().default(10),
      doc: 'a site-wide auth-failure surge: at least this many clients failing over `window` at once',
      shown: '`10`',
    },
    surge_factor: {
      schema: num('a number > 0 and <= 1', (n, e) => n.gt(0, e).max(1, e)).default(0.5),
      doc: 'factor on both thresholds during a surge',
      shown: '`0.5`',
    },
  },
  settings: (d) => {
    const r = d.rules.brute_force;
    return {
      maxFailures: r.max_failures as number, minFailures: r.min_failures as number,
      surgeClients: r.surge_clients as number, surgeFactor: r.surge_factor as number,
    };
  },
  reads: { signals: ['auth'], windows: ['main'] },
  thresholds: (s) => `auth failures > ${s.maxFailures}/window (x${s.surgeFactor} while >= ${s.surgeClients} clients fail, never <= ${s.minFailures})`,
  unit: ' failures',
  gates: (s, ctx) => [{ signal: 'auth', window: 'main', min: below(bruteForceThreshold(s, ctx) + 1) }],
  judge(client, ctx, s) {
    const threshold = bruteForceThreshold(s, ctx);
    const a = client.sum('auth', 'main');
    return a > threshold ? { value: a, threshold } : null;
  },
};

export default rule;
