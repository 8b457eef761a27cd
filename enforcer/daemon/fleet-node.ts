// One node of a fleet (docs/fleet.md): publishes its nginx's counts every second, applies every decision of the fleet
// (checked first) to its own backends and database, makes its own decisions (an operator's, or all of them while
// Valkey is unreachable) and publishes them, queued until Valkey is back. Runs the decider loop beside it.
import { hostname } from 'node:os';
import { pushAll } from '../core/arrays.js';
import type { Config } from '../config/schema.js';
import type {
  ActiveBan, BanDecision, Clock, Decision, EngineStatus, GlobalAlertDecision, RuleAlertDecision, UnbanDecision,
} from '../core/types.js';
import type { Engine, EngineConfig } from '../core/engine.js';
import { encodeCounts } from '../core/fleet/counts-codec.js';
import { checkWire, fleetWidest, fromWire, toWire, widerThanFleet, type WireDecision } from '../core/fleet/decision-wire.js';
import { incomingWins } from '../core/fleet/ban-winner.js';
import type { PollResult } from '../adapters/nginx-poller.js';
import type { ValkeyLink } from '../adapters/fleet/valkey-link.js';
import { redactUrl } from '../adapters/fleet/valkey-link.js';
import type { WardenStore } from '../adapters/store/warden-store.js';
import { startDecider, type Decider } from './fleet-decider.js';
import type { ApplyResult } from './apply-decisions.js';
import type { FleetNodeView, FleetStatusView } from '../api/service.js';

type FleetConfig = NonNullable<Config['fleet']>;

/** Meta keys this node keeps in its database. */
export const META_FLEET_QUEUE = 'fleet.queue';
export const META_FLEET_JOINED = 'fleet.joined';

/** What a node needs. */
export interface FleetNodeDeps {
  fleet: FleetConfig;
  /** This node's name (fleet.node or the host name). */
  node: string;
  link: ValkeyLink;
  engine: Engine;
  engineCfg: EngineConfig;
  store: WardenStore;
  audit: { failure(what: string, detail: string): void };
  log: { info(m: string): void; warn(m: string): void; error(m: string): void };
  clock: Clock;
  /** The daemon's apply: firewall, database, audit log, alerts (one batch). */
  apply(ds: Decision[]): Promise<ApplyResult | null>;
  isAllowed(ip: string): boolean;
  /** `detection.ipv6_prefix`: how wide a received network decision may be (fleetWidest). */
  ipv6Prefix: number;
  onGlobalAlert(d: GlobalAlertDecision | RuleAlertDecision): void;
}

/** The fleet as this node sees it (the API's view, without the node list). */
export type FleetView = Omit<FleetStatusView, 'nodes'>;
export type { FleetNodeView as NodeView };

/** A running node. */
export interface FleetNode {
  /** Connects (bounded by `timeoutMs`) and, when connected, takes every active ban of the fleet in one batch. */
  start(timeoutMs: number): Promise<void>;
  /** The poll loop's step in fleet mode: publish counts, tick the local engine, apply and publish its decisions. */
  step(result: PollResult | null, nowSec: number): Promise<number>;
  /** This node's own decisions (manual ones from the API/CLI/dashboard): applied here at once, then published. */
  own(ds: Decision[]): Promise<ApplyResult | null>;
  view(): FleetView;
  /** The deciding engine's view (fleet-wide rates and top clients) when this node decides, else null. */
  fleetEngineStatus(topN: number): EngineStatus | null;
  /** Decision -> applied here, ms, of the last 1,000 fleet decisions, oldest first (benchmarks). */
  lagSamples(): number[];
  /** Every node's heartbeat, read now. */
  nodes(): Promise<FleetNodeView[]>;
  /** The view and the node list as last read (refreshed every 2 s): for status and metrics, which cannot wait. */
  cached(): FleetStatusView;
  stop(): Promise<void>;
}

/** The node name: the configured one or the host name (made safe for a key). */
export function fleetNodeName(fleet: FleetConfig): string {
  return fleet.node ?? (hostname().replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 64) || 'node');
}

/**
 * Creates the node (nothing runs until start()).
 * @example const f = createFleetNode({ fleet: config.fleet, node, link, engine, ... }); await f.start(3000);
 */
export function createFleetNode(deps: FleetNodeDeps): FleetNode {
  const { link, node, store, log, engine } = deps;
  const maxLen = deps.fleet.stream_length;
  let offsetMs = 0;
  const fleetNowMs = () => deps.clock.nowMs() + offsetMs;
  const nowSec = () => Math.floor(fleetNowMs() / 1000);
  let synced = false;
  let stopped = false;
  let lastId: string | null = null;
  let seq = 0;
  let applied = 0;
  let refused = 0;
  let lastRate = 0;
  const lags: number[] = [];
  let lastLag: number | null = null;

  /** Fleet id and end of the ban this node enforces, per address. */
  const active = new Map<string, { id: string; until: number | null }>();
  for (const r of store.activeBans()) active.set(r.ip, { id: r.fleet_id ?? `${node}:row:${r.id}`, until: r.planned_end });
  let queue: string[] = [];
  try {
    const q = store.getMeta(META_FLEET_QUEUE);
    if (q) queue = JSON.parse(q) as string[];
  } catch {
    queue = [];
  }
  const saveQueue = () => store.setMeta(META_FLEET_QUEUE, JSON.stringify(queue));
  const nextId = () => `${node}:${deps.clock.nowMs().toString(36)}:${(seq++).toString(36)}`;

  // Every batch goes to the backends and the database one after the other (the poll loop, the stream reader and the
  // API all apply).
  let chain: Promise<unknown> = Promise.resolve();
  const applySerial = (ds: Decision[]): Promise<ApplyResult | null> => {
    const run = chain.then(() => deps.apply(ds));
    chain = run.catch(() => undefined);
    return run;
  };

  const heartbeat = () => JSON.stringify({
    v: 1, role: !synced ? 'local' : decider.view().role, seen: fleetNowMs(), lag: lastLag, rate: lastRate, bans: active.size,
    queued: queue.length,
  });

  const down = (err: Error) => {
    if (!synced) return;
    synced = false;
    log.warn(`fleet: lost ${redactUrl(deps.fleet.url)} (${err.message}); detecting alone, keeping every ban, queueing decisions`);
    deps.audit.failure('fleet link', `Valkey unreachable (${err.message}): detecting alone, decisions queued`);
    // The ladder goes on from what this node recorded (every fleet ban counted here too).
    engine.restore([], store.offences(nowSec() - deps.engineCfg.offenceMemory));
  };

  const publishOrQueue = async (texts: string[]) => {
    if (!texts.length) return;
    if (synced && link.isUp()) {
      try {
        await link.publish(texts, null, maxLen);
        return;
      } catch (err) {
        down(err as Error);
      }
    }
    pushAll(queue, texts);
    saveQueue();
  };

  const widest = fleetWidest(deps.ipv6Prefix);
  const decider: Decider = startDecider({
    link, node, engineCfg: deps.engineCfg, isAllowed: deps.isAllowed, widest, log, leaseMs: deps.fleet.lease * 1000,
    readDelayMs: deps.fleet.read_delay_ms, streamLength: maxLen, fleetNowMs, connected: () => synced && link.isUp(),
    offences: (since) => store.offences(since), onGlobalAlert: deps.onGlobalAlert, nextId, heartbeat,
  });

  const activeBanOf = (w: Extract<WireDecision, { kind: 'ban' }>): ActiveBan => ({
    ip: w.ip, since: w.at, until: w.until, step: w.step, rule: w.rule, rate: w.rate, source: w.src,
  });

  /** Applies checked fleet decisions here: bans that win and are still running, unbans of what is enforced. */
  const receive = async (entries: Array<{ id: string; text: string }>) => {
    let batch: Decision[] = [];
    let batchIds: number[] = [];
    const inBatch = new Set<string>();
    const flush = async () => {
      if (!batch.length) return;
      const b = batch;
      const ids = batchIds;
      batch = [];
      batchIds = [];
      inBatch.clear();
      await applySerial(b);
      applied += b.length;
      // The lag: the stream entry's server time to enforced here (firewall committed, database written).
      const now = fleetNowMs();
      for (const idMs of ids) {
        lastLag = Math.max(0, now - idMs);
        lags.push(lastLag);
        if (lags.length > 1000) lags.shift();
      }
    };
    const now = nowSec();
    for (const e of entries) {
      const c = checkWire(e.text, deps.isAllowed, widest);
      if (!c.ok) {
        refused++;
        log.warn(`fleet: refused decision ${e.id}: ${c.reason}`);
        deps.audit.failure('fleet decision refused', `${e.id}: ${c.reason}: ${c.raw}`);
        continue;
      }
      const w = c.decision;
      decider.observe(w);
      if (inBatch.has(w.ip)) await flush();
      const cur = active.get(w.ip);
      if (w.kind === 'ban') {
        if (cur && (cur.id === w.id || !incomingWins(w, cur))) continue;
        if (w.until !== null && w.until <= now) continue;
        engine.restore([activeBanOf(w)], []);
        active.set(w.ip, { id: w.id, until: w.until });
      } else {
        if (!cur && !engine.isBanned(w.ip)) continue;
        engine.manualUnban(w.ip, w.at);
        active.delete(w.ip);
      }
      batch.push(fromWire(w));
      inBatch.add(w.ip);
      const idMs = Number(e.id.split('-')[0]);
      if (Number.isFinite(idMs)) batchIds.push(idMs);
    }
    await flush();
  };

  /** Brings this node in step: own queue published, then the stream read on, or every active ban in one batch. */
  const sync = async (first: boolean) => {
    try {
      offsetMs = await link.clockOffsetMs(deps.clock.nowMs);
    } catch {
      /* keep the last offset */
    }
    if (queue.length) {
      await link.publish(queue, null, maxLen);
      log.info(`fleet: published ${queue.length} decision(s) queued while Valkey was unreachable`);
      queue = [];
      saveQueue();
    }
    if (!first && lastId !== null && (await link.streamHas(lastId))) {
      synced = true;
      log.info(`fleet: back in step with ${redactUrl(deps.fleet.url)}; reading the decisions made meanwhile`);
      return;
    }
    let snap = await link.snapshot();
    const joined = store.getMeta(META_FLEET_JOINED) === '1';
    if (snap.fresh || !joined) {
      // A new fleet, a server that lost its data, or this node's first join: its running bans become the fleet's
      // (never dropped because the server forgot them).
      const now = nowSec();
      const mine: string[] = [];
      for (const r of store.activeBans()) {
        if (snap.bans[r.ip] || (r.planned_end !== null && r.planned_end <= now) || widerThanFleet(r.ip, widest)) continue;
        const d: BanDecision = {
          kind: 'ban', ip: r.ip, at: r.started_at, until: r.planned_end, durationSec: r.planned_end === null ? null : r.planned_end - r.started_at,
          step: r.step, rule: r.rule, rate: r.rate, errorRate: r.error_rate, z: r.z, tightened: r.tightened === 1, source: r.source,
          baseline: { mean: r.baseline_mean, stddev: r.baseline_stddev, errorMean: 0, rawMean: 0, rawStddev: 0, samples: 0, source: 'floor', computedAt: r.started_at },
          ...(r.reason ? { reason: r.reason } : {}),
        };
        const id = active.get(r.ip)?.id ?? `${node}:row:${r.id}`;
        mine.push(JSON.stringify(toWire(d, { id, node: r.node ?? node, mode: 'reseed', ep: 0 })));
      }
      if (mine.length) {
        await link.publish(mine, null, maxLen);
        log.info(`fleet: ${snap.fresh ? 'Valkey holds no fleet state' : 'first join'}: published this node's ${mine.length} running ban(s)`);
        snap = await link.snapshot();
      }
      store.setMeta(META_FLEET_JOINED, '1');
    }
    const now = nowSec();
    const batch: Decision[] = [];
    const remote = new Set<string>();
    for (const [key, text] of Object.entries(snap.bans)) {
      const c = checkWire(text, deps.isAllowed, widest);
      if (!c.ok) {
        refused++;
        deps.audit.failure('fleet decision refused', `active ban ${key.slice(0, 64)}: ${c.reason}: ${c.raw}`);
        continue;
      }
      const w = c.decision;
      if (w.kind !== 'ban' || (w.until !== null && w.until <= now)) continue;
      remote.add(w.ip);
      decider.observe(w);
      const cur = active.get(w.ip);
      if (cur && (cur.id === w.id || !incomingWins(w, cur))) continue;
      engine.restore([activeBanOf(w)], []);
      active.set(w.ip, { id: w.id, until: w.until });
      batch.push(fromWire(w));
    }
    for (const ip of [...active.keys()]) {
      if (remote.has(ip)) continue;
      const d: UnbanDecision | null = engine.manualUnban(ip, now);
      active.delete(ip);
      if (d) batch.push({ ...d, reason: 'fleet' });
    }
    if (batch.length) await applySerial(batch);
    applied += batch.length;
    lastId = snap.lastId;
    synced = true;
    log.info(`fleet: in step with ${redactUrl(deps.fleet.url)} as ${node}: ${remote.size} active ban(s), ${batch.length} change(s) applied in one batch`);
  };

  let readerDone: Promise<void> = Promise.resolve();
  const readerLoop = async () => {
    while (!stopped) {
      if (!link.isUp()) {
        if (synced) down(new Error('connection lost'));
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      if (!synced) {
        try {
          await sync(lastId === null);
        } catch (err) {
          log.warn(`fleet: catching up failed: ${(err as Error).message}; retrying`);
          await new Promise((r) => setTimeout(r, 500));
        }
        continue;
      }
      let entries: Array<{ id: string; text: string }>;
      try {
        entries = await link.read(lastId ?? '0-0', 1000, 500);
      } catch (err) {
        if (!stopped) down(err as Error);
        continue;
      }
      if (!entries.length) continue;
      try {
        await receive(entries);
      } catch (err) {
        log.error(`fleet: applying decisions failed: ${(err as Error).message}`);
      }
      lastId = entries[entries.length - 1].id;
    }
  };

  let offsetTimer: NodeJS.Timeout | null = null;
  let nodesTimer: NodeJS.Timeout | null = null;
  let nodeList: FleetNodeView[] = [];

  const node$: FleetNode = {
    async start(timeoutMs) {
      if (await link.connect(timeoutMs)) {
        try {
          await sync(true);
        } catch (err) {
          log.warn(`fleet: first sync failed: ${(err as Error).message}; working alone until it succeeds`);
        }
      }
      readerDone = readerLoop();
      offsetTimer = setInterval(() => {
        if (link.isUp()) link.clockOffsetMs(deps.clock.nowMs).then((o) => { offsetMs = o; }, () => undefined);
      }, 10_000);
      offsetTimer.unref();
      const refreshNodes = () => {
        if (link.isUp()) node$.nodes().then((l) => { nodeList = l; }, () => undefined);
      };
      refreshNodes();
      nodesTimer = setInterval(refreshNodes, 2000);
      nodesTimer.unref();
    },

    async step(result, t) {
      const buckets = result?.buckets ?? [];
      if (buckets.length) lastRate = buckets.reduce((s, b) => s + (b.global[0] || 0), 0) / buckets.length;
      if (synced && link.isUp()) {
        // One clock decides: this host's seconds are moved onto the Valkey server's.
        const shift = Math.round(offsetMs / 1000);
        try {
          await link.publishCounts(node, buckets.map((b) => ({ t: b.t + shift, text: encodeCounts(b) })),
            deps.engineCfg.window + 15, heartbeat());
        } catch (err) {
          down(err as Error);
        }
      }
      // In step with the fleet the decider sees every client; this engine keeps the host's baseline warm (global
      // counts only). Alone, it sees everything again.
      if (buckets.length) engine.ingest(synced ? buckets.map((b) => ({ t: b.t, global: b.global, ips: {} })) : buckets);
      const ds = engine.tick(t);
      await node$.own(ds);
      return ds.length;
    },

    async own(ds) {
      if (!ds.length) return null;
      const pub: string[] = [];
      for (const d of ds) {
        if (d.kind !== 'ban' && d.kind !== 'unban') continue;
        d.node = node;
        d.fleetId ??= nextId();
      }
      const result = await applySerial(ds);
      for (const d of ds) {
        // A network wider than the fleet takes (an operator's /16) is enforced here only: never published, never
        // tracked as a fleet ban (a catch-up would lift it as one the fleet does not hold).
        if ((d.kind === 'ban' || d.kind === 'unban') && widerThanFleet(d.ip, widest)) continue;
        if (d.kind === 'ban') {
          active.set(d.ip, { id: d.fleetId!, until: d.until });
          pub.push(JSON.stringify(toWire(d, { id: d.fleetId!, node, mode: d.source === 'manual' ? 'manual' : 'local', ep: 0 })));
        } else if (d.kind === 'unban') {
          active.delete(d.ip);
          // Each node lets bans run out by itself; an operator's unban goes to the whole fleet.
          if (d.reason === 'manual') pub.push(JSON.stringify(toWire(d, { id: d.fleetId!, node, mode: 'manual', ep: 0 })));
        }
      }
      await publishOrQueue(pub);
      return result;
    },

    view() {
      const dv = decider.view();
      const sorted = [...lags].sort((a, b) => a - b);
      return {
        node, url: redactUrl(deps.fleet.url), role: !synced ? 'local' : dv.role, connected: synced && link.isUp(), token: dv.token,
        queued: queue.length, applied, refused, lagMs: lastLag,
        lagP50Ms: sorted.length ? sorted[Math.floor(sorted.length * 0.5)] : null,
        lagP99Ms: sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] : null,
        clockOffsetMs: Math.round(offsetMs), fleetRate: dv.fleetRate,
      };
    },

    async nodes() {
      const raw = await link.nodes();
      const now = fleetNowMs();
      return Object.entries(raw).map(([name, json]) => {
        let h: { role?: string; seen?: number; lag?: number | null; rate?: number; bans?: number; queued?: number } = {};
        try {
          h = JSON.parse(json) as typeof h;
        } catch {
          /* shown as unknown */
        }
        const lastSeenMs = typeof h.seen === 'number' ? Math.max(0, now - h.seen) : Infinity;
        return {
          node: name, role: h.role ?? 'unknown', lastSeenMs, lagMs: h.lag ?? null, rate: h.rate ?? 0, bans: h.bans ?? 0,
          queued: h.queued ?? 0, stale: lastSeenMs > 5000,
        };
      }).sort((a, b) => a.node.localeCompare(b.node));
    },

    cached() {
      return { ...node$.view(), nodes: nodeList };
    },

    lagSamples: () => [...lags],
    fleetEngineStatus: (topN) => decider.engineStatus(topN),

    async stop() {
      stopped = true;
      if (offsetTimer) clearInterval(offsetTimer);
      if (nodesTimer) clearInterval(nodesTimer);
      await decider.stop();
      await link.close();
      await readerDone;
      await chain;
    },
  };
  return node$;
}
