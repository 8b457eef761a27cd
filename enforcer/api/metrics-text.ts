// Renders the service's metrics in the Prometheus text exposition format (version 0.0.4).
import type { MetricsView } from './service.js';

function label(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function num(n: number): string {
  return Number.isFinite(n) ? String(n) : 'NaN';
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
  one('warden_poll_duration_ms', 'gauge', 'Duration of the last poll of nginx, milliseconds.', m.pollDurationMs);
  one('warden_alerts_pending', 'gauge', 'Alerts waiting to be sent.', m.alertsPending);
  one('warden_alerts_dropped_total', 'counter', 'Alerts dropped because the queue was full.', m.alertsDropped);
  return out.join('\n') + '\n';
}
