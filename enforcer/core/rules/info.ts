// What the API (GET /api/v1/rules, the status), the dashboard legend and `warden status` show about each rule: one
// shape, defined once here and imported (as a type) by the dashboard and the CLI.
import { allRules } from './registry.js';
import { modeOf } from './resolve.js';
import { RULE_MODES, type DetectionSection, type RuleMode, type Signal, type WindowName } from './types.js';

/** One rule as shown to people and scripts. */
export interface RuleInfo {
  name: string;
  title: string;
  summary: string;
  scope: 'client' | 'modifier' | 'global';
  mode: RuleMode;
  modes: RuleMode[];
  /** The rule's settings in force, in words (`z > 3`). */
  thresholds: string;
  signals: Signal[];
  windows: WindowName[];
  /** The `/metrics` label value and history filter value (the name). */
  label: string;
}

/**
 * Every registered rule with its mode and thresholds under a validated `detection` section, in judging order.
 * @example ruleInfo(config.detection).find((r) => r.name === 'ceiling')?.thresholds === 'rate > 30 req/s'
 */
export function ruleInfo(detection: DetectionSection): RuleInfo[] {
  return allRules().map((r) => ({
    name: r.name,
    title: r.title,
    summary: r.summary,
    scope: r.scope,
    mode: modeOf(r, detection),
    modes: [...(r.modes ?? RULE_MODES)],
    thresholds: r.thresholds(r.settings(detection)),
    signals: [...r.reads.signals],
    windows: [...r.reads.windows],
    label: r.name,
  }));
}
