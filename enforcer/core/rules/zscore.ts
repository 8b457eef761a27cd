// Rule `zscore`: a client's rate over the main window is more than `detection.zscore` standard deviations above the
// site's baseline mean (the original tool's first rule).
import { positive } from '../../config/fields.js';
import { defineRule } from './types.js';
import { below, zOf } from './stats.js';

/** The z-score rule (keys: `detection.zscore`, `detection.min_requests` is shared by the three original rules). */
export default defineRule({
  name: 'zscore',
  scope: 'client',
  title: 'z-score',
  summary: "the client's rate over the window is more than `zscore` standard deviations above the site's mean",
  defaultMode: 'ban',
  tightenable: true,
  legacyKeys: {
    zscore: { schema: positive().default(3.0), doc: "ban when the IP's z-score is above this", shown: '`3.0`' },
  },
  settings: (d) => ({ zscore: d.zscore as number }),
  reads: { signals: ['total'], windows: ['main'] },
  thresholds: (s) => `z > ${s.zscore}`,
  measure: (d) => d.z,
  gates(s, ctx, factor) {
    const b = ctx.baseline;
    return [{ signal: 'total', window: 'main', min: Math.max(ctx.minRequests, below((b.mean + s.zscore * factor * b.stddev) * ctx.seconds.main)) }];
  },
  judge(client, ctx, s, factor) {
    const requests = client.sum('total');
    if (requests < ctx.minRequests || requests <= 0) return null;
    const z = zOf(requests / ctx.seconds.main, ctx.baseline);
    const threshold = s.zscore * factor;
    return z > threshold ? { value: z, threshold } : null;
  },
});
