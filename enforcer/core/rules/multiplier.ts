// Rule `multiplier`: a client's rate over the main window is more than `detection.multiplier` times the site's
// baseline mean (the original tool's second rule).
import { positive } from '../../config/fields.js';
import { defineRule } from './types.js';
import { below } from './stats.js';

/** The multiplier rule (key: `detection.multiplier`). */
export default defineRule({
  name: 'multiplier',
  scope: 'client',
  title: 'multiple of the mean',
  summary: "the client's rate over the window is more than `multiplier` times the site's mean",
  defaultMode: 'ban',
  tightenable: true,
  legacyKeys: {
    multiplier: { schema: positive().default(5.0), doc: '...or its rate is above this many times the baseline mean', shown: '`5.0`' },
  },
  settings: (d) => ({ multiplier: d.multiplier as number }),
  reads: { signals: ['total'], windows: ['main'] },
  thresholds: (s) => `rate > ${s.multiplier}x mean`,
  unit: 'x',
  measure: (d) => (d.baseline.mean > 0 ? d.rate / d.baseline.mean : Infinity),
  gates(s, ctx, factor) {
    return [{ signal: 'total', window: 'main', min: Math.max(ctx.minRequests, below(s.multiplier * factor * ctx.baseline.mean * ctx.seconds.main)) }];
  },
  judge(client, ctx, s, factor) {
    const requests = client.sum('total');
    if (requests < ctx.minRequests || requests <= 0) return null;
    const rate = requests / ctx.seconds.main;
    const mean = ctx.baseline.mean;
    const threshold = s.multiplier * factor;
    return rate > threshold * mean ? { value: mean > 0 ? rate / mean : Infinity, threshold } : null;
  },
});
