// Doctor's daemon check: /healthz answers, and the daemon's busiest clients for the realip check.
import type { Config } from '../../config/schema.js';
import { apiBaseUrl, callApi } from '../api-client.js';
import { getJson, type Finding } from './finding.js';

/** Whether the daemon answers, with its busiest clients when the API can be read. */
export async function checkDaemon(config: Config): Promise<{ finding: Finding; topIps?: Array<{ ip: string; rate: number }> }> {
  const base = apiBaseUrl(config);
  try {
    const r = await getJson(`${base}/healthz`);
    if (r.status !== 200) {
      return { finding: { level: 'fail', what: 'daemon', detail: `${base}/healthz answered HTTP ${r.status}`,
        fix: 'look at the daemon log: journalctl -u nginx-warden', see: 'systemd' } };
    }
  } catch {
    return { finding: { level: 'warn', what: 'daemon', detail: `not answering at ${base}`,
      fix: 'start it: `systemctl start nginx-warden` (or `warden start`)', see: 'systemd' } };
  }
  let topIps: Array<{ ip: string; rate: number }> | undefined;
  try {
    const s = await callApi<{ topIps?: Array<{ ip: string; rate: number }> }>(config, 'GET', '/api/v1/status');
    topIps = Array.isArray(s.topIps) ? s.topIps : undefined;
  } catch {
    /* no token here (not root?): the realip check just goes without the daemon's view */
  }
  return { finding: { level: 'ok', what: 'daemon', detail: `running, API at ${base}` }, topIps };
}
