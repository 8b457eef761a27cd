// The detection suite's scenarios: backgrounds (busy, quiet, the real log), one attack per rule and the traps that must
// never ban, each with its ground truth (which addresses or prefixes attack) and the deadline. Built from a
// seed, so every run sees the same requests.
import { readFileSync } from 'node:fs';
import { prng } from '../prng.js';
import { browse, clientV4, clientV6, logLine, randInt, steady, type Rand, type Req } from './traffic.js';

/** A scenario ready to replay: its log lines and its ground truth. */
export interface Scenario {
  name: string;
  kind: 'attack' | 'trap';
  /** The rule family an attack is aimed at (`burst`, `auth`, `probing`, `prefix`, `volume`, `spread`) or `trap`. */
  target: string;
  /** One line saying what happens. */
  description: string;
  /** Access-log lines (combined format), in any order. */
  lines: string[];
  /** Ground truth: attacker addresses or prefixes (CIDR); a ban covering anything else is a false ban. */
  attackers: string[];
  /** Attacks: a unit counts as caught when banned within this many seconds of its first request. */
  deadlineSec?: number;
  /** Attacks: the share of attacker units that must be caught in time (default 1). */
  need?: number;
  /**
   * Attacks: `address` (default) when each attacker address is a unit to ban; `prefix` when each entry of `attackers`
   * is a prefix that must be banned as a whole (a ban of one rotating address inside it does not count).
   */
  unit?: 'address' | 'prefix';
}

/** How big to make the suite: `full` is the sizes; `short` is a quick run for a test. */
export interface SuiteSize {
  /** Minutes of background history before attacks and traps start. */
  historyMin: number;
  /** Seconds attacks and traps last (the slow scraper and crawler: `longSec`). */
  attackSec: number;
  longSec: number;
  /** Seconds of background after an attack or trap ends. */
  tailSec: number;
}

/** The sizes: 40 minutes of history, attacks of 2 minutes, an hour for the slow scraper. */
export const FULL: SuiteSize = { historyMin: 40, attackSec: 120, longSec: 3600, tailSec: 60 };
/** Small sizes for a test: 5 minutes of history, attacks of 40 s, 10 minutes for the slow ones. */
export const SHORT: SuiteSize = { historyMin: 5, attackSec: 40, longSec: 600, tailSec: 20 };

/** Monday 2 November 2026, 08:00 UTC: where synthetic time starts. */
export const T0 = Date.UTC(2026, 10, 2, 8, 0, 0) / 1000;

const get = (path: string, status = 200) => () => ({ method: 'GET', path, status });

/**
 * A busy site: 60 browsers (54 IPv4, 6 IPv6, each in its own /24 or /48), about 20 requests/s in all, from T0 for
 * `seconds`. Page loads of ~31 requests in 2 s with ~91 s of think time.
 */
export function busyBackground(rand: Rand, seconds: number, from = T0): Req[] {
  const out: Req[] = [];
  for (let c = 0; c < 60; c++) {
    const ip = c < 54 ? clientV4(c) : clientV6(c);
    out.push(...browse(rand, { ip, from, until: from + seconds, thinkMean: 91 }));
  }
  return out;
}

/**
 * A quiet site: 4 readers of a plain site (pages of 2-5 assets, about 4 minutes apart), about 0.06 requests/s in all,
 * so the baseline sits at its floors (mean 1, stddev 0.5).
 */
export function quietBackground(rand: Rand, seconds: number, from = T0): Req[] {
  const out: Req[] = [];
  for (let c = 0; c < 4; c++) out.push(...browse(rand, { ip: clientV4(500 + c), from, until: from + seconds, thinkMean: 240, assets: [2, 5] }));
  return out;
}

const SENSITIVE = [
  '/.env', '/wp-login.php', '/.git/config', '/phpmyadmin/', '/admin.php', '/config.php.bak', '/backup.zip', '/.aws/credentials',
  '/wp-config.php.old', '/server-status', '/.DS_Store', '/xmlrpc.php', '/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php',
  '/.svn/entries', '/db.sql', '/actuator/env', '/cgi-bin/test.cgi', '/owa/auth/logon.aspx', '/.htpasswd', '/debug/default/view',
];

/** Log lines of requests, sorted by time. */
function toLines(reqs: Req[]): string[] {
  return reqs.sort((a, b) => a.t - b.t).map(logLine);
}

/** The real log's lines (test/fixtures/semicomplete-2015-access.log). */
function realLog(root: string): string[] {
  return readFileSync(`${root}/test/fixtures/semicomplete-2015-access.log`, 'utf8').split('\n').filter((l) => l.trim() !== '');
}

/** A seed per scenario name, so a scenario is the same whichever others are built with it. */
function nameSeed(seed: number, name: string): number {
  let h = seed >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** The names of the suite's scenarios, attacks first, in table order. */
export const SCENARIO_NAMES = [
  'flood', 'flood-quiet', 'flood-real-log', 'credential-stuffing', 'scanner', 'ipv6-rotation', 'slow-scraper', 'spread-24',
  'page-load-bursts', 'office-nat', 'sync-client', 'mistyped-password', 'uptime-probe', 'search-crawler', 'flash-crowd',
  'cold-start', 'quiet-reader', 'real-log',
] as const;

/**
 * The suite's scenarios at the given size (all, or those named in `only`); the real-log ones read the fixture under
 * `root`. Each scenario's requests come from its own seeded PRNG.
 * @example const [flood] = buildScenarios(SHORT, process.cwd(), 11, ['flood']); flood.attackers // ['203.0.113.66']
 */
export function buildScenarios(size: SuiteSize, root: string, seed = 11, only?: readonly string[]): Scenario[] {
  const H = size.historyMin * 60;
  const A = T0 + H; // attacks and traps start here
  const D = size.attackSec;
  const tl = Math.max(D, 600); // traps run at least 10 minutes
  // The same background in every scenario (its own seed); `extra` seconds after the history, plus the tail.
  const busy = (extra: number) => busyBackground(prng(seed), H + extra + size.tailSec);
  const quiet = (extra: number) => quietBackground(prng(seed + 1), H + extra + size.tailSec);
  const attack = (name: string, target: string, deadlineSec: number, attackers: string[], description: string, reqs: Req[], more: Partial<Scenario> = {}): Scenario =>
    ({ name, kind: 'attack', target, deadlineSec, attackers, description, lines: toLines(reqs), ...more });
  const trap = (name: string, description: string, reqs: Req[]): Scenario =>
    ({ name, kind: 'trap', target: 'trap', description, attackers: [], lines: toLines(reqs) });
  const flood = (r: Rand, from: number) => steady(r, { ips: ['203.0.113.66'], from, seconds: D, rate: 200 }, (i) => ({ method: 'GET', path: i % 3 ? `/articles/${i % 400}` : '/', status: 200 }));
  const office = clientV4(901);
  // The 20 people arrive over the first 5 minutes (not all in the same 45 s), then browse with ~45 s between pages.
  const officeNat = (r: Rand, from: number, seconds: number) => Array.from({ length: 20 }, () => browse(r, { ip: office, from: from + r() * 300, until: from + seconds, thinkMean: 45 })).flat();
  const syncIp = clientV4(902);
  const sync = (r: Rand, from: number, seconds: number) => steady(r, { ips: [syncIp], from, seconds, rate: 4 }, (i) => ({ method: 'PROPFIND', path: `/remote.php/dav/files/alice/photos/${i % 900}.jpg`, status: 207 }));

  const defs: Record<(typeof SCENARIO_NAMES)[number], (r: Rand) => Scenario> = {
    // ---- attacks ----
    'flood': (r) => attack('flood', 'burst', 2, ['203.0.113.66'], 'one address, 200 req/s, over the busy site (60 clients, 20 req/s)', [...busy(D), ...flood(r, A)]),
    'flood-quiet': (r) => attack('flood-quiet', 'burst', 2, ['203.0.113.66'], 'one address, 200 req/s, over the quiet site (4 readers, 0.06 req/s)', [...quiet(D), ...flood(r, A)]),
    'flood-real-log': (r) => {
      const sc = attack('flood-real-log', 'burst', 2, ['203.0.113.66'], 'one address, 200 req/s, in the real log (test/fixtures, real time)', flood(r, Date.UTC(2015, 4, 18, 12, 0, 0) / 1000));
      return { ...sc, lines: [...realLog(root), ...sc.lines] };
    },
    'credential-stuffing': (r) => {
      const ips = Array.from({ length: 200 }, (_, i) => `198.18.${i}.${randInt(r, 2, 250)}`);
      return attack('credential-stuffing', 'auth', 60, ips, '200 addresses (one /24 each), each failing POST /login (401) every 2 s', [
        ...busy(D), ...ips.flatMap((ip) => steady(r, { ips: [ip], from: A + r() * 2, seconds: D, rate: 0.5 }, () => ({ method: 'POST', path: '/login', status: 401 }))),
      ], { need: 0.9 });
    },
    'scanner': (r) => attack('scanner', 'probing', 30, ['203.0.113.77'], 'one address, 2 probes/s over sensitive paths (/.env, /wp-login.php, /.git/config, ...), 404', [
      ...busy(D), ...steady(r, { ips: ['203.0.113.77'], from: A, seconds: D, rate: 2 }, (i) => ({ method: 'GET', path: SENSITIVE[i % SENSITIVE.length], status: 404 })),
    ]),
    'ipv6-rotation': (r) => {
      const hex = () => randInt(r, 1, 0xfffe).toString(16);
      const ips = Array.from({ length: D * 100 }, (_, i) => `2001:db8:66:1:${(0x1000 + i).toString(16)}:${hex()}:${hex()}:1`);
      return attack('ipv6-rotation', 'prefix', 10, ['2001:db8:66:1::/64'], 'a /64 rotating a fresh address per request, 100 req/s', [
        ...busy(D), ...steady(r, { ips, from: A, seconds: D, rate: 100 }, (i) => ({ method: 'GET', path: `/articles/${i % 400}`, status: 200 })),
      ], { unit: 'prefix' });
    },
    'slow-scraper': (r) => attack('slow-scraper', 'volume', size.longSec, ['203.0.113.88'], `one address, 0.8 req/s for ${size.longSec / 60} min, every article in turn`, [
      ...busy(size.longSec),
      ...steady(r, { ips: ['203.0.113.88'], from: A, seconds: size.longSec, rate: 0.8 }, (i) => ({ method: 'GET', path: `/articles/${i}`, status: i % 40 === 39 ? 404 : 200 })),
    ]),
    'spread-24': (r) => {
      const ips = Array.from({ length: 50 }, (_, i) => `198.51.100.${i + 10}`);
      return attack('spread-24', 'spread', 120, ['198.51.100.0/24'], '50 addresses of one /24, 1.5 req/s each (75 req/s together)', [
        ...busy(D), ...ips.flatMap((ip) => steady(r, { ips: [ip], from: A + r(), seconds: D, rate: 1.5 }, (i) => ({ method: 'GET', path: `/articles/${i % 400}`, status: 200 }))),
      ], { unit: 'prefix' });
    },
    // ---- traps: nobody may be banned ----
    'page-load-bursts': (r) => trap('page-load-bursts', 'a reader opening pages of 60-90 assets in 1.5 s every ~6 s for 10 min',
      [...busy(tl), ...browse(r, { ip: clientV4(900), from: A, until: A + tl, thinkMean: 6, assets: [60, 90], assetSpread: 1.5 })]),
    'office-nat': (r) => trap('office-nat', '20 people behind one address, arriving over 5 min, then browsing (about 13 req/s) for 10 min', [...busy(tl), ...officeNat(r, A, tl)]),
    'sync-client': (r) => trap('sync-client', 'a Nextcloud sync client at 4 req/s for 10 min', [...busy(tl), ...sync(r, A, tl)]),
    'mistyped-password': (r) => {
      const ip = clientV4(903);
      return trap('mistyped-password', 'a person failing the login 4 times (6 s apart), then logging in and browsing', [
        ...busy(tl),
        ...[0, 6, 12, 18].map((s) => ({ t: A + s, ip, method: 'POST', path: '/login', status: 401 })),
        { t: A + 25, ip, method: 'POST', path: '/login', status: 302 },
        ...browse(r, { ip, from: A + 26, until: A + tl, thinkMean: 30 }),
      ]);
    },
    'uptime-probe': (r) => trap('uptime-probe', 'a monitor fetching /healthz every 5 s, all along',
      [...busy(tl), ...steady(r, { ips: [clientV4(904)], from: T0, seconds: H + tl, rate: 0.2, jitter: 0 }, get('/healthz'))]),
    'search-crawler': (r) => trap('search-crawler', `a search crawler at 0.3 req/s for ${size.longSec / 60} min, robots.txt first, 5% dead links`, [
      ...busy(size.longSec),
      { t: A - 1, ip: '66.249.66.1', method: 'GET', path: '/robots.txt', status: 200 },
      ...steady(r, { ips: ['66.249.66.1'], from: A, seconds: size.longSec, rate: 0.3 }, (i) => ({ method: 'GET', path: `/articles/${i}`, status: i % 20 === 19 ? 404 : 200 })),
    ]),
    'flash-crowd': (r) => trap('flash-crowd', '300 new addresses arriving within 60 s (a link on a news site), 1-3 pages each', [
      ...busy(tl),
      ...Array.from({ length: 300 }, (_, i) => {
        const from = A + r() * 60;
        return browse(r, { ip: i % 10 === 9 ? clientV6(1000 + i) : clientV4(1000 + i), from, until: from + 240, thinkMean: 40, maxPages: randInt(r, 1, 3) });
      }).flat(),
    ]),
    'cold-start': (r) => {
      const cold = Math.max(D, 900);
      return trap('cold-start', `the first ${cold / 60} minutes of a busy site with no history, with the office NAT and the sync client`,
        [...busyBackground(prng(seed), cold), ...officeNat(r, T0, cold), ...sync(r, T0, cold)]);
    },
    'quiet-reader': () => {
      const ip = clientV4(905);
      return trap('quiet-reader', 'a quiet site where one reader makes 160 requests in one minute (5 pages of 32)', [
        ...quiet(120),
        ...[0, 12, 24, 36, 48].flatMap((s, p) => [
          { t: A + s, ip, method: 'GET', path: `/articles/${p + 1}`, status: 200 },
          ...Array.from({ length: 31 }, (_, k) => ({ t: A + s + 0.1 + (k / 31) * 1.8, ip, method: 'GET', path: `/static/a${p}-${k}.js`, status: 200 })),
        ]),
      ]);
    },
    'real-log': () => ({ ...trap('real-log', 'the real log (test/fixtures, 10,000 requests, real time)', []), lines: realLog(root) }),
  };
  return SCENARIO_NAMES.filter((n) => !only || only.includes(n)).map((n) => defs[n](prng(nameSeed(seed, n))));
}
