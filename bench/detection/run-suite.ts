// Runs detection scenarios through `warden replay` in-process (the daemon's own decision engine on simulated time)
// and scores each against its ground truth.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../enforcer/config/schema.js';
import { parseLine } from '../../enforcer/replay/parse-line.js';
import { runReplay } from '../../enforcer/replay/run-replay.js';
import type { Scenario } from './scenarios.js';
import { score, type BanRecord, type Score } from './score.js';

/** The rule set a run uses: today's defaults (`default`) or the Python original's (`original`). */
export type Variant = 'default' | 'original';

/** One scenario under one variant. */
export interface ScenarioResult {
  scenario: string;
  kind: Scenario['kind'];
  target: string;
  description: string;
  variant: Variant;
  deadlineSec: number | null;
  need: number;
  requests: number;
  bans: BanRecord[];
  score: Score;
  replayMs: number;
}

/**
 * Replays each scenario under each variant and scores it (scenarios are taken one at a time: pass a generator to keep
 * only one in memory). The log goes through a temporary file, so parsing and
 * classification are exactly those of `warden replay LOG`; the file is removed afterwards.
 * @example const results = await runSuite(buildScenarios(SHORT, root), ['default', 'original'], parseConfig({}, {}));
 */
export async function runSuite(scenarios: Iterable<Scenario>, variants: Variant[], config: Config, onResult?: (r: ScenarioResult) => void): Promise<ScenarioResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-detection-'));
  const results: ScenarioResult[] = [];
  try {
    for (const sc of scenarios) {
      const file = join(dir, `${sc.name}.log`);
      writeFileSync(file, sc.lines.join('\n') + '\n');
      const requests: Array<{ t: number; ip: string }> = [];
      for (const l of sc.lines) {
        const e = parseLine(l);
        if (e) requests.push(e);
      }
      for (const variant of variants) {
        const bans: BanRecord[] = [];
        const out = (line: string) => {
          const o = JSON.parse(line) as Record<string, unknown>;
          if (o.action === 'ban') bans.push({ at: o.sim_time as number, target: String(o.ip), rule: String(o.rule) });
        };
        const summary = await runReplay({ file, config, variant, speed: 1, json: true, hostAddresses: [], out });
        const r: ScenarioResult = {
          scenario: sc.name,
          kind: sc.kind,
          target: sc.target,
          description: sc.description,
          variant,
          deadlineSec: sc.deadlineSec ?? null,
          need: sc.need ?? 1,
          requests: summary.requests,
          bans,
          score: score(requests, bans, sc),
          replayMs: summary.elapsedMs,
        };
        results.push(r);
        onResult?.(r);
      }
      rmSync(file, { force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
