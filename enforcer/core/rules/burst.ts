// Rule `burst`: a client's requests over the short window (`detection.short_window`, 2 s) are above an absolute floor
// and far above the heavy clients' steady rate (a high quantile of the clients' requests over the main window, scaled
// to the short window, times a factor), so a flood is banned in its first second while a browser loading a page and
// its 90 assets never comes near. The level is read over the main window: the few clients active in the last two
// seconds are too few and too spiky (one page load) to say what is normal on the site.
import { num, positive } from '../../config/fields.js';
import type { ClientRule, TickContext } from './types.js';
import { below } from './stats.js';
import { peerLevel } from './peer-level.js';

/** The burst rule's settings (keys under `detection.rules.burst`). */
export interface BurstSettings {
  /** Lowest threshold, req/s over the short window. */
  floor: number;
  /** Quantile of the clients' main-window sums taken as the peer level. */
  quantile: number;
  /** The threshold is this many times the peer level (when above the floor). */
  factor: number;
}

/** Requests over the short window above which a client bursts at this tick. */
export function burstThreshold(s: BurstSettings, ctx: TickContext): number {
  const steady = peerLevel(ctx.population, s.quantile, 'total', 'main') * (ctx.seconds.short / ctx.seconds.main);
  return Math.max(s.floor * ctx.seconds.short, s.factor * steady);
}

/** The burst rule: requests over the short window vs the population's short-window sums (absolute floor, bans at once). */
const rule: ClientRule<BurstSettings> = {
  name: 'burst',
  scope: 'client',
  title: 'burst',
  summary: "the client's rate over the short window is above `floor` req/s and `factor` times the heavy clients' rate (`quantile`)",
  defaultMode: 'ban',
  tightenable: false,
  keys: {
    floor: {
      schema: positive().default(75),
      doc: 'lowest burst threshold, req/s over `short_window` (75: 150 requests in 2 s; a page and 90 assets is 91)',
      shown: '`75`',
    },
    quantile: {
      schema: num('a number > 0 and < 1', (n, e) => n.gt(0, e).lt(1, e)).default(0.99),
      doc: "the heavy clients' rate: this quantile of the clients' rates over `window` (the top two are always left out)",
      shown: '`0.99`',
    },
    factor: { schema: positive().default(4), doc: 'burst threshold = this many times that rate, when above the floor', shown: '`4`' },
  },
  settings: (d) => ({
    floor: d.rules.burst.floor as number, quantile: d.rules.burst.quantile as number, factor: d.rules.burst.factor as number,
  }),
  reads: { signals: ['total'], windows: ['short', 'main'] },
  thresholds: (s) => `short-window rate > max(${s.floor} req/s, ${s.factor}x clients' q${s.quantile} rate)`,
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
