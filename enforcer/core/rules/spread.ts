// Rule `spread`: a /24 (IPv4) or /48 (IPv6) whose clients together send more than one client may (the ceiling,
// `max_rate` req/s over the window), from at least `min_clients` addresses: a flood spread over neighbouring addresses
// so each stays under every per-client rule. CGNAT, offices and universities share prefixes, so it alerts by default;
// in mode ban the whole prefix is banned (allow-listed addresses inside it are spared by the enforcement).
import { positive, positiveInt } from '../../config/fields.js';
import type { PrefixRule } from './types.js';

/** The spread rule's settings (keys under `detection.rules.spread`). */
export interface SpreadSettings {
  /** A prefix's clients together above this many req/s over the window. */
  maxRate: number;
  minClients: number;
}

/** The spread rule: requests of a prefix's clients together over the window (alert by default). */
const rule: PrefixRule<SpreadSettings> = {
  name: 'spread',
  scope: 'prefix',
  title: 'spread over a prefix',
  summary: "the clients of one /24 (IPv4) or /48 (IPv6) together send more than `max_rate` req/s over the window",
  defaultMode: 'alert',
  keys: {
    max_rate: {
      schema: positive().default(30),
      doc: 'req/s over `window` of one /24 or /48 all together above which it fires (what one client may do: the ceiling)',
      shown: '`30`',
    },
    min_clients: { schema: positiveInt().default(3), doc: 'only prefixes with at least this many active clients are judged', shown: '`3`' },
  },
  settings: (d) => ({ maxRate: d.rules.spread.max_rate as number, minClients: d.rules.spread.min_clients as number }),
  reads: { signals: ['total'], windows: ['main'] },
  thresholds: (s) => `prefix rate > ${s.maxRate} req/s from >= ${s.minClients} clients`,
  unit: ' req/s',
  minClients: (s) => s.minClients,
  judge(prefix, ctx, s) {
    if (prefix.clients < s.minClients) return null;
    const rate = prefix.total / ctx.seconds.main;
    return rate > s.maxRate ? { value: rate, threshold: s.maxRate } : null;
  },
};

export default rule;
