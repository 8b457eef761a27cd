// The deciding node's side of fleet mode: holds the lease (a key with an expiry and a fencing token, taken and renewed
// by scripts on the server), and while it does, feeds the fleet-wide counts of every second into an engine of its own
// (the same engine and rules as a single host) and publishes that engine's decisions, fenced by its token.
// A node that takes the lease over rebuilds the window from the counts kept in Valkey (docs/fleet.md, "The decider").
import type {
  ActiveBan, Counts, Decision, EngineStatus, GlobalAlertDecision, OffenceRecord, RuleAlertDecision, SecondBucket,
} from '../core/types.js';
import { createEngine, type Engine, type EngineConfig } from '../core/engine.js';
import { decodeCounts } from '../core/fleet/counts-codec.js';
import { checkWire, toWire, type WidestNetwork, type WireDecision } from '../core/fleet/decision-wire.js';
import type { ValkeyLink } from '../adapters/fleet/valkey-link.js';

/** What the decider needs. */
export interface DeciderDeps {
  link: ValkeyLink;
  node: string;
  engineCfg: EngineConfig;
  isAllowed(ip: string): boolean;
  /** The widest network a decision may name (fleetWidest of `detection.ipv6_prefix`). */
  widest: WidestNetwork;
  log: { info(m: string): void; warn(m: string): void; error(m: string): void };
  leaseMs: number;
  readDelayMs: number;
  streamLength: number;
  /** The fleet's clock (the Valkey server's), epoch ms. */
  fleetNowMs(): number;
  /** True while this node is in step with the fleet (connected and synced). */
  connected(): boolean;
  /** Offences this node's database remembers since `sinceSec` (every node records every fleet ban). */
  offences(sinceSec: number): OffenceRecord[];
  /** A global surge or a rule in `alert` mode seen on the fleet's sums: audited and alerted here. */
  onGlobalAlert(d: GlobalAlertDecision | RuleAlertDecision): void;
  nextId(): string;
  /** Heartbeat JSON of this node (sent when the role changes). */
  heartbeat(): string;
}

/** What the operator views show of the decider. */
export interface DeciderView {
  role: 'decider' | 'follower';
  token: number;
  /** Fleet-wide requests per second over the window, when deciding. */
  fleetRate: number | null;
  /** Milliseconds the last decide iteration took. */
  lastMs: number;
  takeovers: number;
}

/** A running decider loop. */
export interface Decider {
  view(): DeciderView;
  /** The fleet engine's live view while deciding (fleet-wide rates, top clients), else null. */
  engineStatus(topN: number): EngineStatus | null;
  /** Keeps the fleet engine in step with a decision it did not make (an operator's, a node's own). */
  observe(w: WireDecision): void;
  stop(): Promise<void>;
}

const parseGlobal = (text: string): Counts => {
  const f = text.split(',').map(Number);
  return [f[0] || 0, f[1] || 0, f[2] || 0];
};

/**
 * Starts the lease loop: once a second (at the fleet clock's second + readDelayMs) it takes or renews the lease and,
 * while it holds it, decides.
 * @example const d = startDecider({ link, node: 'web1', engineCfg, ... }); ... await d.stop();
 */
export function startDecider(deps: DeciderDeps): Decider {
  const { link, node, log } = deps;
  const W = deps.engineCfg.window;
  let lease: { token: number; value: string } | null = null;
  let engine: Engine | null = null;
  let lastRead = 0;
  /** Nodes whose counts were read, per second (for the late-arrival pass). */
  const seen = new Map<number, Set<string>>();
  const caughtUp = new Set<number>();
  const globals = new Map<number, Counts>();
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let lastMs = 0;
  let takeovers = 0;
  const fleetNowSec = () => Math.floor(deps.fleetNowMs() / 1000);

  const lose = (why: string) => {
    if (lease) log.warn(`fleet: ${node} is no longer the deciding node (${why})`);
    lease = null;
    engine = null;
    seen.clear();
    caughtUp.clear();
    globals.clear();
  };

  const ingestFields = (t: number, fields: Record<string, string | null>) => {
    const set = seen.get(t) ?? new Set<string>();
    seen.set(t, set);
    const g = globals.get(t) ?? ([0, 0, 0] as Counts);
    const buckets: SecondBucket[] = [];
    for (const [name, text] of Object.entries(fields)) {
      if (text === null || set.has(name)) continue;
      set.add(name);
      const { bucket } = decodeCounts(t, text);
      for (let i = 0; i < 3; i++) g[i] = (g[i] ?? 0) + (bucket.global[i] ?? 0);
      buckets.push(bucket);
    }
    globals.set(t, g);
    if (buckets.length) engine!.ingest(buckets);
  };

  const rebuild = async (): Promise<number> => {
    const e = createEngine(deps.engineCfg, { isAllowed: deps.isAllowed });
    const now = fleetNowSec();
    const snap = await link.snapshot();
    const bans: ActiveBan[] = [];
    for (const text of Object.values(snap.bans)) {
      const c = checkWire(text, deps.isAllowed, deps.widest);
      if (!c.ok || c.decision.kind !== 'ban') continue;
      const w = c.decision;
      if (w.until !== null && w.until <= now) continue;
      bans.push({ ip: w.ip, since: w.at, until: w.until, step: w.step, rule: w.rule, rate: w.rate, source: w.src });
    }
    e.restore(bans, deps.offences(now - deps.engineCfg.offenceMemory));
    engine = e;
    // The baseline's history (fleet-wide totals per second, kept by every decider), then the window's per-client counts.
    const hist = await link.globalHistory();
    const old: SecondBucket[] = [];
    for (const [k, v] of Object.entries(hist)) {
      const t = Number(k);
      if (Number.isInteger(t) && t < now - W && t >= now - deps.engineCfg.baselineWindow) old.push({ t, global: parseGlobal(v), ips: {} });
    }
    old.sort((a, b) => a.t - b.t);
    e.ingest(old);
    let seconds = 0;
    for (let t = now - W; t < now; t++) {
      const fields = await link.readCounts(t);
      if (Object.keys(fields).length) seconds++;
      ingestFields(t, fields);
    }
    lastRead = now - 1;
    return seconds + old.length;
  };

  const publish = async (ds: Decision[]) => {
    const texts: string[] = [];
    for (const d of ds) {
      if (d.kind === 'ban' || d.kind === 'unban') {
        texts.push(JSON.stringify(toWire(d, { id: deps.nextId(), node, mode: 'fleet', ep: lease!.token })));
      } else if (d.kind === 'global_alert' || d.kind === 'rule_alert') {
        // Alerts (never enforced) are audited and sent by the deciding node only.
        deps.onGlobalAlert(d);
      }
    }
    if (!texts.length) return;
    const ids = await link.publish(texts, lease!.value, deps.streamLength);
    if (ids === null) lose('fenced out: another node holds the lease');
  };

  const decide = async () => {
    const T = fleetNowSec();
    const from = Math.max(lastRead + 1, T - W);
    for (let t = from; t < T; t++) ingestFields(t, await link.readCounts(t));
    // Late arrivals: a node whose counts missed the first read of a second (its clock, its poll) is read once more.
    const live = Object.entries(await link.nodes()).filter(([, json]) => {
      try {
        return deps.fleetNowMs() - (JSON.parse(json) as { seen: number }).seen < 5000;
      } catch {
        return false;
      }
    }).map(([name]) => name);
    for (let t = T - 3; t < from; t++) {
      if (caughtUp.has(t) || !seen.has(t)) continue;
      caughtUp.add(t);
      const missing = live.filter((n) => !seen.get(t)!.has(n));
      if (!missing.length) continue;
      const vals = await link.readCountsOf(t, missing);
      const fields: Record<string, string | null> = {};
      missing.forEach((n, i) => { fields[n] = vals[i]; });
      ingestFields(t, fields);
    }
    const written = [...globals.entries()].filter(([t]) => t >= T - 4).map(([t, g]) => ({ t, text: `${g[0]},${g[1]},${g[2]}` }));
    const dropBefore = [T - deps.engineCfg.baselineWindow - 5 - W];
    lastRead = T - 1;
    for (const t of [...seen.keys()]) if (t < T - 5) { seen.delete(t); caughtUp.delete(t); globals.delete(t); }
    await link.writeGlobal(written, dropBefore);
    await publish(engine!.tick(T));
  };

  const iterate = async () => {
    if (!deps.connected()) {
      if (lease) lose('Valkey unreachable');
      return;
    }
    const t0 = Date.now();
    if (!lease) {
      const token = await link.acquire(node, deps.leaseMs);
      if (!token) return;
      lease = { token, value: `${node}|${token}` };
      try {
        const n = await rebuild();
        takeovers++;
        log.info(`fleet: ${node} is the deciding node (token ${token}); window rebuilt from ${n} second(s) of counts kept in Valkey`);
        await link.heartbeat(node, deps.heartbeat());
      } catch (err) {
        lose(`rebuilding the window failed: ${(err as Error).message}`);
        return;
      }
    }
    await decide();
    lastMs = Date.now() - t0;
  };

  // The lease is renewed on its own timer, three times per lease, so a long rebuild or a slow second never lets it run out.
  let renewing = false;
  const renewTimer = setInterval(() => {
    if (!lease || renewing || stopped) return;
    const held = lease;
    renewing = true;
    link.renew(held.value, deps.leaseMs).then((ok) => {
      if (!ok && lease === held) lose('lease lost');
    }, () => undefined).finally(() => { renewing = false; });
  }, Math.max(100, Math.floor(deps.leaseMs / 3)));
  renewTimer.unref();

  const schedule = () => {
    if (stopped) return;
    const now = deps.fleetNowMs();
    let next = Math.ceil((now - deps.readDelayMs) / 1000) * 1000 + deps.readDelayMs;
    if (next - now < 10) next += 1000;
    timer = setTimeout(() => {
      running = iterate().catch((err: Error) => {
        lose(`decide step failed: ${err.message}`);
      }).finally(() => {
        running = null;
        schedule();
      });
    }, next - now);
  };
  schedule();

  return {
    view: () => ({
      role: lease ? 'decider' : 'follower', token: lease?.token ?? 0, lastMs, takeovers,
      fleetRate: engine ? engine.status(fleetNowSec(), 0).globalRate : null,
    }),
    engineStatus: (topN) => (engine ? engine.status(fleetNowSec(), topN) : null),
    observe(w) {
      if (!engine || !lease) return;
      if (w.mode === 'fleet' && w.ep === lease.token) return;
      if (w.kind === 'ban') {
        engine.restore([{ ip: w.ip, since: w.at, until: w.until, step: w.step, rule: w.rule, rate: w.rate, source: w.src }], []);
      } else {
        engine.manualUnban(w.ip, w.at);
      }
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      clearInterval(renewTimer);
      if (running) await running;
      if (lease) {
        const value = lease.value;
        lease = null;
        engine = null;
        // A clean stop hands over at once instead of after the lease runs out.
        await link.release(value).catch(() => undefined);
      }
    },
  };
}
