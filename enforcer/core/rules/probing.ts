// Rule `probing`: probes per client (a 4xx on a non-static path, or any request for a path on the sensitive-path
// list, as nginx classifies them) over the main window and over 10 minutes. A broken image is a static path and
// never a probe; a page whose script polls a missing endpoint stays far below.
// References: CrowdSec http-probing (a leaky bucket of 10 distinct failing non-static paths leaking one per 10 s),
// http-sensitive-files (2 per 5 s), fail2ban nginx-botsearch (404s on a list of paths); see docs/detection.md.
import { positiveInt } from '../../config/fields.js';
import type { ClientRule } from './types.js';
import { below } from './stats.js';

/** The probing rule's settings (keys under `detection.rules.probing`). */
export interface ProbingSettings {
  maxProbes: number;
  maxProbes10m: number;
}

/** The probing rule: probes per client over 60 s and 10 min, absolute thresholds (bans from the first second). */
const rule: ClientRule<ProbingSettings> = {
  name: 'probing',
  scope: 'client',
  title: 'probing',
  summary: "the client's probes (4xx on non-static paths, sensitive paths) are above `max_probes` a window or `max_probes_10m` in 10 minutes",
  defaultMode: 'ban',
  tightenable: false,
  keys: {
    max_probes: { schema: positiveInt().default(10), doc: 'probes over `window` above which a client is banned (a scanner at 2/s: in 6 s)', shown: '`10`' },
    max_probes_10m: {
      schema: positiveInt().default(100),
      doc: '...or over 10 minutes (slow scanners; a page polling a missing endpoint every 10 s makes 60)',
      shown: '`100`',
    },
  },
  settings: (d) => ({ maxProbes: d.rules.probing.max_probes as number, maxProbes10m: d.rules.probing.max_probes_10m as number }),
  reads: { signals: ['probe'], windows: ['main', '10m'] },
  thresholds: (s) => `probes > ${s.maxProbes}/window or > ${s.maxProbes10m}/10m`,
  unit: ' probes',
  gates: (s) => [{ signal: 'probe', window: 'main', min: below(s.maxProbes + 1) }, { signal: 'probe', window: '10m', min: below(s.maxProbes10m + 1) }],
  judge(client, _ctx, s) {
    const p = client.sum('probe', 'main');
    if (p > s.maxProbes) return { value: p, threshold: s.maxProbes };
    const p10 = client.sum('probe', '10m');
    if (p10 > s.maxProbes10m) return { value: p10, threshold: s.maxProbes10m };
    return null;
  },
};

export default rule;
