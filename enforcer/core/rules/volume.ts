// Rule `volume`: a client's requests over 10 minutes or an hour are far above the population's heavy clients (a high
// quantile of their sums, times a factor) and above absolute floors: scrapers that stay under every short-window rule.
// Heavy legitimate clients (a sync client, monitoring, a crawler you want) look the same, so it alerts by default;
// the dashboard lists the heaviest clients to allow-list them, then `mode: ban` can be set.
import { num, positive } from '../../config/fields.js';
import type { ClientRule, TickContext } from './types.js';
import { below } from './stats.js';
import { peerLevel } from './peer-level.js';

/** The volume rule's settings (keys under `detection.rules.volume`). */
export interface VolumeSettings {
  /** Lowest thresholds, req/s averaged over 10 minutes and over the hour. */
  floor10m: number;
  floor1h: number;
  quantile: number;
  factor: number;
}

/** The thresholds in force at this tick: [10 minutes, 1 hour], requests. */
export function volumeThresholds(s: VolumeSettings, ctx: TickContext): [number, number] {
  return [
    Math.max(s.floor10m * ctx.seconds['10m'], s.factor * peerLevel(ctx.population, s.quantile, 'total', '10m')),
    Math.max(s.floor1h * ctx.seconds['1h'], s.factor * peerLevel(ctx.population, s.quantile, 'total', '1h')),
  ];
}

/** The volume rule: requests over 10 min and 1 h vs the population's heavy clients (alert by default). */
const rule: ClientRule<VolumeSettings> = {
  name: 'volume',
  scope: 'client',
  title: 'volume',
  summary: "the client's requests over 10 minutes or an hour are above `factor` times the heavy clients' (`quantile`) and above the floors",
  defaultMode: 'alert',
  tightenable: false,
  keys: {
    floor_10m: { schema: positive().default(3), doc: 'lowest volume threshold over 10 minutes, req/s on average', shown: '`3`' },
    floor_1h: { schema: positive().default(2), doc: 'lowest volume threshold over an hour, req/s on average', shown: '`2`' },
    quantile: {
      schema: num('a number > 0 and < 1', (n, e) => n.gt(0, e).lt(1, e)).default(0.99),
      doc: "quantile of the clients' long-window requests taken as the heavy clients' level (the top two are left out)",
      shown: '`0.99`',
    },
    factor: { schema: positive().default(10), doc: 'volume threshold = this many times that level, when above the floor', shown: '`10`' },
  },
  settings: (d) => {
    const r = d.rules.volume;
    return { floor10m: r.floor_10m as number, floor1h: r.floor_1h as number, quantile: r.quantile as number, factor: r.factor as number };
  },
  reads: { signals: ['total'], windows: ['10m', '1h'] },
  thresholds: (s) => `rate > max(${s.floor10m} req/s, ${s.factor}x q${s.quantile}) over 10m, or max(${s.floor1h} req/s, ...) over 1h`,
  unit: ' req/s',
  gates(s, ctx) {
    const [t10, t1h] = volumeThresholds(s, ctx);
    return [{ signal: 'total', window: '10m', min: below(t10) }, { signal: 'total', window: '1h', min: below(t1h) }];
  },
  judge(client, ctx, s) {
    const [t10, t1h] = volumeThresholds(s, ctx);
    const r10 = client.sum('total', '10m');
    if (r10 > t10) return { value: r10 / ctx.seconds['10m'], threshold: t10 / ctx.seconds['10m'] };
    const r1h = client.sum('total', '1h');
    if (r1h > t1h) return { value: r1h / ctx.seconds['1h'], threshold: t1h / ctx.seconds['1h'] };
    return null;
  },
};

export default rule;
