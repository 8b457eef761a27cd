// Rule `ceiling`: a client's rate over the main window is above the absolute `detection.max_ip_rate` (req/s), whatever
// the baseline: on a busy site the relative rules would let one address flood at hundreds of req/s.
import { nonNegative } from '../../config/fields.js';
import { defineRule } from './types.js';
import { below } from './stats.js';

/** The ceiling rule (key: `detection.max_ip_rate`, 0 turns it off). */
export default defineRule({
  name: 'ceiling',
  scope: 'client',
  title: 'rate ceiling',
  summary: "the client's rate over the window is above `max_ip_rate` req/s, whatever the baseline",
  defaultMode: 'ban',
  tightenable: true,
  legacyKeys: {
    max_ip_rate: {
      schema: nonNegative().default(30),
      doc: '...or its rate is above this many req/s over the window, whatever the baseline (`0`: off); rule `ceiling`',
      shown: '`30`',
    },
  },
  settings: (d) => ({ maxIpRate: d.max_ip_rate as number }),
  reads: { signals: ['total'], windows: ['main'] },
  thresholds: (s) => (s.maxIpRate > 0 ? `rate > ${s.maxIpRate} req/s` : 'off (max_ip_rate 0)'),
  measure: (d) => d.rate,
  gates(s, ctx, factor) {
    if (!(s.maxIpRate > 0)) return [];
    return [{ signal: 'total', window: 'main', min: Math.max(ctx.minRequests, below(s.maxIpRate * factor * ctx.seconds.main)) }];
  },
  judge(client, ctx, s, factor) {
    if (!(s.maxIpRate > 0)) return null;
    const requests = client.sum('total');
    if (requests < ctx.minRequests || requests <= 0) return null;
    const rate = requests / ctx.seconds.main;
    const threshold = s.maxIpRate * factor;
    return rate > threshold ? { value: rate, threshold } : null;
  },
});
