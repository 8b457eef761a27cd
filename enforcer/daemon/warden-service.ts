// The daemon's face to the API: status, manual ban/unban, history, baseline and allow-list, on top of the running parts.
import type { Config } from '../config/schema.js';
import type { BanDecision, Clock, Decision, HeavyClients } from '../core/types.js';
import { allowEntries, runtimeAllowEntry, selfEntries } from '../core/allow-list.js';
import type { Engine } from '../core/engine.js';
import type { FirewallBackend } from '../adapters/firewall/port.js';
import type { WardenStore } from '../adapters/store/warden-store.js';
import type { HistoryFilter, RuleAlertFilter } from '../adapters/store/types.js';
import type { PollLoop } from './poll-loop.js';
import { actorLabel, type Actor, type ServiceError, type StorageHealth, type WardenService } from '../api/service.js';
import type { ApplyResult } from './apply-decisions.js';
import type { FleetNode } from './fleet-node.js';
import { normaliseIp } from '../net/ip.js';
import { banKeyProblem, cidrContains, normaliseBanKey, parseCidr } from '../net/cidr.js';
import { banRuleNames } from '../core/rules/registry.js';
import { ruleInfo } from '../core/rules/info.js';
import { specialAddressReason } from '../net/special.js';

/** Addresses of a bulk load handled between two turns of the event loop (one firewall batch, one transaction). */
export const BULK_CHUNK = 1000;

/** The running pieces the service reads and drives. */
export interface DaemonParts {
  config: Config;
  engine: Engine;
  store: WardenStore;
  firewall: FirewallBackend;
  audit: {
    failure(what: string, detail: string): void;
    /** A runtime allow-list change, with who made it. */
    allowChange(op: 'add' | 'remove', cidr: string, actor: string, note?: string): void;
  };
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
  /** Fleet mode's node (absent or null on a single host). */
  fleet?: FleetNode | null;
  rebuildAllow(): void;
  isAllowed(ip: string): boolean;
  /** Decisions applied, the last batch's duration, and alerts of rules in mode alert by rule since start. */
  decisions(): { total: number; lastMs: number; ruleAlerts?: Readonly<Record<string, number>> };
  storage(): StorageHealth;
}

/**
 * Builds the WardenService the API is served from.
 * @example const app = createApp(createWardenService(parts), opts);
 */
export function createWardenService(p: DaemonParts): WardenService {
  const nowSec = () => Math.floor(p.clock.nowMs() / 1000);

  /**
   * Never ban yourself: the same checks for one ban and for bulk loading. A network (`2001:db8::/64`) is refused when
   * it holds loopback, this host, an allow-listed address or the caller's own address.
   */
  const checkBannable = (rawIp: string, actor: Actor): { ok: true; ip: string } | ServiceError => {
    const ip = normaliseBanKey(rawIp.trim());
    if (!ip) return { ok: false, status: 400, error: `\`ip\` must be an IPv4 or IPv6 address or CIDR, got \`${rawIp.slice(0, 64)}\`` };
    const problem = banKeyProblem(ip);
    if (problem) return { ok: false, status: 400, error: problem };
    const special = specialAddressReason(ip);
    if (special) return { ok: false, status: 400, error: `refusing to ban ${ip}: ${special}; no client has it` };
    const net = ip.indexOf('/') >= 0;
    // nginx holds addresses and IPv6 prefixes of `detection.ipv6_prefix` bits only (njs/bans.ts): with no firewall
    // backend, any other network would be stored as banned but never enforced.
    if (net && !p.config.dry_run && p.backendNames.every((b) => b === 'nginx')) {
      const c = parseCidr(ip);
      const want = p.config.detection.ipv6_prefix;
      if (!c || c.version === 4 || c.prefix !== want) {
        return { ok: false, status: 400, error: `refusing to ban ${ip}: the nginx backend holds addresses and IPv6 /${want} prefixes ` +
          '(detection.ipv6_prefix) only; ban the addresses, or add a firewall backend (ipset, nftables, iptables) for other networks' };
      }
    }
    const it = net ? 'it holds' : 'it is';
    if (selfEntries(p.selfAddrs).some((a) => cidrContains(ip, a) || cidrContains(a, ip))) {
      return { ok: false, status: 403, error: `refusing to ban ${ip}: ${it} this host's own address` };
    }
    if (p.isAllowed(ip)) return { ok: false, status: 403, error: `refusing to ban ${ip}: ${net ? 'it holds an allow-listed address' : 'it is on the allow-list'}` };
    const from = actor.addr ? normaliseIp(actor.addr) : null;
    if (from && cidrContains(ip, from)) {
      return { ok: false, status: 403, error: `refusing to ban ${ip}: ${it} the address you are connected from` };
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
  let heavyCache: { at: number; n: number; value: HeavyClients } | null = null;
  const guardAudit = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      p.log.error(`audit: ${(err as Error).message}`);
    }
  };
  return {
    status() {
      const now = nowSec();
      // In fleet mode the deciding node shows the fleet-wide rates and top clients (its bans are the same set).
      const own = p.engine.status(now, 10);
      const fleetView = p.fleet?.fleetEngineStatus(10);
      const s = fleetView ? { ...fleetView, activeBans: own.activeBans } : own;
      const h = p.hostStats.sample();
      return {
        ...s,
        uptimeSec: p.clock.nowMs() / 1000 - p.startedAt,
        host: h.host,
        process: h.process,
        nginx: { reachable: p.loop.state.reachable, lastPollAt: p.loop.state.lastPollAt, lastError: p.loop.state.lastError },
        dropped: { total: p.loop.state.droppedTotal, lastPoll: p.loop.state.droppedLastPoll },
        unattributed: { total: p.loop.state.unattributedTotal, lastPoll: p.loop.state.unattributedLastPoll, blind: p.loop.state.blind.blind,
          share: p.loop.state.blind.share },
        dryRun: p.config.dry_run,
        backends: p.backendNames,
        storage: p.storage(),
        ...(p.fleet ? { fleet: p.fleet.cached() } : {}),
        banRules: banRuleNames(),
      };
    },

    async ban(rawIp, durationSec, reason, actor) {
      const checked = checkBannable(rawIp, actor);
      if (!checked.ok) return checked;
      const d = p.engine.manualBan(checked.ip, nowSec(), durationSec, reason);
      d.by = actorLabel(actor);
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
      const by = actorLabel(actor);
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
            const ip = normaliseBanKey(raw.trim()) ?? raw.slice(0, 64);
            refused.push({ ip, error: seen.has(ip) ? 'listed twice' : checked.error });
          } else if (seen.has(checked.ip)) {
            refused.push({ ip: checked.ip, error: 'listed twice' });
          } else {
            seen.add(checked.ip);
            const d = p.engine.manualBan(checked.ip, now, durationSec, reason);
            d.by = by;
            decisions.push(d);
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

    async unban(rawIp, actor) {
      const ip = normaliseBanKey(rawIp.trim());
      if (!ip) return { ok: false, status: 400, error: `\`ip\` must be an IPv4 or IPv6 address or CIDR, got \`${rawIp.slice(0, 64)}\`` };
      const d = p.engine.manualUnban(ip, nowSec());
      if (!d) return { ok: false, status: 404, error: `${ip} is not banned` };
      d.by = actorLabel(actor);
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
      return allowEntries({ selfAddrs: p.selfAddrs, configured: p.config.allowlist, added: p.store.allowlist() });
    },
    async addAllow(raw, note, actor) {
      const entry = runtimeAllowEntry(raw);
      if (!entry.ok) return { ok: false, status: 400, error: entry.error };
      const cidr = entry.cidr;
      const now = nowSec();
      const by = actorLabel(actor);
      try {
        p.store.addAllow(cidr, note, by, now);
      } catch (err) {
        return { ok: false, status: 503, error: `${cidr} was not added to the allow-list: the database did not store it (${(err as Error).message})` };
      }
      p.rebuildAllow();
      guardAudit(() => p.audit.allowChange('add', cidr, by, note));
      p.log.info(`allow-listed ${cidr} (by ${by}${note ? `: ${note}` : ''})`);
      // Applied at once: bans the allow-list now covers are lifted now (firewall, database, audit), not at the next tick.
      const lifts = p.engine.liftAllowed(now);
      if (lifts.length) await p.apply(lifts);
      return { ok: true, cidr, lifted: lifts.map((d) => d.ip) };
    },
    async removeAllow(raw, actor) {
      const c = parseCidr(raw.trim());
      if (!c) return { ok: false, status: 400, error: `\`cidr\` must be an IP address or CIDR, got \`${raw.slice(0, 64)}\`` };
      let removed: boolean;
      try {
        removed = p.store.removeAllow(c.text);
      } catch (err) {
        return { ok: false, status: 503, error: `${c.text} was not removed from the allow-list: the database did not store it (${(err as Error).message})` };
      }
      if (!removed) return { ok: false, status: 404, error: `${c.text} is not on the runtime allow-list (config-file entries are removed in the config file)` };
      p.rebuildAllow();
      guardAudit(() => p.audit.allowChange('remove', c.text, actorLabel(actor)));
      p.log.info(`removed ${c.text} from the allow-list (by ${actorLabel(actor)})`);
      return { ok: true };
    },
    ruleAlerts: (filter: RuleAlertFilter) => p.store.ruleAlerts(filter),
    heavyClients(n: number) {
      // One walk over every client per second and size at most, whatever the number of open dashboards.
      const now = nowSec();
      if (heavyCache && heavyCache.at === now && heavyCache.n === n) return heavyCache.value;
      heavyCache = { at: now, n, value: p.engine.heaviest(now, n) };
      return heavyCache.value;
    },
    storageHealth: () => p.storage(),
    getMeta: (key) => p.store.getMeta(key),
    setMeta: (key, value) => p.store.setMeta(key, value),

    rules: () => ruleInfo(p.config.detection),

    metrics() {
      const st = p.loop.state;
      // Every rule a ban can carry has a series (0 until it bans), so dashboards and alerts can refer to it at once.
      const bansTotalByRule: Record<string, number> = Object.fromEntries(banRuleNames().map((r) => [r, 0]));
      Object.assign(bansTotalByRule, p.store.bansTotalByRule());
      const rules = ruleInfo(p.config.detection);
      const alerted = p.decisions().ruleAlerts ?? {};
      const active = p.engine.status(nowSec(), 0).activeBans;
      return {
        requestsSeen: st.requestsSeen,
        bansActive: active.length,
        bansActiveNetworks: active.reduce((n, b) => n + (b.ip.indexOf('/') >= 0 ? 1 : 0), 0),
        bansTotalByRule,
        ruleAlertsByRule: Object.fromEntries(rules.filter((r) => r.scope === 'client').map((r) => [r.name, alerted[r.name] ?? 0])),
        ruleModes: rules.map((r) => ({ rule: r.name, mode: r.mode })),
        decisionLatencyMs: p.decisions().lastMs,
        pollErrors: st.pollErrors,
        droppedTotal: st.droppedTotal,
        unattributedTotal: st.unattributedTotal,
        pollDurationMs: p.loop.timing().lastMs,
        alertsPending: p.alerter.pending(),
        alertsDropped: p.alerter.dropped(),
        ...(p.fleet ? { fleet: p.fleet.cached() } : {}),
      };
    },
  };
}
