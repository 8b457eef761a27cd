// The deterministic traffic plan of bench/compare: the real access log replayed time-compressed (each log address
// mapped to its own test address) plus four attacks at fixed times. Pure: log text and options in, a plan out.
import { parseTimeLocal } from '../../enforcer/replay/parse-line.js';
import { prng } from '../prng.js';

/** One replayed request: when (ms after the start), from which test address, and what. */
export interface ReplayRequest {
  atMs: number;
  /** Index into `Plan.replayAddresses`. */
  client: number;
  method: string;
  path: string;
  /** The status the log recorded; nginx is told to answer it (4xx/5xx) through a header. */
  status: number;
  ua: string;
}

/** One attack: its addresses send at a fixed pace (or as fast as they can) from `startMs` for `durationMs`. */
export interface Attack {
  name: 'flood' | 'scraper' | 'credential stuffing' | 'burst' | 'background';
  description: string;
  addresses: string[];
  startMs: number;
  durationMs: number;
  /** Requests per second per address; 0 = as fast as `concurrency` keep-alive connections go. */
  ratePerAddress: number;
  concurrency: number;
  method: 'GET' | 'POST';
  /** Path template; `{n}` becomes the request's sequence number (a scraper walks distinct pages). */
  path: string;
  /** A request with no answer after this long counts as dropped. */
  timeoutMs: number;
}

/** Figures of the replayed traffic that the attack rates and the fail2ban jail are derived from (printed). */
export interface TrafficStats {
  requests: number;
  clients: number;
  logSeconds: number;
  replaySeconds: number;
  /** Mean requests/s over the replay. */
  globalRate: number;
  /** Per-IP baseline: mean over (address, 60-s window) pairs with traffic of requests/60 (req/s). */
  perIpBaselineRate: number;
  /** The most requests one real address sent within any 60 s of the replay, and which log address. */
  busiest60s: { count: number; ip: string };
}

/** The whole plan both systems get. */
export interface Plan {
  speed: number;
  seed: number;
  replay: ReplayRequest[];
  /** Test address of log client i. */
  replayAddresses: string[];
  /** Log address of log client i (to say who was wrongly banned). */
  logAddresses: string[];
  attacks: Attack[];
  stats: TrafficStats;
  /** When the last traffic ends (ms after the start). */
  endMs: number;
}

/** What the driver needs of a plan: the replayed requests (possibly none) and the attacks. */
export type DriverPlan = Pick<Plan, 'replay' | 'replayAddresses' | 'attacks'>;

/** Options of makePlan. */
export interface PlanOptions {
  /** Log seconds per replayed second (default 1000: the 83-hour log lasts about 5 minutes). */
  speed?: number;
  seed?: number;
  /** Seconds of replay before the first attack (default 130: warden's default baseline needs 2 recomputations of 60 s). */
  warmupSec?: number;
}

// addr ident user [time] "METHOD path proto" status bytes "referer" "ua" (a cut-off last quote is accepted)
const LINE_RE = /^(\S+) \S+ \S+ \[([^\]]+)\] "([A-Z]+) (\S+)[^"]*" (\d{3}) \S+(?: "(?:[^"\\]|\\.)*" "((?:[^"\\]|\\.)*)"?)?/;

/** Test address of the i-th replayed client: 198.19.0.0/16 (RFC 2544 benchmarking range), .1 to .250 per /24. */
export function replayAddress(i: number): string {
  if (i < 0 || i >= 250 * 256) throw new Error(`replayAddress: ${i} out of range`);
  return `198.19.${Math.floor(i / 250)}.${1 + (i % 250)}`;
}


/** The largest number of timestamps (sorted, seconds) inside any window of `w` seconds. */
export function maxInWindow(sorted: number[], w: number): number {
  let j = 0;
  let best = 0;
  for (let i = 0; i < sorted.length; i++) {
    while (sorted[i] - sorted[j] >= w) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

/**
 * Builds the plan from the text of a combined-format access log.
 * Attacks (times after the start of the replay; W = warm-up):
 *  1. flood: one address, 4 keep-alive connections back to back, W s, up to 20 s;
 *  2. scraper: one address at 10x the per-IP baseline rate walking distinct pages, W+10 s, 60 s;
 *  3. credential stuffing: one address POSTing /login (401) at 2 req/s, W+30 s, 45 s;
 *  4. burst: 200 addresses, each at twice the busiest real address's peak 60-s rate, W+85 s, 45 s.
 * @example const plan = makePlan(readFileSync('access.log', 'utf8'), { speed: 1000 });
 */
export function makePlan(logText: string, opts: PlanOptions = {}): Plan {
  const speed = opts.speed ?? 1000;
  const seed = opts.seed ?? 6;
  const warmupMs = (opts.warmupSec ?? 130) * 1000;
  const rows: Array<{ t: number; ip: string; method: string; path: string; status: number; ua: string; n: number }> = [];
  let n = 0;
  for (const line of logText.split('\n')) {
    const m = LINE_RE.exec(line);
    if (!m) continue;
    const t = parseTimeLocal(m[2]);
    if (t === null) continue;
    rows.push({ t, ip: m[1], method: m[3], path: m[4], status: Number(m[5]), ua: (m[6] ?? '').replace(/\\"/g, '"'), n: n++ });
  }
  if (rows.length === 0) throw new Error('makePlan: no combined-format request lines in the log');
  // Stable: lines out of order by a second keep their order within a second.
  rows.sort((a, b) => a.t - b.t || a.n - b.n);
  const t0 = rows[0].t;
  const index = new Map<string, number>();
  const logAddresses: string[] = [];
  const replay: ReplayRequest[] = rows.map((r) => {
    let client = index.get(r.ip);
    if (client === undefined) {
      client = logAddresses.length;
      index.set(r.ip, client);
      logAddresses.push(r.ip);
    }
    return { atMs: Math.round(((r.t - t0) * 1000) / speed), client, method: r.method, path: r.path, status: r.status, ua: r.ua };
  });
  const replayMs = replay[replay.length - 1].atMs;

  // Per-address timestamps in replayed seconds.
  const times: number[][] = logAddresses.map(() => []);
  for (const q of replay) times[q.client].push(q.atMs / 1000);
  const windows = new Map<string, number>();
  for (const q of replay) {
    const k = `${q.client}|${Math.floor(q.atMs / 60_000)}`;
    windows.set(k, (windows.get(k) ?? 0) + 1);
  }
  let sum = 0;
  for (const c of windows.values()) sum += c;
  const perIpBaselineRate = sum / windows.size / 60;
  let busiest = { count: 0, ip: '' };
  times.forEach((ts, i) => {
    const c = maxInWindow(ts, 60);
    if (c > busiest.count) busiest = { count: c, ip: logAddresses[i] };
  });
  const stats: TrafficStats = {
    requests: replay.length, clients: logAddresses.length, logSeconds: rows[rows.length - 1].t - t0,
    replaySeconds: replayMs / 1000, globalRate: replay.length / Math.max(1, replayMs / 1000), perIpBaselineRate, busiest60s: busiest,
  };

  const rnd = prng(seed);
  const burstAddresses = Array.from({ length: 200 }, (_, i) => `198.18.${101 + Math.floor(i / 250)}.${1 + (i % 250)}`);
  const scraperRate = 10 * perIpBaselineRate;
  const burstRate = (2 * busiest.count) / 60;
  const attacks: Attack[] = [
    { name: 'flood', description: 'one address, 4 keep-alive connections back to back (up to 20 s)',
      addresses: ['198.18.100.1'], startMs: warmupMs, durationMs: 20_000, ratePerAddress: 0, concurrency: 4, method: 'GET',
      path: '/', timeoutMs: 500 },
    { name: 'scraper', description: `one address at 10x the per-IP baseline (${scraperRate.toFixed(2)} req/s), distinct pages, 60 s`,
      addresses: ['198.18.100.2'], startMs: warmupMs + 10_000, durationMs: 60_000, ratePerAddress: scraperRate, concurrency: 2,
      method: 'GET', path: `/articles/${Math.floor(rnd() * 1e6)}/page-{n}.html`, timeoutMs: 1000 },
    { name: 'credential stuffing', description: 'one address POSTing /login (answered 401) at 2 req/s, 45 s',
      addresses: ['198.18.100.3'], startMs: warmupMs + 30_000, durationMs: 45_000, ratePerAddress: 2, concurrency: 2,
      method: 'POST', path: '/login', timeoutMs: 1000 },
    { name: 'burst', description: `200 addresses, each at 2x the busiest real address's peak (${burstRate.toFixed(2)} req/s), 45 s`,
      addresses: burstAddresses, startMs: warmupMs + 85_000, durationMs: 45_000, ratePerAddress: burstRate, concurrency: 2,
      method: 'GET', path: '/', timeoutMs: 1000 },
  ];
  const endMs = Math.max(replayMs, ...attacks.map((a) => a.startMs + a.durationMs));
  return { speed, seed, replay, replayAddresses: logAddresses.map((_, i) => replayAddress(i)), logAddresses, attacks, stats, endMs };
}
