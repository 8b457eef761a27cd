// Test helper: the daemon's real WardenService over a real SQLite store (temp file) and the real decision engine,
// with an in-memory firewall (the API never reaches the firewall directly) and fixed host figures.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../enforcer/config/load.js';
import { createEngine, engineConfigFrom, type Engine } from '../../enforcer/core/engine.js';
import type { Clock, Decision } from '../../enforcer/core/types.js';
import { buildMatcher } from '../../enforcer/net/cidr.js';
import { openStore, type WardenStore } from '../../enforcer/adapters/store/warden-store.js';
import type { BanEntry, FirewallBackend } from '../../enforcer/adapters/firewall/port.js';
import { applyDecisions, type DecisionAudit } from '../../enforcer/daemon/apply-decisions.js';
import type { AuditLog } from '../../enforcer/adapters/audit-log.js';
import { createWardenService } from '../../enforcer/daemon/warden-service.js';
import type { NginxState, PollLoop } from '../../enforcer/daemon/poll-loop.js';
import type { StorageHealth, WardenService } from '../../enforcer/api/service.js';
import { pushAll } from '../../enforcer/core/arrays.js';

/** A clock tests move by hand. */
export interface ManualClock extends Clock {
  set(ms: number): void;
  advance(ms: number): void;
}

/** Creates a clock starting at `ms`. */
export function manualClock(ms = Date.UTC(2026, 0, 5, 12, 0, 0)): ManualClock {
  let now = ms;
  return { nowMs: () => now, set: (m) => { now = m; }, advance: (d) => { now += d; } };
}

/** A running fixture. */
export interface ServiceFixture {
  service: WardenService;
  store: WardenStore;
  engine: Engine;
  clock: ManualClock;
  /** What the in-memory firewall enforces. */
  firewall: Map<string, number | null>;
  /** The host's own address used by the fixture. */
  selfAddr: string;
  /** Applies decisions as the daemon does (firewall, store, audit, alert counters). */
  apply(decisions: Decision[]): Promise<unknown>;
  close(): void;
}

function memoryFirewall(): FirewallBackend & { entries: Map<string, number | null> } {
  const entries = new Map<string, number | null>();
  let adds: BanEntry[] = [];
  let removes: string[] = [];
  return {
    name: 'memory', entries,
    async init() {},
    add(e) { pushAll(adds, e); },
    remove(ips) { pushAll(removes, ips); },
    async commit() {
      for (const e of adds) entries.set(e.ip, e.until);
      for (const ip of removes) entries.delete(ip);
      const r = { added: adds.length, removed: removes.length, failed: [] };
      adds = [];
      removes = [];
      return r;
    },
    async list() { return [...entries].map(([ip, until]) => ({ ip, until })); },
    async shutdown() {},
    async destroy() { entries.clear(); },
  };
}

/**
 * Builds the service over a fresh temp database. `allowlist` goes into the config's allow-list; `nowMs` starts the clock.
 * @example const fx = createServiceFixture({ allowlist: ['10.9.0.0/16'] }); t.after(() => fx.close());
 */
export function createServiceFixture(opts: {
  allowlist?: string[]; dbPath?: string; nowMs?: number;
  /** `detection` settings of the config (rule modes...). */
  detection?: Record<string, unknown>;
  /** A real audit log to write decisions to (default: none). */
  audit?: DecisionAudit & { allowChange?: AuditLog['allowChange'] };
  /** What the daemon's storage health says (default: the database takes writes). */
  storage?: () => StorageHealth;
} = {}): ServiceFixture {
  const dir = mkdtempSync(join(tmpdir(), 'warden-api-'));
  const dbPath = opts.dbPath ?? join(dir, 'warden.db');
  const config = parseConfig({ allowlist: opts.allowlist ?? [], storage: { database: dbPath }, detection: opts.detection ?? {} }, {});
  const clock = manualClock(opts.nowMs);
  const store = openStore(dbPath);
  const selfAddr = '192.0.2.10';
  const builtin = ['127.0.0.0/8', '::1/128', selfAddr];
  let isAllowed = buildMatcher([...builtin, ...config.allowlist]);
  const rebuildAllow = () => {
    isAllowed = buildMatcher([...builtin, ...config.allowlist, ...store.allowlist().map((a) => a.cidr)]);
    engine.setAllow(isAllowed);
  };
  const engine = createEngine(engineConfigFrom(config), { isAllowed: (ip) => isAllowed(ip) });
  const firewall = memoryFirewall();
  const log = { info() {}, warn() {}, error() {} };
  const audit: DecisionAudit & Pick<AuditLog, 'allowChange'> = opts.audit
    ? { ...opts.audit, allowChange: opts.audit.allowChange?.bind(opts.audit) ?? (() => {}) }
    : { ban() {}, unban() {}, globalAlert() {}, ruleAlert() {}, baseline() {}, spared() {}, failure() {}, allowChange() {} };
  const ruleAlerts: Record<string, number> = {};
  const apply = async (decisions: Decision[]) => {
    for (const d of decisions) if (d.kind === 'rule_alert') ruleAlerts[d.rule] = (ruleAlerts[d.rule] ?? 0) + 1;
    return applyDecisions(decisions, { firewall, store, audit, notify: () => {}, log, dryRun: false });
  };
  const loopState: NginxState = {
    reachable: true, lastPollAt: clock.nowMs() / 1000, lastError: null, droppedTotal: 3, droppedLastPoll: 0,
    unattributedTotal: 0, unattributedLastPoll: 0, blind: { blind: false, share: 0, requests: 0 }, requestsSeen: 1234, pollErrors: 0,
  };
  const loop = { state: loopState, runOnce: async () => {}, stop: async () => {}, timing: () => ({ lastMs: 2, maxMs: 5, iterations: 1 }) };
  const service = createWardenService({
    config, engine, store, firewall, audit, log, clock,
    alerter: { pending: () => 0, dropped: () => 0 },
    hostStats: { sample: () => ({ host: { cpuPct: 12.5, memUsed: 2e9, memTotal: 8e9, load1: 0.42 },
      process: { cpuPct: 1.5, rss: 80e6, heapUsed: 30e6 }, uptimeSec: 100 }) },
    loop: loop as PollLoop,
    startedAt: clock.nowMs() / 1000 - 3725,
    selfAddrs: [selfAddr],
    backendNames: ['memory'],
    apply,
    rebuildAllow,
    isAllowed: (ip: string) => isAllowed(ip),
    decisions: () => ({ total: 0, lastMs: 1, ruleAlerts }),
    storage: opts.storage ?? (() => ({ ok: true, lastError: null, since: null })),
  });
  return {
    service, store, engine, clock, firewall: firewall.entries, selfAddr, apply,
    close() {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
