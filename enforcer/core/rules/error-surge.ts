// Modifier `error_surge`: a client whose 4xx+5xx rate is over `detection.error_surge` times the baseline error rate gets
// the thresholds of the tightenable rules multiplied by `detection.tighten_factor`.
import { num, positive } from '../../config/fields.js';
import { defineRule } from './types.js';

/** The error-surge tightening (keys: `detection.error_surge`, `detection.tighten_factor`). */
export default defineRule({
  name: 'error_surge',
  scope: 'modifier',
  title: 'error-surge tightening',
  summary: "a client whose error rate is over `error_surge` times the site's error rate gets the rate thresholds multiplied by `tighten_factor`",
  defaultMode: 'ban',
  legacyKeys: {
    error_surge: {
      schema: positive().default(3.0),
      doc: 'an IP whose error rate is this many times the baseline error rate gets tightened thresholds',
      shown: '`3.0`',
    },
    tighten_factor: {
      schema: num('a number > 0 and <= 1', (n, e) => n.gt(0, e).max(1, e)).default(0.5),
      doc: 'factor applied to the three thresholds when tightened',
      shown: '`0.5`',
    },
  },
  settings: (d) => ({ errorSurge: d.error_surge as number, tightenFactor: d.tighten_factor as number }),
  reads: { signals: ['errors'], windows: ['main'] },
  thresholds: (s) => `errors > ${s.errorSurge}x site error rate: thresholds x${s.tightenFactor}`,
  minFactor: (s) => s.tightenFactor,
  factor(client, ctx, s) {
    return client.rate('errors') > s.errorSurge * ctx.baseline.errorMean ? s.tightenFactor : 1;
  },
});
