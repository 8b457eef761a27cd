// The composition root: builds the core and every adapter from the config, restores state, reconciles the firewall,
// starts the poll loop, the scheduled jobs and the HTTP API, and stops them in order (leaving bans in place).
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Hono } from 'hono';
import { serve, type ServerType } from '@hono/node-server';
import type { Config } from '../config/schema.js';
import type { Clock, Decision } from '../core/types.js';
import { createEngine, engineConfigFrom, type Engine } from '../core/engine.js';
import { allowMatcher } from '../core/allow-list.js';
import { hostAddresses } from '../net/host-addresses.js';
import { allowlistWarning } from '../net/special.js';
import { normaliseIp } from '../net/ip.js';
import { createPoller, type PollResult } from '../adapters/nginx-poller.js';
import { ensureSecret, readSecret } from '../nginx/secret-file.js';
import type { FirewallBackend } from '../adapters/firewall/port.js';
import { createBackends } from '../adapters/firewall/create-backends.js';
import { createComposite } from '../adapters/firewall/composite.js';
import { openStore, type WardenStore } from '../adapters/store/warden-store.js';
import { openAuditLog } from '../adapters/audit-log.js';
import { createAlerter } from '../adapters/alerts/alerter.js';
import { createHostStats } from '../adapters/host-stats.js';
import { createLogger, type Logger } from '../adapters/logger.js';
import { systemClock } from '../adapters/clock.js';
import { applyDecisions, type ApplyResult } from './apply-decisions.js';
import { correctDrift, reconcile } from './reconcile.js';
import { startPollLoop, type PollLoop } from './poll-loop.js';
import { startScheduler } from './scheduler.js';
import { createWardenService, type DaemonParts } from './warden-service.js';
import { createFleetNode, fleetNodeName, type FleetNode } from './fleet-node.js';
import { createValkeyLink } from '../adapters/fleet/valkey-link.js';
import { createApp } from '../api/app.js';
import type { StorageHealth, WardenService } from '../api/service.js';
import { cliTokenPath } from '../config/find.js';

/** Options for tests and embedding; production uses none. */
export interface DaemonOptions {
  clock?: Clock;
  log?: Logger;
  /** Use these backends instead of the configured ones (tests: backends running inside a network namespace). */
  backends?: FirewallBackend[];
  /** The host's own addresses (default: read from the interfaces). */
  hostAddresses?: string[];
  /** Serve the HTTP API (default true). Port 0 in api.listen picks a free port. */
  serveHttp?: boolean;
  /** Where the config came from, for the logs. */
  configPath?: string;
  /** Called with a generated dashboard password (default: printed once to stdout). */
  onGeneratedPassword?: (password: string) => void;
  /** Fleet mode: how long start waits for Valkey before working alone (default 3000 ms). */
  fleetConnectTimeoutMs?: number;
}

/** A running daemon. */
export interface Daemon {
  config: Config;
  service: WardenService;
  app: Hono;
  engine: Engine;
  store: WardenStore;
  /** Fleet mode's node (null on a single host). */
  fleet: FleetNode | null;
  /** Base URL of the API, e.g. http://127.0.0.1:8080 (null when not serving). */
  apiUrl: string | null;
  /** Runs one poll + decide + enforce iteration now. */
  pollOnce(): Promise<void>;
  reopenLogs(): void;
  stop(): Promise<void>;
}

/** Meta key of the saved hour-of-day baseline slots. */
export const META_HOURLY_SLOTS = 'engine.hourly_slots';

function splitListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(listen);
  if (!m) throw new Error(`bad api.listen ${listen}`);
  return { host: m[1] ?? m[2], port: Number(m[3]) };
}

/**
 * The rows whose `ip` is an address in canonical form: a tampered or corrupt database (`1.2.3.4; rm -rf /`) never
 * reaches the engine or a backend (whose commands and requests are built from it). The rest are logged once.
 */
function validRows<T extends { ip: string }>(rows: T[], log: Logger): T[] {
  const ok: T[] = [];
  const bad: string[] = [];
  for (const r of rows) {
    if (typeof r.ip === 'string' && normaliseIp(r.ip) === r.ip) ok.push(r);
    else bad.push(JSON.stringify(String(r.ip).slice(0, 60)));
  }
  if (bad.length) {
    log.warn(`ignoring ${bad.length} active ban row(s) whose ip is not an address (${bad.slice(0, 3).join(', ')}): the database was edited or is corrupt`);
  }
  return ok;
}

/**
 * Starts the daemon. Startup problems (unusable backend, port in use, broken database) throw; nothing else does.
 * @example const d = await startDaemon(loadConfig('warden.yaml')); ... await d.stop();
 */
export async function startDaemon(config: Config, opts: DaemonOptions = {}): Promise<Daemon> {
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? createLogger(config.log_level);
  const nowSec = () => Math.floor(clock.nowMs() / 1000);
  const startedAt = clock.nowMs() / 1000;

  const store = openStore(config.storage.database);
  const audit = openAuditLog(config.storage.audit_log, { clock, log });
  const selfAddrs = opts.hostAddresses ?? (config.allow_self ? hostAddresses() : []);

  for (const entry of config.allowlist) {
    const w = allowlistWarning(entry);
    if (w) log.warn(`\`allowlist\`: ${w}`);
  }
  // Never ban yourself: loopback, the host's own addresses, the configured and the API-added allow-list (core/allow-list).
  const allowParts = () => ({ selfAddrs, configured: config.allowlist, added: store.allowlist() });
  let isAllowed = allowMatcher(allowParts());
  const engine = createEngine(engineConfigFrom(config), { isAllowed: (ip) => isAllowed(ip) });
  const rebuildAllow = () => {
    isAllowed = allowMatcher(allowParts());
    engine.setAllow((ip) => isAllowed(ip)); // banned IPs now allowed are unbanned at the next tick
  };

  // Restore: active bans and offence counts survive restarts.
  const now0 = nowSec();
  const active = validRows(store.activeBans(), log);
  engine.restore(
    active.filter((b) => b.planned_end === null || b.planned_end > now0).map((b) => ({
      ip: b.ip, since: b.started_at, until: b.planned_end, step: b.step, rule: b.rule, rate: b.rate, source: b.source,
    })),
    store.offences(now0 - config.bans.offence_memory),
  );
  // The hour-of-day slots take a day to learn: they are saved every minute and restored here.
  const savedSlots = store.getMeta(META_HOURLY_SLOTS);
  if (savedSlots) {
    try {
      engine.restoreHourlySlots(JSON.parse(savedSlots));
    } catch (err) {
      log.warn(`ignoring saved hourly baseline slots: ${(err as Error).message}`);
    }
  }

  // The warden secret nginx includes: only the daemon may drain counts and change nginx bans (njs/api.ts).
  const secretPath = config.nginx.secret_file;
  let secret: string | null = null;
  try {
    const s = ensureSecret(secretPath);
    secret = s.secret;
    if (s.tightened) log.warn(s.tightened);
    if (s.created) {
      log.warn(`wrote a new warden secret to ${secretPath}: reload nginx (\`nginx -s reload\`) so that it knows it; ` +
        'until then nginx refuses to hand over counts and to change bans');
    }
  } catch (err) {
    log.error(`cannot read or create the warden secret ${secretPath} (${(err as Error).message}): nginx refuses polls ` +
      'without it; create the folder (it is the one the warden nginx.conf lives in) or set `nginx.secret_file`, then restart');
  }
  const currentSecret = () => {
    if (secret === null) {
      try {
        secret = readSecret(secretPath);
      } catch {
        secret = null;
      }
    }
    return secret;
  };

  // Enforcement backends; dry-run enforces nothing. An unusable backend is a startup error naming it.
  const backends = opts.backends ?? (await createBackends(config, { log, secret: currentSecret }));
  const firewall = backends.length === 1 ? backends[0] : createComposite(backends, { log });
  await firewall.init();
  const rec = await reconcile(firewall, active, now0);
  for (const ip of rec.expired) {
    try {
      store.endBan(ip, now0, 'expired');
    } catch (err) {
      // A full disk: the ban is ended again at the next start (it stays active in the database meanwhile).
      log.error(`cannot record the end of the expired ban of ${ip}: ${(err as Error).message}`);
    }
    audit.unban({ kind: 'unban', ip, at: now0, reason: 'expired' });
  }
  log.info(`restored ${rec.applied} active ban(s), ended ${rec.expired.length} that ran out while stopped, removed ${rec.strays} stray entr${rec.strays === 1 ? 'y' : 'ies'}`);

  const alerter = createAlerter(
    {
      slackUrl: config.alerts.slack_webhook_url, webhookUrl: config.alerts.webhook_url, timeoutMs: config.alerts.timeout_ms,
      retries: config.alerts.retries, events: config.alerts.events,
    },
    { log, clock, onResult: (row) => { try { store.insertAlert(row); } catch (err) { log.error(`store alert: ${(err as Error).message}`); } } },
  );
  const sinks = { firewall, store, audit, notify: (d: Parameters<typeof alerter.notify>[0]) => alerter.notify(d), log, dryRun: config.dry_run };
  let decisionsTotal = 0;
  let lastDecisionMs = 0;
  // Whether the database takes writes: a failing one (disk full, read-only) is shown on /healthz and the dashboard
  // until a write succeeds again; logged once per change, never thrown.
  const storage: StorageHealth = { ok: true, lastError: null, since: null };
  const storageResult = (error: string | null) => {
    if (error === null) {
      if (!storage.ok) log.info('the database takes writes again');
      storage.ok = true;
      storage.lastError = null;
      storage.since = null;
    } else {
      if (storage.ok) log.error(`the database does not take writes: ${error}`);
      storage.ok = false;
      storage.lastError = error;
      storage.since ??= nowSec();
    }
  };
  const ruleAlerts: Record<string, number> = {};
  const apply = async (decisions: Decision[]): Promise<ApplyResult | null> => {
    if (decisions.length === 0) return null;
    for (const d of decisions) if (d.kind === 'rule_alert') ruleAlerts[d.rule] = (ruleAlerts[d.rule] ?? 0) + 1;
    const t0 = clock.nowMs();
    const r = await applyDecisions(decisions, sinks);
    lastDecisionMs = clock.nowMs() - t0;
    decisionsTotal += decisions.length;
    if (r.notStored.size) storageResult(r.notStored.values().next().value as string);
    else if (r.bans || r.unbans) storageResult(null);
    return r;
  };

  // Fleet mode (docs/fleet.md): decisions come from the fleet and this node's own ones go to it.
  let fleet: FleetNode | null = null;
  if (config.fleet) {
    fleet = createFleetNode({
      fleet: config.fleet, node: fleetNodeName(config.fleet), link: createValkeyLink(config.fleet, log), engine,
      engineCfg: engineConfigFrom(config), store, audit, log, clock, apply, isAllowed: (ip) => isAllowed(ip),
      ipv6Prefix: config.detection.ipv6_prefix,
      onGlobalAlert: (d) => void apply([d]),
    });
    await fleet.start(opts.fleetConnectTimeoutMs ?? 3000);
  }

  let lastDownLog = 0;
  let lastDownKind = '';
  const poll = createPoller({
    url: config.nginx.url, timeoutMs: config.nginx.timeout_ms, secret: currentSecret, ipv6Prefix: config.detection.ipv6_prefix,
    warn: (msg) => log.warn(msg),
  });
  const loop: PollLoop = startPollLoop({
    poll,
    nowMs: () => clock.nowMs(),
    intervalMs: config.nginx.poll_interval * 1000,
    step: async (result: PollResult | null, t: number) => {
      if (fleet) return fleet.step(result, t);
      if (result && result.buckets.length) engine.ingest(result.buckets);
      const decisions = engine.tick(t);
      await apply(decisions);
      return decisions.length;
    },
    onNginxDown: (err, first) => {
      const now = clock.nowMs();
      // An answer not signed by nginx (something else holds the port, or an njs module older than this daemon) is its
      // own kind of problem: said as soon as it starts, even in the middle of an outage, then once a minute at most.
      const kind = /signature \(X-Warden-Auth\)/.test(err.message) ? 'unsigned' : 'down';
      if (first || kind !== lastDownKind) {
        lastDownLog = now;
        lastDownKind = kind;
        log.warn(`${err.message}; still polling every ${config.nginx.poll_interval}s (bans keep running out on time). ` +
          (kind === 'unsigned' ? 'Nothing of the answer was used. ' : 'Is nginx.conf included in http {}? ') + '`warden doctor` checks the set-up');
        audit.failure('nginx poll', err.message);
      } else if (now - lastDownLog >= 60_000) {
        lastDownLog = now;
        log.warn(`nginx still unreachable: ${err.message}`);
      }
    },
    onNginxUp: (n) => {
      log.info(`nginx reachable again after ${n} failed poll(s)`);
      // A restarted nginx has an empty ban dict: re-apply every active ban (idempotent for the firewall backends).
      if (backends.some((b) => b.name === 'nginx')) {
        reconcile(firewall, validRows(store.activeBans(), log), nowSec(), (ip) => engine.isBanned(ip)).then(
          (r) => log.info(`re-applied ${r.applied} active ban(s) after nginx came back`),
          (err: Error) => log.error(`re-applying bans after nginx came back failed: ${err.message}`),
        );
      }
    },
    onStepError: (err) => {
      log.error(`decision step failed: ${err.stack ?? err.message}`);
      audit.failure('decision step', err.message);
    },
    onBlind: (event, v) => {
      if (event === 'ended') {
        log.info(`requests have clients again: ${Math.round(v.share * 100)}% of the last minute's ${v.requests} had none`);
        return;
      }
      const msg = `${Math.round(v.share * 100)}% of the last minute's ${v.requests} requests came from a trusted proxy's own ` +
        'address with no usable X-Forwarded-For: warden sees no client in them, so no rule can ban whoever sends them. ' +
        'Check that the proxy sends the header and that nginx trusts it (set_real_ip_from, real_ip_header)';
      log.warn(msg);
      audit.failure('unattributed requests', msg);
    },
  });

  // The nginx ban dict against the database, every `nginx.ban_check_interval`: bans injected behind the daemon's back
  // are removed (and audited), bans that went missing are put back.
  const nginxFw = backends.find((b: FirewallBackend) => b.name === 'nginx');
  let driftRunning = false;
  const driftTimer = nginxFw ? setInterval(() => {
    if (driftRunning || !loop.state.reachable) return;
    driftRunning = true;
    correctDrift(nginxFw, store.activeBans(), nowSec()).then((d) => {
      for (const ip of d.strays) audit.failure('nginx ban drift', `removed ${ip} from the nginx ban dict: the database holds no such ban`);
      if (d.missing.length) audit.failure('nginx ban drift', `re-added ${d.missing.length} active ban(s) the nginx ban dict lacked (first: ${d.missing[0]})`);
      if (d.strays.length || d.missing.length) {
        log.warn(`nginx ban dict drifted: removed ${d.strays.length} ban(s) the database does not hold, re-added ${d.missing.length}`);
      }
    }, (err: Error) => log.warn(`checking the nginx ban dict against the database failed: ${err.message}`))
      .finally(() => { driftRunning = false; });
  }, config.nginx.ban_check_interval * 1000) : null;
  driftTimer?.unref();

  const hostStats = createHostStats();
  const stopCron = startScheduler([
    {
      name: 'baseline-snapshot', expression: '* * * * *',
      run: () => {
        try {
          store.setMeta(META_HOURLY_SLOTS, JSON.stringify(engine.hourlySlots()));
          const s = engine.status(nowSec(), 0);
          store.insertBaseline({
            at: nowSec(), mean: s.baseline.mean, stddev: s.baseline.stddev, error_mean: s.baseline.errorMean,
            source: s.baseline.source, hour: s.baseline.hour ?? null, samples: s.baseline.samples, global_rate: s.globalRate,
          });
          storageResult(null);
        } catch (err) {
          storageResult((err as Error).message);
        }
      },
    },
    {
      name: 'prune', expression: '17 * * * *',
      run: () => {
        const r = store.prune(nowSec(), config.bans.retention, config.bans.offence_memory);
        if (r.bans || r.baselines || r.alerts || r.ruleAlerts) {
          log.info(`pruned ${r.bans} ban(s), ${r.baselines} baseline row(s), ${r.alerts} alert(s), ${r.ruleAlerts} rule alert(s)`);
        }
      },
    },
  ], log);

  const parts: DaemonParts = {
    config, engine, store, firewall, audit, log, clock, alerter, hostStats, loop, startedAt, selfAddrs,
    apply: fleet ? (ds) => fleet.own(ds) : apply, fleet, rebuildAllow, isAllowed: (ip) => isAllowed(ip),
    backendNames: backends.map((b: FirewallBackend) => b.name),
    decisions: () => ({ total: decisionsTotal, lastMs: lastDecisionMs, ruleAlerts }),
    storage: () => ({ ...storage }),
  };
  const service = createWardenService(parts);

  // The CLI on this host authenticates with a token only root (the daemon's user) can read.
  const cliToken = randomBytes(24).toString('base64url');
  try {
    mkdirSync(dirname(cliTokenPath(config)), { recursive: true });
    writeFileSync(cliTokenPath(config), cliToken + '\n', { mode: 0o600 });
  } catch (err) {
    log.warn(`cannot write the CLI token file ${cliTokenPath(config)}: ${(err as Error).message}`);
  }
  const app = createApp(service, {
    auth: {
      passwordHash: config.api.password_hash, tokens: [...config.api.tokens, cliToken], sessionTtlSec: config.api.session_ttl,
      loginAttemptsPerMinute: config.api.login_attempts_per_minute,
      onGeneratedPassword: opts.onGeneratedPassword ?? ((pw: string) => console.log(`warden: generated dashboard password (shown once): ${pw}`)),
    },
    clock,
  });

  let server: ServerType | null = null;
  let apiUrl: string | null = null;
  if (opts.serveHttp !== false) {
    const { host, port } = splitListen(config.api.listen);
    try {
      server = await new Promise<ServerType>((resolve, reject) => {
        const s = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(s));
        s.once('error', reject);
      });
    } catch (err) {
      // A daemon without its API is no daemon: stop what was started (the poll loop and the jobs would keep the
      // process alive) and let the caller exit non-zero with the reason.
      await loop.stop();
      await stopCron();
      await firewall.shutdown().catch(() => undefined);
      audit.close();
      store.close();
      throw err;
    }
    const addr = server.address();
    const realPort = addr && typeof addr === 'object' ? addr.port : port;
    apiUrl = `http://${host.includes(':') ? `[${host}]` : host}:${realPort}`;
    log.info(`API and dashboard at ${apiUrl}${opts.configPath ? ` (config ${opts.configPath})` : ''}`);
  }

  let stopped = false;
  return {
    config, service, app, engine, store, apiUrl, fleet,
    pollOnce: () => loop.runOnce(),
    reopenLogs: () => audit.reopen(),
    async stop() {
      if (stopped) return;
      stopped = true;
      await loop.stop();
      await fleet?.stop();
      if (driftTimer) clearInterval(driftTimer);
      await stopCron();
      if (server) await new Promise<void>((r) => server!.close(() => r()));
      await alerter.flush(2000);
      try {
        store.setMeta(META_HOURLY_SLOTS, JSON.stringify(engine.hourlySlots()));
      } catch (err) {
        log.warn(`saving hourly baseline slots: ${(err as Error).message}`);
      }
      await firewall.shutdown();
      audit.close();
      store.close();
    },
  };
}
