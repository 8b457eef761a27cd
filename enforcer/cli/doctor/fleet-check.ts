// `warden doctor`'s fleet check (docs/fleet.md): the Valkey/Redis server answers with the configured user, who holds
// the deciding lease, whether this node's heartbeat is fresh, and how far this host's clock is from the server's.
import type { Config } from '../../config/schema.js';
import { createValkeyLink, redactUrl } from '../../adapters/fleet/valkey-link.js';
import { fleetNodeName } from '../../daemon/fleet-node.js';
import type { Finding } from './finding.js';

/**
 * The fleet findings; none without a `fleet:` section.
 * @example for (const f of await checkFleet(config)) console.log(f.level, f.detail);
 */
export async function checkFleet(config: Config, timeoutMs = 2000): Promise<Finding[]> {
  const fleet = config.fleet;
  if (!fleet) return [];
  const where = redactUrl(fleet.url);
  const node = fleetNodeName(fleet);
  let link;
  try {
    link = createValkeyLink(fleet, { info: () => {}, warn: () => {} });
  } catch (err) {
    return [{ level: 'fail', what: 'fleet', detail: `cannot use ${where}: ${(err as Error).message}`, fix: 'check fleet.url, fleet.tls_ca (docs/fleet.md)' }];
  }
  try {
    if (!(await link.connect(timeoutMs))) {
      return [{ level: 'fail', what: 'fleet', detail: `${where} not reachable (or the user/password is refused) within ${timeoutMs} ms`,
        fix: 'is the server running and reachable from this host? Are user, password (fleet.url) and TLS (rediss://, fleet.tls_ca) right? docs/fleet.md shows the ACL user' }];
    }
    const out: Finding[] = [{ level: 'ok', what: 'fleet', detail: `${where} reachable as node ${node}` }];
    const offset = await link.clockOffsetMs();
    out.push(Math.abs(offset) > 2000
      ? { level: 'warn', what: 'fleet clock', detail: `this host's clock is ${(offset / -1000).toFixed(1)} s off the server's`, fix: 'run NTP (chrony/systemd-timesyncd) on every node; counts are filed by the server clock anyway' }
      : { level: 'ok', what: 'fleet clock', detail: `${Math.round(offset)} ms from the server's clock` });
    const holder = await link.leaseHolder();
    out.push(holder
      ? { level: 'ok', what: 'fleet decider', detail: `${holder.split('|')[0]} decides (token ${holder.split('|')[1]})` }
      : { level: 'warn', what: 'fleet decider', detail: 'no node holds the deciding lease', fix: 'start the daemons (`systemctl start nginx-warden`); one takes the lease within a second' });
    const beat = (await link.nodes())[node];
    let seen: number | null = null;
    try {
      seen = beat ? (JSON.parse(beat) as { seen: number }).seen : null;
    } catch {
      seen = null;
    }
    const age = seen === null ? null : Date.now() + offset - seen;
    out.push(age !== null && age < 5000
      ? { level: 'ok', what: 'fleet node', detail: `${node}'s heartbeat is ${(age / 1000).toFixed(1)} s old` }
      : { level: 'warn', what: 'fleet node', detail: age === null ? `no heartbeat from ${node} yet` : `${node}'s last heartbeat is ${(age / 1000).toFixed(0)} s old`,
        fix: 'is this daemon running with the same fleet.node (default: the host name)? `warden status` shows its fleet link' });
    return out;
  } catch (err) {
    return [{ level: 'fail', what: 'fleet', detail: `${where}: ${(err as Error).message}`, fix: 'check the ACL user\'s permissions (docs/fleet.md)' }];
  } finally {
    await link.close();
  }
}
