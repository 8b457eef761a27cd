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
}

/** The probing rule: probes per client over the window, an absolute threshold (bans from the first second). */
const rule: ClientRule<ProbingSettings> = {
  name: 'probing',
  scope: 'client',
  title: 'probing',
  summary: "the client's probes (4xx but 499 on non-static paths, sensitive paths) over the window are above `max_probes`",
  defaultMode: 'ban',
  tightenable: false,
  keys: {
    max_probes: {
      schema: positiveInt().default(16),
      doc: 'probes over `window` above which a client is banned (a scanner at 2/s: in 9 s; a crawler on dead links in the real log: 13)',
      shown: '`16`',
    },
  },
  settings: (d) => ({ maxProbes: d.rules.probing.max_probes as number }),
  reads: { signals: ['probe'], windows: ['main'] },
  thresholds: (s) => `probes > ${s.maxProbes}/window`,
  unit: ' probes',
  gates: (s) => [{ signal: 'probe', window: 'main', min: below(s.maxProbes + 1) }],
  judge(client, _ctx, s) {
    const p = client.sum('probe', 'main');
    return p > s.maxProbes ? { value: p, threshold: s.maxProbes } : null;
  },
};

export default rule;
