// The contract between the HTTP API and the daemon: everything the API reads or asks for goes through WardenService.
import type { ActiveBan, EngineStatus, HeavyClients } from '../core/types.js';
import type { AllowEntry } from '../core/allow-list.js';
import type { RuleInfo } from '../core/rules/info.js';
import type { BanRow, BaselineRow, HistoryFilter, RuleAlertFilter, RuleAlertRow } from '../adapters/store/types.js';

/** Host figures sampled by the daemon. Memory in bytes, CPU in percent of all cores. */
export interface HostView {
  cpuPct: number;
  memUsed: number;
  memTotal: number;
  load1: number;
}

/** The daemon process' own figures. Memory in bytes. */
export interface ProcessView {
  cpuPct: number;
  rss: number;
  heapUsed: number;
}

/** Whether the database takes writes (disk full, read-only file system...). */
export interface StorageHealth {
  ok: boolean;
  /** The last write error while failing, else null. */
  lastError: string | null;
  /** Since when (epoch s) writes fail, else null. */
  since: number | null;
}

/** What GET /api/v1/status returns: the engine's live view plus the daemon's health. */
export interface StatusView extends EngineStatus {
  /** Seconds since the daemon started. */
  uptimeSec: number;
  host: HostView;
  process: ProcessView;
  /** Whether the last poll of nginx's counters succeeded; times are epoch seconds (null: never). */
  nginx: { reachable: boolean; lastPollAt: number | null; lastError: string | null };
  /** Requests nginx could not count: since start, and in the last poll. */
  dropped: { total: number; lastPoll: number };
  /**
   * Requests whose address after realip was a trusted proxy's (`$warden_from_proxy` in nginx.conf: X-Forwarded-For
   * missing or unparseable): in the totals, never counted against a client. Since start, and in the last poll.
   */
  /**
   * Requests with no client (a trusted proxy's own address); `blind` while they were most of the last minute's (`share`
   * of them), when no rule can see who sends them.
   */
  unattributed: { total: number; lastPoll: number; blind: boolean; share: number };
  /** True when bans are decided and recorded but not enforced. */
  dryRun: boolean;
  /** Names of the active firewall backends, e.g. ['ipset']. */
  backends: string[];
  /** Whether the database takes writes; while it does not, new bans are refused with 503. */
  storage: StorageHealth;
  /** Fleet mode: this node and every node of the fleet (absent on a single host). */
  fleet?: FleetStatusView;
  /** The rule names a ban can carry (the registry's client and prefix rules, then `manual`): the history filter's choices. */
  banRules: string[];
}

/** One node of the fleet, from its heartbeat in Valkey. */
export interface FleetNodeView {
  node: string;
  /** decider, follower, local (Valkey unreachable for it), or unknown. */
  role: string;
  /** Milliseconds since its last heartbeat (fleet clock). */
  lastSeenMs: number;
  /** Its last decision -> applied lag, ms. */
  lagMs: number | null;
  /** Requests per second its nginx counted in the last poll. */
  rate: number;
  bans: number;
  queued: number;
  /** Not seen for 5 s. */
  stale: boolean;
}

/** Fleet mode as this node sees it (docs/fleet.md). */
export interface FleetStatusView {
  node: string;
  /** The server URL, password hidden. */
  url: string;
  role: 'decider' | 'follower' | 'local';
  connected: boolean;
  /** The lease's fencing token when deciding, else 0. */
  token: number;
  /** Own decisions waiting for Valkey. */
  queued: number;
  /** Fleet decisions applied / refused here since start. */
  applied: number;
  refused: number;
  /** Decision -> applied here, ms: the last, and the p50 and p99 of the last 1,000. */
  lagMs: number | null;
  lagP50Ms: number | null;
  lagP99Ms: number | null;
  /** Valkey's clock minus this host's, ms. */
  clockOffsetMs: number;
  /** Fleet-wide req/s over the window (the decider only). */
  fleetRate: number | null;
  nodes: FleetNodeView[];
}

/**
 * A refusal: 400 invalid input, 403 refused (loopback, self, allow-listed, the caller's own address), 404 not found,
 * 409 conflict, 503 not stored (the database does not take writes: nothing was changed).
 */
export interface ServiceError {
  ok: false;
  status: 400 | 403 | 404 | 409 | 503;
  /** A sentence for humans naming the field or the reason. */
  error: string;
}

/** Result of a manual ban. */
export type BanResult = { ok: true; ban: ActiveBan } | ServiceError;

/** Result of an operation with nothing to return. */
export type OkResult = { ok: true } | ServiceError;

/** One hour-of-day baseline slot (UTC hour 0-23). */
export interface HourlySlotView {
  hour: number;
  mean: number;
  stddev: number;
  samples: number;
}

/** One allow-list entry; `source` tells whether it can be removed through the API (only 'api' ones). */
export type AllowView = AllowEntry;

/** Counters exposed on /metrics. */
export interface MetricsView {
  requestsSeen: number;
  bansActive: number;
  /** Of bansActive, the bans of a network (a prefix such as 2001:db8:1:2::/64) rather than one address. */
  bansActiveNetworks: number;
  bansTotalByRule: Record<string, number>;
  /** Alerts of client rules in mode alert since the daemon started, by rule. */
  ruleAlertsByRule: Record<string, number>;
  /** Each registered rule's mode. */
  ruleModes: Array<{ rule: string; mode: string }>;
  decisionLatencyMs: number;
  pollErrors: number;
  droppedTotal: number;
  unattributedTotal: number;
  pollDurationMs: number;
  alertsPending: number;
  alertsDropped: number;
  /** Fleet mode only. */
  fleet?: FleetStatusView;
}

/**
 * Who asked for a change: the address the request came from (after trusted proxies), and how it authenticated
 * (`token 3f9a1c2b`: the first 8 hex digits of the bearer token's SHA-256; `session 9d0e7a41`: of the session cookie's;
 * never the secret itself). The address is what "never ban the address you are connected from" checks; both go into
 * the audit log (`by=`).
 * @example { addr: '198.51.100.2', via: 'token 3f9a1c2b' }
 */
export interface Actor {
  addr: string;
  via: string;
}

/**
 * The actor as the audit log and the daemon's log write it.
 * @example actorLabel({ addr: '198.51.100.2', via: 'token 3f9a1c2b' }) // '198.51.100.2 (token 3f9a1c2b)'
 */
export function actorLabel(a: Actor): string {
  if (!a.addr) return a.via || '-';
  return a.via ? `${a.addr} (${a.via})` : a.addr;
}

/**
 * What the API needs from the running daemon. Implemented by enforcer/daemon/warden-service.ts
 * and, for tests, by test/api/service-fixture.ts.
 * @example
 *   const app = createApp(service, { auth: { passwordHash: '', tokens: [], sessionTtlSec: 43200, loginAttemptsPerMinute: 5 }, clock });
 */
export interface WardenService {
  /** The live status (cheap: called every few seconds by each open dashboard). */
  status(): StatusView;
  /**
   * Bans `ip` (an address or a network such as `2001:db8::/64`, trimmed and normalised by the service) for
   * `durationSec` seconds, or permanently when null. `actor` is who asked (audited); the service refuses (403) to ban
   * loopback, this host, an allow-listed address or the caller's own address (or a network holding one), refuses (400) a network wider than MIN_BAN_PREFIX, and answers 409 when it
   * is already banned.
   */
  ban(ip: string, durationSec: number | null, reason: string, actor: Actor): Promise<BanResult>;
  /**
   * Bans many addresses in one firewall batch (bulk loading). Each is checked like `ban`; the ones refused are
   * returned with the reason, the rest banned.
   */
  banMany(ips: string[], durationSec: number | null, reason: string, actor: Actor):
    Promise<{ banned: number; refused: Array<{ ip: string; error: string }>; storageError?: string }>;
  /** Lifts a ban of an address or a network; 404 when it is not banned (a network's ban is lifted by its CIDR). */
  unban(ip: string, actor: Actor): Promise<OkResult>;
  /** One page of ban history and the total matching. */
  history(filter: HistoryFilter): { rows: BanRow[]; total: number };
  /** All matching rows, streamed (for CSV export); ignores limit/offset when absent. */
  iterateHistory(filter: HistoryFilter): IterableIterator<BanRow>;
  /** Baseline snapshots (one a minute) since an epoch second. */
  baselineHistory(sinceSec: number): BaselineRow[];
  /** The 24 hour-of-day slots. */
  hourlySlots(): HourlySlotView[];
  /** Built-in, config-file and API-added allow-list entries. */
  allowlist(): AllowView[];
  /**
   * Adds a runtime allow-list entry (an address, or a network no wider than /8 or /16 for IPv6: core/allow-list.ts),
   * kept in the database: applied at once (the engine stops judging it, and its active bans are lifted, listed in
   * `lifted`) and audited. 400 for a bad or too wide entry, 503 when it was not stored.
   */
  addAllow(cidr: string, note: string, actor: Actor): Promise<({ ok: true; cidr: string; lifted: string[] }) | ServiceError>;
  /** Removes a runtime allow-list entry (audited); 404 when there is none (config entries cannot be removed). */
  removeAllow(cidr: string, actor: Actor): Promise<OkResult>;
  /** Rule alerts (what rules in mode alert or learning would have banned), newest first, and the total matching. */
  ruleAlerts(filter: RuleAlertFilter): { rows: RuleAlertRow[]; total: number };
  /** The `n` heaviest clients by current rate, 10-minute and 1-hour volume (this node's own traffic in fleet mode). */
  heavyClients(n: number): HeavyClients;
  /** Whether the database takes writes (for /healthz). */
  storageHealth(): StorageHealth;
  /** Prometheus counters and gauges. */
  metrics(): MetricsView;
  /** Every registered rule with its mode and thresholds (GET /api/v1/rules). */
  rules(): RuleInfo[];
  /** Persistent key/value storage for the generated password hash and the session secret. */
  getMeta(key: string): string | undefined;
  setMeta(key: string, value: string): void;
}
