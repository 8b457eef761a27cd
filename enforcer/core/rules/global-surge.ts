// Rule `global_surge`: the whole site's rate is over the z-score or the multiple of its own baseline. Alert only, at
// most once per `detection.global_cooldown`, and only once the baseline has learned five windows' worth of seconds.
import { duration } from '../../config/fields.js';
import { defineRule } from './types.js';
import { zOf } from './stats.js';

/** The global surge alert (key: `detection.global_cooldown`; it reuses `detection.zscore` and `detection.multiplier`). */
export default defineRule({
  name: 'global_surge',
  scope: 'global',
  title: 'global surge',
  summary: "the site's rate is more than `zscore` standard deviations or `multiplier` times above its mean (alert only)",
  defaultMode: 'alert',
  modes: ['alert', 'off'],
  legacyKeys: {
    global_cooldown: { schema: duration().default(120), doc: 'minimum time between two global-surge alerts', shown: '`120` (s)' },
  },
  settings: (d) => ({ zscore: d.zscore as number, multiplier: d.multiplier as number, cooldown: d.global_cooldown as number }),
  reads: { signals: ['total'], windows: ['main'] },
  thresholds: (s) => `site z > ${s.zscore} or > ${s.multiplier}x mean, every ${s.cooldown}s at most`,
  cooldown: (s) => s.cooldown,
  judge(ctx, s) {
    // At start the floors are all there is, and ordinary traffic would look like a surge.
    if (ctx.baseline.samples < 5 * ctx.seconds.main) return null;
    const rate = ctx.global.rate;
    const z = zOf(rate, ctx.baseline);
    if (z > s.zscore) return { condition: 'zscore', value: z, threshold: s.zscore, z };
    const mean = ctx.baseline.mean;
    if (rate > s.multiplier * mean) return { condition: 'multiplier', value: mean > 0 ? rate / mean : Infinity, threshold: s.multiplier, z };
    return null;
  },
});
