// Test helpers for the core: an engine on the default config (with overrides) and a way to feed it whole seconds.
import { parseConfig } from '../../enforcer/config/load.js';
import { createEngine, engineConfigFrom, type Engine, type EngineConfig } from '../../enforcer/core/engine.js';
import type { Counts, Decision, SecondBucket } from '../../enforcer/core/types.js';
import { buildMatcher } from '../../enforcer/net/cidr.js';
import { pushAll } from '../../enforcer/core/arrays.js';

/** A frozen-clock engine: defaults from the real config schema, `detection`/`bans` overrides, loopback allowed. */
export function makeEngine(
  overrides: { detection?: Record<string, unknown>; bans?: Record<string, unknown>; allowlist?: string[] } = {},
  tweak: Partial<EngineConfig> = {},
): Engine {
  const config = parseConfig({ detection: overrides.detection ?? {}, bans: overrides.bans ?? {} }, {});
  const allowed = buildMatcher(['127.0.0.0/8', '::1', ...(overrides.allowlist ?? [])]);
  return createEngine({ ...engineConfigFrom(config), ...tweak }, { isAllowed: allowed });
}

/** A bucket for second `t`: per-IP counts (a number is that many 200s) plus `background` requests from nobody in particular. */
export function bucket(t: number, ips: Record<string, number | Counts>, background = 0): SecondBucket {
  const out: Record<string, Counts> = {};
  const global: Counts = [background, 0, 0];
  for (const [ip, c] of Object.entries(ips)) {
    const counts: Counts = typeof c === 'number' ? [c, 0, 0] : c;
    out[ip] = counts;
    global[0] += counts[0];
    global[1] += counts[1];
    global[2] += counts[2];
  }
  return { t, global, ips: out };
}

/** Feeds second `t` and ticks at t + 1 (the daemon's order: drain completed seconds, then decide). */
export function step(engine: Engine, t: number, ips: Record<string, number | Counts> = {}, background = 0): Decision[] {
  engine.ingest([bucket(t, ips, background)]);
  return engine.tick(t + 1);
}

/** Runs seconds [from, to) with the same traffic each second, returning every decision. */
export function run(
  engine: Engine, from: number, to: number, traffic: (t: number) => { ips?: Record<string, number | Counts>; background?: number } = () => ({}),
): Decision[] {
  const out: Decision[] = [];
  for (let t = from; t < to; t++) {
    const x = traffic(t);
    pushAll(out, step(engine, t, x.ips ?? {}, x.background ?? 0));
  }
  return out;
}

/** Only the decisions of one kind. */
export function only<K extends Decision['kind']>(ds: Decision[], kind: K): Array<Extract<Decision, { kind: K }>> {
  return ds.filter((d): d is Extract<Decision, { kind: K }> => d.kind === kind);
}

/** An hour-aligned epoch second (UTC hour `h` of 2026-01-01 plus `days`). */
export function at(h: number, days = 0): number {
  return Date.UTC(2026, 0, 1 + days, h) / 1000;
}
