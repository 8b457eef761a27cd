// A toy rule, the whole of it in this one file, for the test that a rule needs nothing else: probes in the short window.
// Registered from tests only (registerRule); it shows what a rule module of enforcer/core/rules/ holds.
import { positiveInt } from '../../../enforcer/config/fields.js';
import { defineRule } from '../../../enforcer/core/rules/types.js';

/** `toy_probe`: at least `probes` probes (counters protocol v2) in the short window, however few requests in all. */
export default defineRule({
  name: 'toy_probe',
  scope: 'client',
  title: 'toy probes',
  summary: 'the client sent at least `probes` probes within the short window',
  defaultMode: 'ban',
  tightenable: false,
  keys: { probes: { schema: positiveInt().default(3), doc: 'probes in the short window that fire the toy rule', shown: '`3`' } },
  settings: (d) => ({ probes: d.rules.toy_probe.probes as number }),
  reads: { signals: ['probe'], windows: ['short'] },
  thresholds: (s) => `probes >= ${s.probes} in the short window`,
  gates: (s) => [{ signal: 'probe', window: 'short', min: s.probes }],
  judge(client, _ctx, s) {
    const probes = client.sum('probe', 'short');
    return probes >= s.probes ? { value: probes, threshold: s.probes } : null;
  },
});
