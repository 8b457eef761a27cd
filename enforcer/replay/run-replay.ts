// `warden replay`: runs an access log through the same decision core on simulated time and reports what it would do.
import type { Config } from '../config/schema.js';
import type { Baseline, Counts, Decision } from '../core/types.js';
import { createEngine, engineConfigFrom, originalVariant } from '../core/engine.js';
import { allowMatcher } from '../core/allow-list.js';
import { hostAddresses as readHostAddresses } from '../net/host-addresses.js';
import { readLog } from './read-log.js';
import { floodEvents, type FloodSpec } from './inject-flood.js';
import { formatText, toJson } from './format-decision.js';
import { join } from 'node:path';
import { packageRoot } from '../nginx/locate.js';
import { loadPathClasses } from './path-classes.js';
import { addEvent } from './client-counts.js';

/** Options of a replay. */
export interface ReplayOptions {
  file: string;
  /** One JSON object per line instead of text. */
  json?: boolean;
  config: Config;
  /** Log seconds per simulated second (compresses time); default 1. */
  speed?: number;
  /** `original`: the Python original's baseline (idle seconds skipped, no stddev floor), for comparison. */
  variant?: 'default' | 'original';
  /** A synthetic flood (or several) to add to the log. */
  inject?: FloodSpec | FloodSpec[];
  /**
   * The nginx config holding the warden path maps ($warden_sensitive, $warden_static): the operator's edited
   * /etc/nginx/warden/nginx.conf, or by default the nginx.conf of this package.
   */
  nginxConf?: string;
  /** The host's own addresses for the allow-list when `allow_self` (default: this machine's). */
  hostAddresses?: string[];
  out: (line: string) => void;
}

/** What a replay found. */
export interface ReplaySummary {
  file: string;
  variant: 'default' | 'original';
  speed: number;
  lines: number;
  requests: number;
  skipped: number;
  injected: number;
  ips: number;
  /** Log time span (ISO) and length; simulated length after compression. */
  firstTime: string | null;
  lastTime: string | null;
  logSeconds: number;
  simulatedSeconds: number;
  bans: number;
  bannedIps: string[];
  unbans: number;
  globalAlerts: number;
  /** Alerts of rules in mode `alert` (present only when there were some). */
  ruleAlerts?: number;
  baselineRecomputes: number;
  activeBansAtEnd: number;
  finalBaseline: Baseline;
  elapsedMs: number;
}

const iso = (t: number) => new Date(t * 1000).toISOString().replace('.000Z', 'Z');

/**
 * Replays an access log (combined or JSON) through the decision engine and prints one line per ban, unban and
 * global alert, then a summary. Requests are sorted by time and grouped per simulated second; idle stretches are
 * jumped over in one tick each (their seconds still count as zeros in the baseline).
 * @example
 *   const s = await runReplay({ file: 'access.log', config: loadConfig(undefined), speed: 24, out: console.log });
 *   s.bannedIps // []
 */
export async function runReplay(opts: ReplayOptions): Promise<ReplaySummary> {
  const started = performance.now();
  const speed = opts.speed ?? 1;
  if (!(speed > 0) || !Number.isFinite(speed)) throw new Error(`replay: speed must be a number > 0, got ${speed}`);
  const variant = opts.variant ?? 'default';
  const config = opts.config;
  let cfg = engineConfigFrom(config);
  if (variant === 'original') cfg = originalVariant(cfg);
  const self = config.allow_self ? (opts.hostAddresses ?? readHostAddresses()) : [];
  const isAllowed = allowMatcher({ selfAddrs: self, configured: config.allowlist });
  const engine = createEngine(cfg, { isAllowed });
  const classes = loadPathClasses(opts.nginxConf ?? join(packageRoot(), 'nginx.conf'));
  const prefix = config.detection.ipv6_prefix;

  const log = await readLog(opts.file);
  const events = log.events;
  let injected = 0;
  if (opts.inject && events.length) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const e of events) {
      if (e.t < lo) lo = e.t;
      if (e.t > hi) hi = e.t;
    }
    for (const spec of Array.isArray(opts.inject) ? opts.inject : [opts.inject]) {
      const flood = floodEvents(spec, speed, lo, hi);
      injected += flood.length;
      for (const e of flood) events.push(e);
    }
  }
  events.sort((a, b) => a.t - b.t);

  const t0 = events.length ? events[0].t : 0;
  const simOf = (t: number) => t0 + Math.floor((t - t0) / speed);
  const logOf = (sim: number) => t0 + (sim - t0) * speed;
  const W = cfg.window;

  let bans = 0;
  let unbans = 0;
  let globalAlerts = 0;
  let ruleAlerts = 0;
  let recomputes = 0;
  const banned = new Set<string>();
  const expiries: number[] = [];
  const emit = (ds: Decision[]) => {
    for (const d of ds) {
      if (d.kind === 'baseline') {
        recomputes++;
        continue;
      }
      if (d.kind === 'ban') {
        bans++;
        banned.add(d.ip);
        if (d.until !== null) expiries.push(d.until);
      } else if (d.kind === 'unban') unbans++;
      else if (d.kind === 'rule_alert') ruleAlerts++;
      else if (d.kind === 'global_alert') globalAlerts++;
      const logT = logOf(d.at);
      if (opts.json) opts.out(JSON.stringify(toJson(d, logT)));
      else opts.out(formatText(d, logT) ?? '');
    }
  };

  // Ticks from the last tick up to `target`: one by one while the window still holds traffic, then in one jump,
  // stopping at each ban expiry on the way so unbans land on their second.
  let lastTick: number | null = null;
  let lastData = -Infinity;
  const advanceTo = (target: number) => {
    if (lastTick === null) return;
    while (lastTick < target) {
      let next: number;
      if (lastTick < lastData + W + 1) next = lastTick + 1;
      else {
        next = target;
        for (const u of expiries) if (u > lastTick && u < next) next = u;
      }
      emit(engine.tick(next));
      lastTick = next;
    }
  };

  const ips = new Set<string>();
  let i = 0;
  while (i < events.length) {
    const sim = simOf(events[i].t);
    const perIp: Record<string, Counts> = {};
    const global: Counts = [0, 0, 0, 0, 0];
    for (; i < events.length && simOf(events[i].t) === sim; i++) {
      // The client key and classes nginx would count (IPv6 per prefix; auth failures and probes from the path maps).
      const key = addEvent(perIp, global, events[i], classes, prefix);
      if (key !== null) ips.add(key);
    }
    advanceTo(sim);
    engine.ingest([{ t: sim, global, ips: perIp }]);
    lastData = sim;
    emit(engine.tick(sim + 1));
    lastTick = sim + 1;
    if (expiries.length > 64) expiries.splice(0, expiries.length, ...expiries.filter((u) => u > lastTick!));
  }
  // Let the last window play out (bans can still be decided until the traffic has left it).
  if (lastTick !== null) advanceTo(lastData + W + 1);

  const endAt = lastTick ?? 0;
  const lastT = events.length ? events[events.length - 1].t : 0;
  const summary: ReplaySummary = {
    file: opts.file,
    variant,
    speed,
    lines: log.lines,
    requests: events.length,
    skipped: log.skipped,
    injected,
    ips: ips.size,
    firstTime: events.length ? iso(t0) : null,
    lastTime: events.length ? iso(lastT) : null,
    logSeconds: events.length ? lastT - t0 + 1 : 0,
    simulatedSeconds: events.length ? simOf(lastT) - t0 + 1 : 0,
    bans,
    bannedIps: [...banned],
    unbans,
    globalAlerts,
    baselineRecomputes: recomputes,
    activeBansAtEnd: engine.status(endAt, 0).activeBans.length,
    finalBaseline: engine.baseline(),
    elapsedMs: Math.round(performance.now() - started),
  };
  if (ruleAlerts > 0) summary.ruleAlerts = ruleAlerts;
  if (opts.json) {
    opts.out(JSON.stringify({ summary }));
  } else {
    const b = summary.finalBaseline;
    opts.out(`summary: ${summary.requests} requests (${summary.injected} injected) from ${summary.ips} addresses, ${summary.lines} lines, ${summary.skipped} skipped`);
    opts.out(`summary: log ${summary.firstTime ?? '-'} .. ${summary.lastTime ?? '-'} (${summary.logSeconds}s), simulated ${summary.simulatedSeconds}s at speed ${speed}, variant ${variant}`);
    opts.out(`summary: ${bans} ban(s) of ${banned.size} address(es)${banned.size ? `: ${[...banned].slice(0, 20).join(', ')}${banned.size > 20 ? ', ...' : ''}` : ''}; ${unbans} unban(s); ${globalAlerts} global alert(s)${ruleAlerts ? `; ${ruleAlerts} rule alert(s) (mode alert)` : ''}; ${summary.activeBansAtEnd} still banned at the end`);
    opts.out(`summary: final baseline ${b.mean.toFixed(2)} req/s (stddev ${b.stddev.toFixed(2)}, ${b.source}${b.hour !== undefined ? ` hour ${b.hour}` : ''}, ${b.samples} samples); ${recomputes} recomputations; took ${summary.elapsedMs} ms`);
    for (const s of log.skippedSamples) opts.out(`summary: skipped line ${s.line}: ${s.text}`);
  }
  return summary;
}
