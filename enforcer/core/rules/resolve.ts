// The rules in force: each registered rule with its mode and settings picked from the validated `detection` section
// once (at engine start), `off` ones left out.
import { allRules } from './registry.js';
import type { ClientRule, DetectionSection, GlobalRule, ModifierRule, RuleDef, RuleMode } from './types.js';

/** A rule with its mode and settings. */
export interface Resolved<R extends RuleDef = RuleDef> {
  rule: R;
  mode: Exclude<RuleMode, 'off'>;
  settings: unknown;
}

/** The enabled rules by scope, in judging order. */
export interface ResolvedRules {
  client: Array<Resolved<ClientRule>>;
  modifiers: Array<Resolved<ModifierRule>>;
  global: Array<Resolved<GlobalRule>>;
}

/** The mode `detection.rules.<name>.mode` gives a rule (its default when the section does not name it). */
export function modeOf(rule: RuleDef, detection: DetectionSection): RuleMode {
  return detection.rules?.[rule.name]?.mode ?? rule.defaultMode;
}

/**
 * Resolves every registered rule against a validated `detection` section; rules in mode `off` are left out.
 * @example resolveRules(config.detection).client.map((r) => r.rule.name) // ['zscore', 'multiplier', 'ceiling']
 */
export function resolveRules(detection: DetectionSection): ResolvedRules {
  const out: ResolvedRules = { client: [], modifiers: [], global: [] };
  for (const rule of allRules()) {
    const mode = modeOf(rule, detection);
    if (mode === 'off') continue;
    const settings = rule.settings(detection);
    if (rule.scope === 'client') out.client.push({ rule, mode, settings });
    else if (rule.scope === 'modifier') out.modifiers.push({ rule, mode, settings });
    else out.global.push({ rule, mode, settings });
  }
  return out;
}
