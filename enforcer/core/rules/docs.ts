// The README configuration rows of every registered rule, generated from the registry (a test checks README.md has
// them, so a rule's documented keys cannot drift from its schema).
import { allRules } from './registry.js';
import { RULE_MODES } from './types.js';

/**
 * One README table row per rule key: the keys kept under `detection`, then `detection.rules.<name>.mode` and the rule's
 * own keys.
 * @example ruleConfigRows()[0] === '| `detection.zscore` | `3.0` | ban when the IP\'s z-score is above this |'
 */
export function ruleConfigRows(): string[] {
  const rows: string[] = [];
  for (const r of allRules()) {
    for (const [key, k] of Object.entries(r.legacyKeys ?? {})) rows.push(`| \`detection.${key}\` | ${k.shown} | ${k.doc} |`);
  }
  for (const r of allRules()) {
    const modes = (r.modes ?? RULE_MODES).join(', ');
    rows.push(`| \`detection.rules.${r.name}.mode\` | \`${r.defaultMode}\` | rule \`${r.name}\` (${modes}): ${r.summary} |`);
    for (const [key, k] of Object.entries(r.keys ?? {})) rows.push(`| \`detection.rules.${r.name}.${key}\` | ${k.shown} | ${k.doc} |`);
  }
  return rows;
}
