// Prints the detection suite's results: one row per scenario with the variants side by side, and a summary line.
import type { ScenarioResult, Variant } from './run-suite.js';

/** Totals of one variant over the suite. */
export interface SuiteSummary {
  variant: Variant;
  attacks: number;
  attacksCaught: number;
  traps: number;
  trapsClean: number;
  /** Real clients banned, summed over scenarios. */
  falseBans: number;
}

/**
 * Totals per variant: attacks caught in time, traps without a false ban, real clients banned.
 * @example summarise(results).find((s) => s.variant === 'default')!.attacksCaught
 */
export function summarise(results: ScenarioResult[]): SuiteSummary[] {
  const variants = [...new Set(results.map((r) => r.variant))];
  return variants.map((variant) => {
    const rs = results.filter((r) => r.variant === variant);
    const attacks = rs.filter((r) => r.kind === 'attack');
    const traps = rs.filter((r) => r.kind === 'trap');
    return {
      variant,
      attacks: attacks.length,
      attacksCaught: attacks.filter((r) => r.score.caught).length,
      traps: traps.length,
      trapsClean: traps.filter((r) => r.score.falseBans === 0).length,
      falseBans: rs.reduce((n, r) => n + r.score.falseBans, 0),
    };
  });
}

/** What one rule did over the suite under one variant. */
export interface RuleSummary {
  variant: Variant;
  rule: string;
  /** Attacker units whose first ban was by this rule, and in which scenarios. */
  attackerUnits: number;
  attackScenarios: string[];
  /** Bans by this rule that covered a real client, and in which scenarios. */
  falseBans: number;
  falseScenarios: string[];
}

/**
 * Per variant and rule: the attacker units it banned first and the false bans it made, with the scenarios.
 * @example perRule(results).filter((r) => r.falseBans > 0) // the rules to look at when a trap fails
 */
export function perRule(results: ScenarioResult[]): RuleSummary[] {
  const out = new Map<string, RuleSummary>();
  const get = (variant: Variant, rule: string) => {
    const k = `${variant}\0${rule}`;
    let r = out.get(k);
    if (!r) out.set(k, (r = { variant, rule, attackerUnits: 0, attackScenarios: [], falseBans: 0, falseScenarios: [] }));
    return r;
  };
  for (const res of results) {
    for (const [rule, n] of Object.entries(res.score.rules)) {
      const r = get(res.variant, rule);
      r.attackerUnits += n;
      r.attackScenarios.push(res.scenario);
    }
    for (const [rule, n] of Object.entries(res.score.falseRules)) {
      const r = get(res.variant, rule);
      r.falseBans += n;
      r.falseScenarios.push(res.scenario);
    }
  }
  const order = [...new Set(results.map((r) => r.variant))];
  return [...out.values()].sort((a, b) => order.indexOf(a.variant) - order.indexOf(b.variant) || a.rule.localeCompare(b.rule));
}

const sec = (n: number | null) => (n === null ? '-' : `${n}s`);
const rulesText = (m: Record<string, number>) => Object.entries(m).map(([k, v]) => `${k}:${v}`).join(',') || '-';

/** The cells of one result: caught (units in time / units, and the verdict), latency p50/p95, false bans, rules. */
function cells(r: ScenarioResult): string[] {
  const s = r.score;
  const caught = r.kind === 'trap' ? '-' : `${s.caught ? 'yes' : 'NO'} ${s.inTime}/${s.units}`;
  const falseCell = s.falseBans ? `${s.falseBans} (${rulesText(s.falseRules)})` : '0';
  return [caught, `${sec(s.p50)}/${sec(s.p95)}`, falseCell, rulesText(s.rules)];
}

/** Pads the columns of rows of text cells. */
function layout(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length)));
  return rows.map((row) => row.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd());
}

/**
 * The suite as text: a header, one row per scenario (attacks first) with each variant's caught / p50/p95 / false bans /
 * rules, then per rule what it banned (attackers and real clients, by scenario), then one summary line per variant.
 * @example formatTable(results).forEach((l) => console.log(l))
 */
export function formatTable(results: ScenarioResult[]): string[] {
  const variants = [...new Set(results.map((r) => r.variant))];
  const names = [...new Set(results.map((r) => r.scenario))];
  const head = ['scenario', 'rule', 'deadline'];
  for (const v of variants) head.push(`${v}: caught`, 'p50/p95', 'false bans', 'banned by');
  const rows = [head];
  for (const name of names) {
    const rs = variants.map((v) => results.find((r) => r.scenario === name && r.variant === v)!);
    const first = rs[0];
    const deadline = first.deadlineSec === null ? '-' : `${first.deadlineSec}s${first.need < 1 ? ` (${Math.round(first.need * 100)}%)` : ''}`;
    rows.push([name, first.target, deadline, ...rs.flatMap(cells)]);
  }
  const lines = layout(rows);
  lines.splice(1, 0, '-'.repeat(lines[0].length));
  lines.push('');
  const byRule = perRule(results);
  if (byRule.length) {
    const list = (xs: string[]) => (xs.length ? xs.join(', ') : '-');
    const ruleRows = [['variant', 'rule', 'attacker units banned', 'in', 'false bans', 'in']];
    for (const r of byRule) ruleRows.push([r.variant, r.rule, String(r.attackerUnits), list(r.attackScenarios), String(r.falseBans), list(r.falseScenarios)]);
    const rl = layout(ruleRows);
    lines.push(rl[0], '-'.repeat(rl[0].length), ...rl.slice(1), '');
  }
  for (const s of summarise(results)) {
    lines.push(`summary ${s.variant}: attacks caught in time ${s.attacksCaught}/${s.attacks}; traps without a false ban ${s.trapsClean}/${s.traps}; real clients banned ${s.falseBans}`);
  }
  return lines;
}
