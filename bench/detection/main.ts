// The detection suite (issue 11): synthetic busy and quiet sites with realistic page loads, the real log, one attack
// per rule and the traps that must never ban, replayed in-process through the daemon's decision engine, with the
// Python original's rules side by side. Deterministic (seeded).
// Run: npm run bench -- detection [--short] [--variant default|original|both] [--only NAME,...] [--config FILE]
//        [--seed N] [--json] [--out FILE]
// --short: small sizes (5 min of history, 40 s attacks) for a quick look; --config: a warden.yaml to judge instead of the
// defaults; --json: the results as JSON on stdout instead of the table; --out FILE: also write the JSON to FILE
// (npm prints its own lines on stdout, so use --out, or run `node dist/bench/detection/main.js --json`).
import { writeFileSync } from 'node:fs';
import { loadConfig, parseConfig } from '../../enforcer/config/load.js';
import { buildScenarios, FULL, SCENARIO_NAMES, SHORT } from './scenarios.js';
import { runSuite, type Variant } from './run-suite.js';
import { formatTable, summarise } from './table.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const value = (name: string) => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) {
    console.error(`bench/detection: ${name} needs a value`);
    process.exit(2);
  }
  return v;
};
const known = new Set(['--json', '--out', '--short', '--variant', '--only', '--config', '--seed']);
for (const a of args) {
  if (a.startsWith('--') && !known.has(a)) {
    console.error(`bench/detection: unknown option ${a} (known: ${[...known].join(', ')})`);
    process.exit(2);
  }
}
const variantArg = value('--variant') ?? 'both';
if (!['default', 'original', 'both'].includes(variantArg)) {
  console.error(`bench/detection: --variant must be default, original or both, got ${JSON.stringify(variantArg)}`);
  process.exit(2);
}
const variants: Variant[] = variantArg === 'both' ? ['default', 'original'] : [variantArg as Variant];
const seed = Number(value('--seed') ?? 11);
if (!Number.isInteger(seed)) {
  console.error('bench/detection: --seed must be an integer');
  process.exit(2);
}
const configFile = value('--config');
const config = configFile ? loadConfig(configFile) : parseConfig({}, {});
const size = flag('--short') ? SHORT : FULL;
const root = process.env.WARDEN_ROOT ?? process.cwd();
const only = value('--only')?.split(',');
const unknown = (only ?? []).filter((w) => !(SCENARIO_NAMES as readonly string[]).includes(w));
if (unknown.length) {
  console.error(`bench/detection: no scenario ${unknown.join(', ')} (scenarios: ${SCENARIO_NAMES.join(', ')})`);
  process.exit(2);
}
/** The chosen scenarios, built one at a time (a full-size scenario holds up to ~150,000 log lines). */
function* scenarios() {
  for (const name of SCENARIO_NAMES) if (!only || only.includes(name)) yield* buildScenarios(size, root, seed, [name]);
}

const json = flag('--json');
const started = performance.now();
const results = await runSuite(scenarios(), variants, config, (r) => {
  if (!json) process.stderr.write(`  ${r.scenario} (${r.variant}): ${r.requests} requests, ${r.bans.length} ban(s), ${r.replayMs} ms\n`);
});
const elapsedMs = Math.round(performance.now() - started);
const report = JSON.stringify({
  size: flag('--short') ? 'short' : 'full', seed, config: configFile ?? 'defaults', elapsedMs,
  results: results.map((r) => ({ ...r, bans: r.bans.slice(0, 50), bansTotal: r.bans.length })),
  summary: summarise(results),
}, null, 2);
const outFile = value('--out');
if (outFile) writeFileSync(outFile, report + '\n');
if (json) {
  console.log(report);
} else {
  console.log(`detection suite (${flag('--short') ? 'short' : 'full'} size, seed ${seed}, config ${configFile ?? 'defaults'}): caught = attacker units banned within the deadline / units; latency from each unit's first request to its ban; false bans = real clients banned`);
  for (const l of formatTable(results)) console.log(l);
  console.log(`took ${(elapsedMs / 1000).toFixed(1)} s`);
}
