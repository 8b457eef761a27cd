// The one list of detection rules. Everything that names a rule (config schema, engine, pre-filter, replay, audit,
// alerts, API, CLI, dashboard, history filters, /metrics) reads it from here. Adding a rule: one module, one line below.
import type { ClientRule, GlobalRule, ModifierRule, RuleDef } from './types.js';
import zscore from './zscore.js';
import multiplier from './multiplier.js';
import ceiling from './ceiling.js';
import errorSurge from './error-surge.js';
import globalSurge from './global-surge.js';

/** The built-in rules, in the order the engine tries them (the first client rule that fires is the one reported). */
const BUILTIN: readonly RuleDef[] = [zscore, multiplier, ceiling, errorSurge, globalSurge] as RuleDef[];

let rules: RuleDef[] = [...BUILTIN];
let version = 0;

/** The rule name of an operator's ban: not a detection rule, but a valid `rule` everywhere a ban's rule is shown. */
export const MANUAL = 'manual';

const NAME = /^[a-z][a-z0-9_]{0,31}$/;

/**
 * Every registered rule, in judging order.
 * @example allRules().map((r) => r.name) // ['zscore', 'multiplier', 'ceiling', 'error_surge', 'global_surge']
 */
export function allRules(): readonly RuleDef[] {
  return rules;
}

/** The client rules (they ban or alert per client), in judging order. */
export function clientRules(): ClientRule[] {
  return rules.filter((r): r is ClientRule => r.scope === 'client');
}

/** The modifier rules (error-surge tightening). */
export function modifierRules(): ModifierRule[] {
  return rules.filter((r): r is ModifierRule => r.scope === 'modifier');
}

/** The global rules (alert only). */
export function globalRules(): GlobalRule[] {
  return rules.filter((r): r is GlobalRule => r.scope === 'global');
}

/** A rule by name, or undefined. */
export function getRule(name: string): RuleDef | undefined {
  return rules.find((r) => r.name === name);
}

/**
 * The names a ban's `rule` may carry: the client rules and `manual` (for history filters, API and CLI validation).
 * @example banRuleNames() // ['zscore', 'multiplier', 'ceiling', 'manual']
 */
export function banRuleNames(): string[] {
  return [...clientRules().map((r) => r.name), MANUAL];
}

/**
 * True when `name` is a rule a ban may carry (a client rule or `manual`).
 * @example isBanRule('ceiling') === true; isBanRule('bogus') === false
 */
export function isBanRule(name: string): boolean {
  return name === MANUAL || clientRules().some((r) => r.name === name);
}

/** Changes at every registerRule/unregisterRule: lets the config schema be rebuilt only when the list changed. */
export function registryVersion(): number {
  return version;
}

/**
 * Adds a rule at the end of the list (before the global rules for a client rule). For tests and experiments: shipped
 * rules are listed in BUILTIN above. Throws for a bad or taken name.
 * @example registerRule(toyRule); try { ... } finally { unregisterRule(toyRule.name); }
 */
export function registerRule(def: RuleDef): void {
  if (!NAME.test(def.name) || def.name === MANUAL) throw new Error(`rule name ${JSON.stringify(def.name)}: expected [a-z][a-z0-9_]{0,31}, not manual`);
  if (getRule(def.name)) throw new Error(`rule ${def.name} is already registered`);
  const firstGlobal = rules.findIndex((r) => r.scope === 'global');
  if (def.scope !== 'global' && firstGlobal >= 0) rules.splice(firstGlobal, 0, def);
  else rules.push(def);
  version++;
}

/** Removes a rule added by registerRule (a built-in one cannot be removed). */
export function unregisterRule(name: string): void {
  if (BUILTIN.some((r) => r.name === name)) throw new Error(`rule ${name} is built in`);
  rules = rules.filter((r) => r.name !== name);
  version++;
}
