// Synthetic access-log traffic for the detection suite: browsers loading pages with their assets, and the helpers
// attacks and traps are built from. Everything is driven by a seeded PRNG (bench/prng.ts), so a scenario is the same
// in every run.

/** One request of a synthetic log: time in epoch seconds (with fraction), client, method, path, status. */
export interface Req {
  t: number;
  ip: string;
  method: string;
  path: string;
  status: number;
}

/** Random draws used by the generators (a seeded source). */
export type Rand = () => number;

/** An exponentially distributed delay with the given mean (seconds). */
export function expDelay(rand: Rand, mean: number): number {
  return -Math.log(1 - rand()) * mean;
}

/** An integer in [lo, hi]. */
export function randInt(rand: Rand, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

const ASSET_KINDS = ['css', 'js', 'png', 'jpg', 'svg', 'woff2'] as const;

/** How a browser behaves: the number of assets per page, the think time between pages, the odd broken asset. */
export interface BrowserSpec {
  ip: string;
  /** When the visit starts and ends (epoch s); pages start only before `until`. */
  from: number;
  until: number;
  /** Mean seconds between two page views (exponential). */
  thinkMean: number;
  /** Assets per page, drawn uniformly in [lo, hi]; default [24, 36]. */
  assets?: [number, number];
  /** Seconds over which a page's assets arrive; default 2. */
  assetSpread?: number;
  /** Chance that a page has one broken image (404); default 0.1. */
  brokenImage?: number;
  /** Pages to visit at most (default: as many as fit). */
  maxPages?: number;
}

/**
 * A person browsing with a real browser: a page (HTML), then its assets within ~2 s (CSS, JS, images, fonts; the
 * browser's cache answers some with 304), a missing favicon (404) on the first page, now and then a broken image (404),
 * then a think time before the next page.
 * @example browse(prng(1), { ip: '45.1.2.3', from: 0, until: 600, thinkMean: 60 }) // ~10 pages of ~31 requests
 */
export function browse(rand: Rand, b: BrowserSpec): Req[] {
  const out: Req[] = [];
  const [alo, ahi] = b.assets ?? [24, 36];
  const spread = b.assetSpread ?? 2;
  const broken = b.brokenImage ?? 0.1;
  let t = b.from + rand() * Math.min(b.thinkMean, Math.max(0, b.until - b.from));
  let pages = 0;
  while (t < b.until && pages < (b.maxPages ?? Infinity)) {
    const page = randInt(rand, 1, 400);
    out.push({ t, ip: b.ip, method: 'GET', path: pages === 0 && rand() < 0.3 ? '/' : `/articles/${page}`, status: 200 });
    const n = randInt(rand, alo, ahi);
    for (let k = 0; k < n; k++) {
      const kind = ASSET_KINDS[k % ASSET_KINDS.length];
      const dir = kind === 'png' || kind === 'jpg' || kind === 'svg' ? 'static/img' : kind === 'woff2' ? 'static/fonts' : 'static';
      const cached = pages > 0 && rand() < 0.5;
      out.push({ t: t + 0.05 + rand() * spread, ip: b.ip, method: 'GET', path: `/${dir}/a${page % 50}-${k}.${kind}`, status: cached ? 304 : 200 });
    }
    if (pages === 0) out.push({ t: t + 0.1 + rand() * spread, ip: b.ip, method: 'GET', path: '/favicon.ico', status: 404 });
    if (rand() < broken) out.push({ t: t + 0.1 + rand() * spread, ip: b.ip, method: 'GET', path: `/static/img/missing-${page}.png`, status: 404 });
    pages++;
    t += spread + expDelay(rand, b.thinkMean);
  }
  return out;
}

/**
 * Requests at a steady rate from one address (or from `ips` in turn), from `from` for `seconds`, with a little jitter;
 * `pick(i)` gives the i-th request's method, path and status.
 * @example steady(rand, { ips: ['203.0.113.66'], from: 0, seconds: 10, rate: 200 }, () => ({ method: 'GET', path: '/', status: 200 })).length === 2000
 */
export function steady(
  rand: Rand,
  s: { ips: string[]; from: number; seconds: number; rate: number; jitter?: number },
  pick: (i: number) => { method: string; path: string; status: number },
): Req[] {
  const out: Req[] = [];
  const n = Math.round(s.seconds * s.rate);
  const gap = 1 / s.rate;
  const jitter = s.jitter ?? 0.5;
  for (let i = 0; i < n; i++) {
    const t = s.from + i * gap + (rand() - 0.5) * jitter * gap;
    out.push({ t: Math.max(s.from, Math.min(s.from + s.seconds - 1e-6, t)), ip: s.ips[i % s.ips.length], ...pick(i) });
  }
  return out;
}

/**
 * A public-looking IPv4 address outside the documentation ranges the attacks use, in its own /24 for each `n`
 * (so background clients never share a /24 by accident).
 * @example clientV4(3) // '45.0.3.17'
 */
export function clientV4(n: number, salt = 0): string {
  const firsts = [45, 51, 62, 77, 81, 88, 91, 94, 109, 141, 176, 185, 193, 212, 217];
  const a = firsts[n % firsts.length];
  const k = Math.floor(n / firsts.length);
  return `${a}.${(k >> 8) & 255}.${k & 255}.${(17 + salt * 37 + n * 11) % 250 + 2}`;
}

/** A public-looking IPv6 address, in its own /48 for each `n`. */
export function clientV6(n: number): string {
  return `2a01:${(0x100 + n).toString(16)}:${((n * 7919) % 0xffff || 1).toString(16)}::${(n * 31 + 5).toString(16)}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** nginx's `$time_local` (UTC) of an epoch second. */
function timeLocal(t: number): string {
  const d = new Date(Math.floor(t) * 1000);
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/**
 * One request as an nginx combined-format access-log line, the format `warden replay` reads.
 * @example logLine({ t: 1793606400, ip: '45.0.0.2', method: 'GET', path: '/', status: 200 })
 *   // '45.0.0.2 - - [02/Nov/2026:08:00:00 +0000] "GET / HTTP/1.1" 200 5120 "-" "Mozilla/5.0 (bench)"'
 */
export function logLine(r: Req): string {
  const bytes = r.status === 304 ? 0 : r.status >= 400 ? 162 : 5120;
  return `${r.ip} - - [${timeLocal(r.t)}] "${r.method} ${r.path} HTTP/1.1" ${r.status} ${bytes} "-" "Mozilla/5.0 (bench)"`;
}
