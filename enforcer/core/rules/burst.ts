// Rule `burst`: a client's requests over the short window (`detection.short_window`, 5 s) are far above what the
// other clients send in that window (a high quantile of theirs, times a factor) and above an absolute floor, so a
// flood is banned in its first seconds while a browser loading a page and its 30 assets never comes near.
import { num, positive } from '../../config/fields.js';
import type { ClientRule, TickContext } from './types.js';
import { below } from './stats.js';
import { peerLevel } from './peer-level.js';

/** The burst rule's settings (keys under `detection.rules.burst`). */
export interface BurstSettings {
  /** Lowest threshold, req/s over the short window. */
  floor: number;
  /** Quantile of the clients' short-window sums taken as the peer level. */
  quantile: number;
  /** The threshold is this many times the peer level (when above the floor). */
  factor: number;
}

/** Requests over the short window above which a client bursts at this tick. */
export function burstThreshold(s: BurstSettings, ctx: TickContext): number {
  return Math.max(s.floor * ctx.seconds.short, s.factor * peerLevel(ctx.population, s.quantile, 'total', 'short'));
}

/** The burst rule: requests over the short window vs the population's short-window sums (absolute floor, bans at once). */
const rule: ClientRule<BurstSettings> = {
  name: 'burst',
  scope: 'client',
  title: 'burst',
  summary: "the client's requests over the short window are above `factor` times the other clients' `quantile` and above `floor` req/s",
  defaultMode: 'ban',
  tightenable: false,
  keys: {
    floor: {
      schema: positive().default(30),
      doc: 'lowest burst threshold, req/s over `short_window` (30: 150 requests in 5 s; a page and 30 assets is 31)',
      shown: '`30`',
    },
    quantile: {
      schema: num('a number > 0 and < 1', (n, e) => n.gt(0, e).lt(1, e)).default(0.999),
      doc: "quantile of the other clients' short-window requests taken as their level (the top two clients are always left out)",
      shown: '`0.999`',
    },
    factor: { schema: positive().default(4), doc: 'burst threshold = this many times that level, when above the floor', shown: '`4`' },
  },
  settings: (d) => ({
    floor: d.rules.burst.floor as number, quantile: d.rules.burst.quantile as number, factor: d.rules.burst.factor as number,
  }),
  reads: { signals: ['total'], windows: ['short'] },
  thresholds: (s) => `short-window rate > max(${s.floor} req/s, ${s.factor}x clients' q${s.quantile})`,
  unit: ' req/s',
  gates: (s, ctx) => [{ signal: 'total', window: 'short', min: Math.max(1, below(burstThreshold(s, ctx))) }],
  judge(client, ctx, s) {
    const requests = client.sum('total', 'short');
    const threshold = burstThreshold(s, ctx);
    if (!(requests > threshold)) return null;
    const secs = ctx.seconds.short;
    return { value: requests / secs, threshold: threshold / secs };
  },
};

export default rule;
