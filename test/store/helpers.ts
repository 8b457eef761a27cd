// Test helpers for the store: a temp directory per test (removed after) and ban decisions with sensible defaults.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { BanDecision } from '../../enforcer/core/types.js';

/** A fresh database path in a temp directory that is removed when the test ends. */
export function tempDb(t: TestContext, name = 'warden.db'): string {
  const dir = mkdtempSync(join(tmpdir(), 'warden-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'sub', name);
}

/** A ban decision of `ip` at `at` lasting `dur` seconds (null: permanent); override anything. */
export function ban(ip: string, at: number, dur: number | null = 600, over: Partial<BanDecision> = {}): BanDecision {
  return {
    kind: 'ban', ip, at, until: dur === null ? null : at + dur, durationSec: dur, step: 1, rule: 'zscore',
    rate: 50, errorRate: 1, z: 7.5, tightened: false, source: 'auto',
    baseline: { mean: 5, stddev: 2, errorMean: 0.5, rawMean: 5, rawStddev: 2, samples: 3600, source: 'rolling', computedAt: at },
    ...over,
  };
}
