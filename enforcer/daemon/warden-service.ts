// The daemon's face to the API: status, manual ban/unban, history, baseline and allow-list, on top of the running parts.
import type { Config } from '../config/schema.js';
import type { BanDecision, Clock, Decision } from '../core/types.js';
import type { Engine } from '../core/engine.js';
import type { FirewallBackend } from '../adapters/firewall/port.js';
import type { WardenStore } from '../adapters/store/warden-store.js';
import type { HistoryFilter } from '../adapters/store/types.js';
import type { PollLoop } from './poll-loop.js';
import type { ServiceError, StorageHealth, WardenService } from '../api/service.js';
import type { ApplyResult } from './apply-decisions.js';
import { normaliseIp, isLoopback } from '../net/ip.js';
import { parseCidr } from '../net/cidr.js';
import { allowlistWarning, specialAddressReason } from '../net/special.js';

/** Addresses of a bulk load handled between two turns of the event loop (one firewall batch, one transaction). */
export const BULK_CHUNK = 1000;

/** The running pieces the service reads and drives. */
export interface DaemonParts {
  config: Config;
  engine: Engine;
  store: WardenStore;
  firewall: FirewallBackend;
  audit: { failure(what: string, detail: string): void };
  log: { info(msg: string): void; warn(msg: string): void; error(msg: string): void };
  clock: Clock;
  alerter: { pending(): number; dropped(): number };
  hostStats: { sample(): { host: { cpuPct: number; memUsed: number; memTotal: number; load1: number };
    process: { cpuPct: number; rss: number; heapUsed: number }; uptimeSec: number } };
  loop: PollLoop;
  startedAt: number;
  selfAddrs: string[];
  backendNames: string[];
  /** Applies decisions; the result says which the database did not record (null for an empty list). */
  apply(decisions: Decision[]): Promise<ApplyResult | null>;
  rebuildAllow(): void;
  isAllowed(ip: string): boolean;
  decisions(): { total: number; lastMs: number };
  storage(): StorageHealth;
}

/**
 * Builds the WardenService the API is served from.
 * @example const app = createApp(createWardenService(parts), opts);
 */
export function createWardenService(p: DaemonParts): WardenService {
  const nowSec = () => Math.floor(p.clock.nowMs() / 1000);

  /** Never ban yourself: the same checks for one ban and for bulk loading. */
  const checkBannable = (rawIp: string, actor: string): { ok: true; ip: string } | ServiceError => {
    const ip = normaliseIp(rawIp.trim());
    if (!ip) return { ok: false, status: 400, error: `\`ip\` must be an IPv4 or IPv6 address, got \`${rawIp.slice(0, 64)}\`` };
    const special = specialAddressReason(ip);
    if (special) return { ok: false, status: 400, error: `refusing to ban ${ip}: ${special}; no client has it` };
    if (isLoopback(ip) || p.selfAddrs.includes(ip)) {
      return { ok: false, status: 403, error: `refusing to ban ${ip}: it is this host's own address` };
    }
    if (p.isAllowed(ip)) return { ok: false, status: 403, error: `refusing to ban ${ip}: it is on the allow-list` };
    if (actor && normaliseIp(actor) === ip) {
      return { ok: false, status: 403, error: `refusing to ban ${ip}: it is the address you are connected from` };
    }
    if (p.engine.isBanned(ip)) return { ok: false, status: 409, error: `${ip} is already banned` };
    return { ok: true, ip };
  };
  /**
   * Takes back bans the database did not record (the caller is told 503): out of the engine and the firewall, so what
   * is enforced is what was acknowledged. Nothing is written (the database is failing).
   */
  const revertBans = async (ips: string[]) => {
    const now = nowSec();
    for (const ip of ips) p.engine.manualUnban(ip, now);
    p.firewall.remove(ips);
    try {
      await p.firewall.commit();
    } catch (err) {
      p.log.error(`taking back bans that were not stored failed: ${(err as Error).message}`);
    }
  };
  return {
    status() {
      const now = nowSec();
      const s = p.engine.status(now, 10);
      const h = p.hostStats.sample();
      return {
        ...s,
        uptimeSec: p.clock.nowMs() / 1000 - p.startedAt,
        host: h.host,
        process: h.process,
        nginx: { reachable: p.loop.state.reachable, lastPollAt: p.loop.state.lastPollAt, lastError: p.loop.state.lastError },
        dropped: { total: p.loop.state.droppedTotal, lastPoll: p.loop.state.droppedLastPoll },
        dryRun: p.config.dry_run,
        backends: p.backendNames,
        storage: p.storage(),
      };
    },

    async ban(rawIp, durationSec, reason, actor) {
      const checked = checkBannable(rawIp, actor);
      if (!checked.ok) return checked;
      const d = p.engine.manualBan(checked.ip, nowSec(), durationSec, reason);
      const r = await p.apply([d]);
      const notStored = r?.notStored.get(d);
      if (notStored !== undefined) {
        await revertBans([d.ip]);
        return { ok: false, status: 503, error: `the ban of ${d.ip} was not stored (${notStored}); it is not in force: free space or fix the database and retry` };
      }
      return { ok: true, ban: { ip: d.ip, since: d.at, until: d.until, step: d.step, rule: d.rule, rate: d.rate, source: d.source } };
    },

    async banMany(ips, durationSec, reason, actor) {
      const refused: Array<{ ip: string; error: string }> = [];
      const seen = new Set<string>();
      let banned = 0;
      let storageError: string | undefined;
      // In bounded chunks, each its own firewall batch and transaction, yielding to the event loop in between: the
      // poll loop keeps draining nginx's counters during a 100,000-address load, so a flood meanwhile is still banned.
      for (let i = 0; i < ips.length; i += BULK_CHUNK) {
        const decisions: BanDecision[] = [];
        const now = nowSec();
        for (const raw of ips.slice(i, i + BULK_CHUNK)) {
          const checked = checkBannable(raw, actor);
          if (!checked.ok) {
            const ip = normaliseIp(raw.trim()) ?? raw.slice(0, 64);
            refused.push({ ip, error: seen.has(ip) ? 'listed twice' : checked.error });
          } else if (seen.has(checked.ip)) {
            refused.push({ ip: checked.ip, error: 'listed twice' });
          } else {
            seen.add(checked.ip);
            decisions.push(p.engine.manualBan(checked.ip, now, durationSec, reason));
          }
        }
        const r = await p.apply(decisions);
        const failed: string[] = [];
        for (const d of decisions) {
          const why = r?.notStored.get(d);
          if (why === undefined) continue;
          failed.push(d.ip);
          storageError ??= why;
          refused.push({ ip: d.ip, error: `not stored (${why}); not in force` });
        }
        if (failed.length) await revertBans(failed);
        banned += decisions.length - failed.length;
        await new Promise<void>((r) => setImmediate(r));
      }
      return storageError === undefined ? { banned, refused } : { banned, refused, storageError };
    },

    async unban(rawIp) {
      const ip = normaliseIp(rawIp.trim());
      if (!ip) return { ok: false, status: 400, error: `\`ip\` must be an IPv4 or IPv6 address, got \`${rawIp.slice(0, 64)}\`` };
      const d = p.engine.manualUnban(ip, nowSec());
      if (!d) return { ok: false, status: 404, error: `${ip} is not banned` };
      const r = await p.apply([d]);
      const notStored = r?.notStored.get(d);
      if (notStored !== undefined) {
        return { ok: false, status: 503, error: `${ip} is unbanned now, but that was not stored (${notStored}): the ban comes back after a restart` };
      }
      return { ok: true };
    },

    history: (filter: HistoryFilter) => p.store.history(filter),
    iterateHistory: (filter: HistoryFilter) => p.store.iterateHistory(filter),
    baselineHistory: (sinceSec: number) => p.store.baselineHistory(sinceSec),
    hourlySlots: () => p.engine.hourlySlots().map((s) => ({ hour: s.hour, mean: s.mean, stddev: s.stddev, samples: s.samples })),

    allowlist() {
      const fixed = [
        { cidr: '127.0.0.0/8', note: 'loopback', source: 'builtin' as const },
        { cidr: '::1/128', note: 'loopback', source: 'builtin' as const },
        ...p.selfAddrs.map((a) => ({ cidr: a, note: 'this host', source: 'builtin' as const })),
        ...p.config.allowlist.map((c) => ({ cidr: c, note: 'config file', source: 'config' as const })),
      ];
      return [...fixed, ...p.store.allowlist().map((a) => ({ ...a, source: 'api' as const }))];
    },
    async addAllow(cidr, note, actor) {
      if (!parseCidr(cidr)) return { ok: false, status: 400, error: `\`cidr\` must be an IP address or CIDR, got \`${cidr.slice(0, 64)}\`` };
      p.store.addAllow(cidr, note, actor, nowSec());
      p.rebuildAllow();
      const warning = allowlistWarning(cidr);
      if (warning) p.log.warn(warning);
      return warning ? { ok: true, warning } : { ok: true };
    },
    async removeAllow(cidr) {
      if (!p.store.removeAllow(cidr)) return { ok: false, status: 404, error: `${cidr} is not on the API allow-list` };
      p.rebuildAllow();
      return { ok: true };
    },
    storageHealth: () => p.storage(),
    getMeta: (key) => p.store.getMeta(key),
    setMeta: (key, value) => p.store.setMeta(key, value),

    metrics() {
      const st = p.loop.state;
      return {
        requestsSeen: st.requestsSeen,
        bansActive: p.engine.status(nowSec(), 0).activeBans.length,
        bansTotalByRule: p.store.bansTotalByRule(),
        decisionLatencyMs: p.decisions().lastMs,
        pollErrors: st.pollErrors,
        droppedTotal: st.droppedTotal,
        pollDurationMs: p.loop.timing().lastMs,
        alertsPending: p.alerter.pending(),
        alertsDropped: p.alerter.dropped(),
      };
    },
  };
}
