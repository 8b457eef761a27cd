// Renders the service's metrics in the Prometheus text exposition format (version 0.0.4).
import { pushAll } from '../core/arrays.js';
import type { MetricsView } from './service.js';

function label(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function num(n: number): string {
  return Number.isFinite(n) ? String(n) : 'NaN';
}

/** Fleet mode: this node's link, then one series per node and the fleet's totals. */
function fleetMetrics(f: NonNullable<MetricsView['fleet']>, out: string[]): void {
  const node = `node="${label(f.node)}"`;
  const gauge = (name: string, help: string, lines: string[]) => { out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`); pushAll(out, lines); }
  gauge('warden_fleet_connected', 'This node is in step with Valkey (1) or detecting alone (0).', [`warden_fleet_connected{${node}} ${f.connected ? 1 : 0}`]);
  gauge('warden_fleet_decider', 'This node holds the deciding lease.', [`warden_fleet_decider{${node}} ${f.role === 'decider' ? 1 : 0}`]);
  gauge('warden_fleet_queued_decisions', 'Own decisions waiting for Valkey.', [`warden_fleet_queued_decisions{${node}} ${num(f.queued)}`]);
  out.push('# HELP warden_fleet_decisions_total Fleet decisions received here, by outcome.', '# TYPE warden_fleet_decisions_total counter',
    `warden_fleet_decisions_total{${node},outcome="applied"} ${num(f.applied)}`, `warden_fleet_decisions_total{${node},outcome="refused"} ${num(f.refused)}`);
  gauge('warden_fleet_lag_ms', 'Decision -> applied on this node, milliseconds (last, and p99 of the last 1,000).', [
    `warden_fleet_lag_ms{${node},stat="last"} ${num(f.lagMs ?? NaN)}`, `warden_fleet_lag_ms{${node},stat="p99"} ${num(f.lagP99Ms ?? NaN)}`]);
  gauge('warden_fleet_clock_offset_ms', 'Valkey server clock minus this host clock, milliseconds.', [`warden_fleet_clock_offset_ms{${node}} ${num(f.clockOffsetMs)}`]);
  gauge('warden_fleet_node_requests_per_second', 'Each node\'s request rate, from its heartbeat.',
    f.nodes.map((n) => `warden_fleet_node_requests_per_second{node="${label(n.node)}"} ${num(n.rate)}`));
  gauge('warden_fleet_node_last_seen_ms', 'Milliseconds since each node\'s last heartbeat.',
    f.nodes.map((n) => `warden_fleet_node_last_seen_ms{node="${label(n.node)}"} ${num(n.lastSeenMs)}`));
  gauge('warden_fleet_nodes', 'Nodes seen in the last 5 s.', [`warden_fleet_nodes ${f.nodes.filter((n) => !n.stale).length}`]);
  gauge('warden_fleet_requests_per_second', 'Fleet-wide request rate: the sum of the live nodes\' rates.',
    [`warden_fleet_requests_per_second ${num(f.nodes.filter((n) => !n.stale).reduce((s, n) => s + n.rate, 0))}`]);
}

/**
 * Prometheus text for a MetricsView (every metric has HELP and TYPE lines; ends with a newline).
 * @example metricsText(service.metrics()).startsWith('# HELP warden_requests_seen_total')
 */
export function metricsText(m: MetricsView): string {
  const out: string[] = [];
  const one = (name: string, type: 'counter' | 'gauge', help: string, value: number) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${num(value)}`);
  };
  one('warden_requests_seen_total', 'counter', 'Requests counted by nginx and seen by the enforcer.', m.requestsSeen);
  one('warden_bans_active', 'gauge', 'IPs and networks banned right now.', m.bansActive);
  one('warden_bans_active_networks', 'gauge', 'Networks (prefix bans such as a /64) among the active bans.', m.bansActiveNetworks);
  out.push('# HELP warden_bans_total Bans since the database was created, by rule.', '# TYPE warden_bans_total counter');
  for (const [rule, n] of Object.entries(m.bansTotalByRule)) out.push(`warden_bans_total{rule="${label(rule)}"} ${num(n)}`);
  out.push('# HELP warden_rule_alerts_total Alerts of rules in mode alert (decided, not enforced) since the daemon started, by rule.', '# TYPE warden_rule_alerts_total counter');
  for (const [rule, n] of Object.entries(m.ruleAlertsByRule)) out.push(`warden_rule_alerts_total{rule="${label(rule)}"} ${num(n)}`);
  out.push('# HELP warden_rule_mode Each detection rule\'s mode (ban, alert or off): 1 for the mode in force.', '# TYPE warden_rule_mode gauge');
  for (const { rule, mode } of m.ruleModes) out.push(`warden_rule_mode{rule="${label(rule)}",mode="${label(mode)}"} 1`);
  one('warden_decision_latency_ms', 'gauge', 'Time the last decide-and-enforce pass took, milliseconds.', m.decisionLatencyMs);
  one('warden_poll_errors_total', 'counter', 'Failed polls of the nginx counters.', m.pollErrors);
  one('warden_dropped_requests_total', 'counter', 'Requests nginx could not count.', m.droppedTotal);
  one('warden_unattributed_requests_total', 'counter', 'Requests from a trusted proxy\'s own address (X-Forwarded-For missing or unparseable): in the totals, never counted against a client.', m.unattributedTotal);
  one('warden_poll_duration_ms', 'gauge', 'Duration of the last poll of nginx, milliseconds.', m.pollDurationMs);
  one('warden_alerts_pending', 'gauge', 'Alerts waiting to be sent.', m.alertsPending);
  one('warden_alerts_dropped_total', 'counter', 'Alerts dropped because the queue was full.', m.alertsDropped);
  if (m.fleet) fleetMetrics(m.fleet, out);
  return out.join('\n') + '\n';
}
