// Rule `population`: a client's requests over the main window (60 s) are far above the other clients' (a high
// quantile of their sums, times a factor) and above an absolute floor. It compares a client with its peers, not with
// the site's total, so it holds on a busy site where the site-wide rules put one client's limit at hundreds of req/s.
import { num, positive } from '../../config/fields.js';
import type { ClientRule, TickContext } from './types.js';
import { below } from './stats.js';
import { peerLevel } from './peer-level.js';

/** The population rule's settings (keys under `detection.rules.population`). */
export interface PopulationSettings {
  /** Lowest threshold, req/s over the main window. */
  floor: number;
  quantile: number;
  factor: number;
}

/** Requests over the main window above which a client stands out from the population (before tightening). */
export function populationThreshold(s: PopulationSettings, ctx: TickContext): number {
  return Math.max(s.floor * ctx.seconds.main, s.factor * peerLevel(ctx.population, s.quantile, 'total', 'main'));
}

/** The population rule: a client's main-window requests vs the distribution of the clients' (robust: quantile, top left out). */
const rule: ClientRule<PopulationSettings> = {
  name: 'population',
  scope: 'client',
  title: 'population',
  summary: "the client's requests over the window are above `factor` times the other clients' `quantile` and above `floor` req/s",
  defaultMode: 'ban',
  tightenable: true,
  keys: {
    floor: {
      schema: positive().default(20),
      doc: 'lowest population threshold, req/s over `window` (20: 1,200 requests a minute; an office NAT of 20 people does ~13 req/s)',
      shown: '`20`',
    },
    quantile: {
      schema: num('a number > 0 and < 1', (n, e) => n.gt(0, e).lt(1, e)).default(0.99),
      doc: "quantile of the other clients' requests over `window` taken as their level (the top two are left out)",
      shown: '`0.99`',
    },
    factor: { schema: positive().default(10), doc: 'population threshold = this many times that level, when above the floor', shown: '`10`' },
  },
  settings: (d) => ({
    floor: d.rules.population.floor as number, quantile: d.rules.population.quantile as number,
    factor: d.rules.population.factor as number,
  }),
  reads: { signals: ['total'], windows: ['main'] },
  thresholds: (s) => `rate > max(${s.floor} req/s, ${s.factor}x clients' q${s.quantile})`,
  unit: ' req/s',
  gates: (s, ctx, factor) => [{
    signal: 'total', window: 'main', min: Math.max(ctx.minRequests, 1, below(populationThreshold(s, ctx) * factor)),
  }],
  judge(client, ctx, s, factor) {
    const requests = client.sum('total');
    if (requests < ctx.minRequests || requests <= 0) return null;
    const threshold = populationThreshold(s, ctx) * factor;
    if (!(requests > threshold)) return null;
    const secs = ctx.seconds.main;
    return { value: requests / secs, threshold: threshold / secs };
  },
};

export default rule;
