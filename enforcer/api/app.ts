// The HTTP API and dashboard (Hono): JSON routes under /api/v1, login sessions, bearer tokens, CSRF, security headers.
import type { AllowAddResponse, AllowListResponse, RuleAlertsResponse, StatusResponse } from './types.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Hono, type Context } from 'hono';
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';
import { HTTPException } from 'hono/http-exception';
import type { Clock } from '../core/types.js';
import type { Actor, WardenService } from './service.js';
import { createAuth, fingerprint, safeEqual, type AuthOptions, type Session } from './auth.js';
import {
  alertsQuery, allowBody, banBody, bulkBanBody, cidrField, firstError, heavyQuery, historyQuery, unbanKeyField, loginBody, toHistoryFilter,
} from './validate.js';
import { metricsText } from './metrics-text.js';
import { banRowsToCsv } from '../adapters/store/csv.js';
import { HistoryFilterError } from '../adapters/store/errors.js';
import { capBody, BODY_LIMIT, BULK_BODY_LIMIT } from './body-cap.js';

export type { AuthOptions } from './auth.js';

/** Options of createApp. */
export interface AppOptions {
  auth: AuthOptions;
  /** Where the built dashboard is (default: dist/dashboard next to this module's build). */
  dashboardDir?: string;
  clock: Clock;
}

/** Name of the session cookie. */
export const SESSION_COOKIE = 'warden_session';
/** Header carrying the CSRF token on state-changing requests made with the session cookie. */
export const CSRF_HEADER = 'x-warden-csrf';

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const STATIC: Record<string, string> = {
  '/app.js': 'text/javascript; charset=utf-8',
  '/style.css': 'text/css; charset=utf-8',
  '/uPlot.min.css': 'text/css; charset=utf-8',
  '/favicon.svg': 'image/svg+xml',
};

type Vars = { Variables: { actor: Actor; session: Session | null } };

/** The `n` most recent bans, newest first. */
function newest<T extends { since: number }>(bans: T[], n: number): T[] {
  let ascending = true;
  for (let i = 1; i < bans.length && ascending; i++) ascending = bans[i - 1].since <= bans[i].since;
  if (ascending) return bans.slice(-n).reverse();
  return bans.slice().sort((a, b) => b.since - a.since).slice(0, n);
}

/** The client's address as the socket saw it (proxies' headers are not trusted). */
function clientAddr(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  const a = env?.incoming?.socket?.remoteAddress;
  return a ? a.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1') : 'local';
}

/** A path parameter as the router decoded it; an escape it could not decode (`%zz`) is an error, never a 500. */
function pathParam(c: Context, name: string): { ok: true; value: string } | { ok: false; error: string } {
  const v = c.req.param(name) ?? '';
  if (/%(?![0-9a-fA-F]{2})/.test(v) || /%[0-9a-fA-F]{2}/.test(v)) {
    return { ok: false, error: `\`${name}\` holds a malformed percent-escape (URL-encode it as UTF-8)` };
  }
  return { ok: true, value: v };
}

async function jsonBody(c: Context, maxBytes = BODY_LIMIT): Promise<{ ok: true; value: unknown } | { ok: false; error: string }> {
  const type = c.req.header('content-type') ?? '';
  if (!type.toLowerCase().startsWith('application/json')) return { ok: false, error: 'the body must be JSON (Content-Type: application/json)' };
  const declared = Number(c.req.header('content-length') ?? 0);
  if (declared > maxBytes) return { ok: false, error: 'the body is too large' };
  const text = await c.req.text();
  if (text.length > maxBytes) return { ok: false, error: 'the body is too large' };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, error: 'the body is not valid JSON' };
  }
}

/**
 * Builds the API and dashboard app.
 * @example
 *   const app = createApp(service, { auth: { passwordHash, tokens, sessionTtlSec: 43200, loginAttemptsPerMinute: 5 }, clock });
 *   serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 8080 });
 */
export function createApp(service: WardenService, opts: AppOptions): Hono {
  const auth = createAuth(opts.auth, service, opts.clock);
  const dir = opts.dashboardDir ?? fileURLToPath(new URL('../../dashboard/', import.meta.url));
  const fileCache = new Map<string, string>();
  const readStatic = (name: string): string | null => {
    if (fileCache.has(name)) return fileCache.get(name)!;
    try {
      const s = readFileSync(join(dir, name), 'utf8');
      fileCache.set(name, s);
      return s;
    } catch {
      return null;
    }
  };
  const app = new Hono<Vars>();

  app.onError((err, c) => {
    if (err instanceof HTTPException) return err.getResponse();
    if (err instanceof HistoryFilterError) return c.json({ error: err.message }, 400);
    if (err instanceof URIError) return c.json({ error: `malformed percent-escape in the URL: ${err.message}` }, 400);
    console.error('warden api error', err);
    return c.json({ error: 'internal error' }, 500);
  });
  app.notFound((c) => c.json({ error: `no route ${c.req.method} ${c.req.path.slice(0, 100)}` }, 404));

  app.use('*', async (c, next) => {
    await next();
    c.header('Content-Security-Policy', CSP);
    c.header('X-Frame-Options', 'DENY');
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Cross-Origin-Opener-Policy', 'same-origin');
    if (!c.res.headers.get('Cache-Control')) c.header('Cache-Control', 'no-store');
  });

  // Every body is capped while it streams (a chunked body has no Content-Length to check first): small bodies
  // everywhere, before authentication; the bulk route takes more, and only once the caller is authenticated.
  const smallCap = capBody(BODY_LIMIT);
  app.use('*', (c, next) => (c.req.path === '/api/v1/bans/bulk' ? next() : smallCap(c, next)));

  // Liveness for monitors: 503 while the database does not take writes (bans would not be stored).
  app.get('/healthz', (c) => {
    const st = service.storageHealth();
    if (st.ok) return c.json({ ok: true });
    return c.json({ ok: false, error: `the database does not take writes: ${st.lastError ?? 'unknown error'}`, since: st.since }, 503);
  });

  // Authentication: a bearer token, or the session cookie (+ the CSRF header for state changes).
  const requireAuth = async (c: Context<Vars>, next: () => Promise<void>) => {
    const addr = clientAddr(c);
    const authz = c.req.header('authorization');
    if (authz !== undefined) {
      const m = /^Bearer ([^\s]{1,512})$/.exec(authz);
      if (!m || !auth.bearerValid(m[1])) return c.json({ error: 'invalid bearer token' }, 401);
      c.set('actor', { addr, via: `token ${fingerprint(m[1])}` });
      c.set('session', null);
      return next();
    }
    const cookie = getCookie(c, SESSION_COOKIE);
    const s = auth.session(cookie);
    if (!s || cookie === undefined) return c.json({ error: 'not logged in (or the session expired)' }, 401);
    if (!['GET', 'HEAD'].includes(c.req.method)) {
      const h = c.req.header(CSRF_HEADER);
      if (!h || !safeEqual(h, s.csrf)) return c.json({ error: `missing or wrong ${CSRF_HEADER} header` }, 403);
    }
    c.set('actor', { addr, via: `session ${fingerprint(cookie)}` });
    c.set('session', s);
    return next();
  };

  app.post('/api/v1/login', async (c) => {
    const addr = clientAddr(c);
    // The attempt is counted before anything is read or checked (the password check is slow and asynchronous):
    // a burst of concurrent attempts cannot race past the limit.
    if (!auth.loginAttempt(addr)) return c.json({ error: 'too many failed logins; wait a minute' }, 429, { 'Retry-After': '60' });
    const b = await jsonBody(c);
    if (!b.ok) return c.json({ error: b.error }, 400);
    const p = loginBody.safeParse(b.value);
    if (!p.success) return c.json({ error: firstError(p.error) }, 400);
    if (!(await auth.checkPassword(p.data.password))) return c.json({ error: 'wrong password' }, 401);
    auth.loginSucceeded(addr);
    const { token, session } = auth.createSession(addr);
    setCookie(c, SESSION_COOKIE, token, {
      httpOnly: true, sameSite: 'Strict', path: '/', maxAge: Math.round(opts.auth.sessionTtlSec),
      secure: new URL(c.req.url).protocol === 'https:',
    });
    return c.json({ ok: true, csrf: session.csrf, expiresAt: session.expiresAt });
  });

  app.post('/api/v1/logout', (c) => {
    const token = getCookie(c, SESSION_COOKIE);
    const s = auth.session(token);
    if (s) {
      const h = c.req.header(CSRF_HEADER);
      if (!h || !safeEqual(h, s.csrf)) return c.json({ error: `missing or wrong ${CSRF_HEADER} header` }, 403);
    }
    auth.endSession(token);
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.json({ ok: true });
  });

  app.use('/api/v1/*', requireAuth);
  app.use('/metrics', requireAuth);

  app.get('/api/v1/session', (c) => {
    const s = c.get('session');
    return c.json(s ? { csrf: s.csrf, expiresAt: s.expiresAt } : { bearer: true });
  });

  // The status carries the newest `bans` active bans (default 100, `all` for every one) and the total in
  // `activeBanCount`: with 10k bans the full list is a megabyte of JSON, too much to poll every 2 s (GET bans has it).
  app.get('/api/v1/status', (c) => {
    const q = c.req.query('bans');
    let limit = 100;
    if (q === 'all') limit = Infinity;
    else if (q !== undefined) {
      if (!/^\d{1,6}$/.test(q)) return c.json({ error: '`bans` must be a whole number or all' }, 400);
      limit = Number(q);
    }
    const s = service.status();
    const all = s.activeBans;
    const activeBans = all.length <= limit ? all : newest(all, limit);
    const body: StatusResponse = { ...s, activeBans, activeBanCount: all.length, activeBansTruncated: activeBans.length < all.length };
    return c.json(body);
  });
  app.get('/api/v1/bans', (c) => c.json({ bans: service.status().activeBans }));
  // Fleet mode (docs/fleet.md): this node's link and every node's heartbeat; 404 on a single host.
  app.get('/api/v1/fleet', (c) => {
    const f = service.status().fleet;
    return f ? c.json(f) : c.json({ error: 'fleet mode is off (no `fleet:` section in the config)' }, 404);
  });
  app.get('/api/v1/rules', (c) => c.json({ rules: service.rules() }));

  app.post('/api/v1/bans', async (c) => {
    const b = await jsonBody(c);
    if (!b.ok) return c.json({ error: b.error }, 400);
    const p = banBody.safeParse(b.value);
    if (!p.success) return c.json({ error: firstError(p.error) }, 400);
    const dur = p.data.duration === undefined ? 3600 : p.data.duration;
    const r = await service.ban(p.data.ip, dur, p.data.reason ?? 'manual ban', c.get('actor'));
    if (!r.ok) return c.json({ error: r.error }, r.status);
    return c.json({ ok: true, ban: r.ban }, 201);
  });

  // Bulk loading (a block list, a migration from fail2ban): every valid address banned in one firewall batch;
  // invalid, allow-listed and already banned ones are listed in `refused` with the reason.
  app.post('/api/v1/bans/bulk', capBody(BULK_BODY_LIMIT), async (c) => {
    const b = await jsonBody(c, BULK_BODY_LIMIT);
    if (!b.ok) return c.json({ error: b.error }, 400);
    const p = bulkBanBody.safeParse(b.value);
    if (!p.success) return c.json({ error: firstError(p.error) }, 400);
    const dur = p.data.duration === undefined ? 3600 : p.data.duration;
    const r = await service.banMany(p.data.ips, dur, p.data.reason ?? 'bulk ban', c.get('actor'));
    if (r.storageError !== undefined) {
      return c.json({ ok: false, error: `some bans were not stored (${r.storageError}); those are listed in \`refused\` and not in force`,
        banned: r.banned, refused: r.refused }, 503);
    }
    return c.json({ ok: true, banned: r.banned, refused: r.refused });
  });

  // `:ip{.+}`: a network's slash may come unencoded (`/api/v1/bans/2001:db8::/64`) or as %2F.
  app.delete('/api/v1/bans/:ip{.+}', async (c) => {
    const raw = pathParam(c, 'ip');
    if (!raw.ok) return c.json({ error: raw.error }, 400);
    const p = unbanKeyField.safeParse(raw.value);
    if (!p.success) return c.json({ error: firstError(p.error) }, 400);
    const r = await service.unban(p.data, c.get('actor'));
    if (!r.ok) return c.json({ error: r.error }, r.status);
    return c.json({ ok: true });
  });

  const parseHistory = (c: Context<Vars>) => historyQuery.safeParse(c.req.query());

  app.get('/api/v1/history', (c) => {
    const p = parseHistory(c);
    if (!p.success) return c.json({ error: firstError(p.error) }, 400);
    const f = toHistoryFilter(p.data);
    const { rows, total } = service.history(f);
    return c.json({ rows, total, limit: f.limit, offset: f.offset ?? 0 });
  });

  app.get('/api/v1/history.csv', (c) => {
    const p = parseHistory(c);
    if (!p.success) return c.json({ error: firstError(p.error) }, 400);
    const it = banRowsToCsv(service.iterateHistory(toHistoryFilter(p.data, true)));
    const enc = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        let chunk = '';
        for (let i = 0; i < 500; i++) {
          const n = it.next();
          if (n.done) {
            if (chunk) ctrl.enqueue(enc.encode(chunk));
            ctrl.close();
            return;
          }
          chunk += n.value;
        }
        ctrl.enqueue(enc.encode(chunk));
      },
      cancel() {
        it.return?.();
      },
    });
    return new Response(body, { headers: {
      'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': 'attachment; filename="warden-history.csv"',
    } });
  });

  app.get('/api/v1/baseline', (c) => {
    const now = Math.floor(opts.clock.nowMs() / 1000);
    return c.json({ minutes: service.baselineHistory(now - 86400), hourly: service.hourlySlots() });
  });

  // The allow-list: the config file's entries are the base; runtime entries (added here, by the dashboard's one click
  // or `warden allow add`) add to it, survive restarts, and apply at once. `/allowlist` is the older name of `/allow`.
  for (const path of ['/api/v1/allow', '/api/v1/allowlist']) {
    app.get(path, (c) => c.json({ entries: service.allowlist() } satisfies AllowListResponse));

    app.post(path, async (c) => {
      const b = await jsonBody(c);
      if (!b.ok) return c.json({ error: b.error }, 400);
      const p = allowBody.safeParse(b.value);
      if (!p.success) return c.json({ error: firstError(p.error) }, 400);
      const r = await service.addAllow(p.data.cidr, p.data.note ?? '', c.get('actor'));
      if (!r.ok) return c.json({ error: r.error }, r.status);
      return c.json({ ok: true, cidr: r.cidr, lifted: r.lifted } satisfies AllowAddResponse, 201);
    });

    app.delete(`${path}/:cidr{.+}`, async (c) => {
      const raw = pathParam(c, 'cidr');
      if (!raw.ok) return c.json({ error: raw.error }, 400);
      const p = cidrField('cidr').safeParse(raw.value);
      if (!p.success) return c.json({ error: firstError(p.error) }, 400);
      const r = await service.removeAllow(p.data, c.get('actor'));
      if (!r.ok) return c.json({ error: r.error }, r.status);
      return c.json({ ok: true });
    });
  }

  // What rules in mode alert (and relative rules during the learning period) would have banned.
  app.get('/api/v1/alerts', (c) => {
    const p = alertsQuery.safeParse(c.req.query());
    if (!p.success) return c.json({ error: firstError(p.error) }, 400);
    const q = p.data;
    const limit = q.limit ?? 100;
    const offset = q.offset ?? 0;
    const { rows, total } = service.ruleAlerts({ rule: q.rule, ip: q.ip, since: q.since, until: q.until, limit, offset });
    return c.json({ rows, total, limit, offset } satisfies RuleAlertsResponse);
  });

  // The heaviest clients by current rate, 10-minute and 1-hour volume (the dashboard's one-click allow-list).
  app.get('/api/v1/clients/heavy', (c) => {
    const p = heavyQuery.safeParse(c.req.query());
    if (!p.success) return c.json({ error: firstError(p.error) }, 400);
    return c.json(service.heavyClients(p.data.n ?? 10));
  });

  app.get('/metrics', (c) => c.body(metricsText(service.metrics()), 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }));

  // The dashboard: the page itself only for a logged-in session, the login page otherwise.
  app.get('/', (c) => {
    const s = auth.session(getCookie(c, SESSION_COOKIE));
    const page = readStatic(s ? 'index.html' : 'login.html');
    if (page === null) return c.text('dashboard not built (run node build.mjs)', 500);
    return c.html(page);
  });
  for (const [path, type] of Object.entries(STATIC)) {
    app.get(path, (c) => {
      const body = readStatic(path.slice(1));
      if (body === null) return c.json({ error: 'not found' }, 404);
      return c.body(body, 200, { 'Content-Type': type, 'Cache-Control': 'no-cache' });
    });
  }
  return app as unknown as Hono;
}
