// The Valkey/Redis side of fleet mode: two connections (commands, and a blocking reader of the decision stream),
// the scripts, and one method per fleet operation. Commands fail at once while the server is unreachable (no offline
// queue): the node then works alone and says so (docs/fleet.md, "Faults"). No password ever reaches a log line.
import { readFileSync } from 'node:fs';
import { Redis, Cluster, type RedisOptions } from 'ioredis';
import type { Config } from '../../config/schema.js';
import { pushAll } from '../../core/arrays.js';
import { fleetKeys, type FleetKeys } from './keys.js';
import { ACQUIRE, PUBLISH, RELEASE, RENEW } from './scripts.js';

/** One entry read from the decision stream. */
export interface StreamEntry {
  /** Stream id `<server ms>-<seq>`. */
  id: string;
  /** The wire decision (JSON text), unchecked. */
  text: string;
}

/** The fleet's state in one consistent read. */
export interface FleetSnapshot {
  /** Address -> wire ban (JSON text, unchecked). */
  bans: Record<string, string>;
  /** Id of the newest stream entry ('0-0' for an empty stream): read on from there. */
  lastId: string;
  /** True when the server holds no fleet state at all (new, or restarted without its data). */
  fresh: boolean;
}

/** The fleet operations. Every method throws when the server cannot be reached. */
export interface ValkeyLink {
  readonly keys: FleetKeys;
  /** True while both connections are ready. */
  isUp(): boolean;
  /** Called with true when both connections are ready again, false when one is lost. */
  onChange(fn: (up: boolean) => void): void;
  /** Connects; resolves true when up within `timeoutMs`, false otherwise (it keeps trying in the background). */
  connect(timeoutMs: number): Promise<boolean>;
  /** The server's clock minus `nowMs`'s (default this host's), ms, measured with TIME and corrected by half the round trip. */
  clockOffsetMs(nowMs?: () => number): Promise<number>;
  /** Publishes this node's counts (one hash field per second) and heartbeat, in one round trip. */
  publishCounts(node: string, seconds: Array<{ t: number; text: string }>, ttlSec: number, heartbeat: string): Promise<void>;
  /** Every node's counts for second `t`. */
  readCounts(t: number): Promise<Record<string, string>>;
  /** The counts of `nodes` only for second `t` (late arrivals); null where none. */
  readCountsOf(t: number, nodes: string[]): Promise<Array<string | null>>;
  /** Takes the lease when free: the new fencing token, or 0. */
  acquire(node: string, leaseMs: number): Promise<number>;
  /** Extends the lease while it is `value` (`NODE|TOKEN`); false when lost. */
  renew(value: string, leaseMs: number): Promise<boolean>;
  release(value: string): Promise<void>;
  /** Who holds the lease: `NODE|TOKEN`, or null. */
  leaseHolder(): Promise<string | null>;
  /** Appends decisions (wire JSON) and updates the active set; with a fence, only while the lease is `fence`. Null when fenced out. */
  publish(decisions: string[], fence: string | null, maxLen: number): Promise<string[] | null>;
  snapshot(): Promise<FleetSnapshot>;
  /** True when the stream still holds entries after `id` from `id` on (it was not trimmed past it). */
  streamHas(id: string): Promise<boolean>;
  /** Blocks up to `blockMs` for entries after `lastId` (on the reader connection). */
  read(lastId: string, blockMs: number, count: number): Promise<StreamEntry[]>;
  /** Node -> heartbeat JSON. */
  nodes(): Promise<Record<string, string>>;
  /** Records a heartbeat now (the decider's role change between two polls). */
  heartbeat(node: string, json: string): Promise<void>;
  /** The decider's fleet-wide per-second history: second -> `total,4xx,5xx`. */
  globalHistory(): Promise<Record<string, string>>;
  /** Adds seconds of fleet-wide history and drops those older than `dropBefore`. */
  writeGlobal(seconds: Array<{ t: number; text: string }>, dropBefore: number[]): Promise<void>;
  close(): Promise<void>;
}

/** `redis://user:***@host:port` (the password never printed). */
export function redactUrl(url: string): string {
  return url.replace(/^(rediss?:\/\/[^:/@]*:)[^@]*@/i, '$1***@');
}

type FleetConfig = NonNullable<Config['fleet']>;

function hostPort(s: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(s);
  if (!m) throw new Error(`bad HOST:PORT ${s}`);
  return { host: m[1] ?? m[2], port: Number(m[3]) };
}

/** Builds the client for the configured mode: one server, Sentinel or Cluster. */
function makeClient(cfg: FleetConfig, role: string): Redis {
  const u = new URL(cfg.url);
  const tls = u.protocol === 'rediss:' ? { ...(cfg.tls_ca ? { ca: readFileSync(cfg.tls_ca) } : {}), servername: u.hostname } : undefined;
  const auth = {
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
  };
  const common: RedisOptions = {
    ...auth,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    commandTimeout: role === 'reader' ? 4000 : 2000,
    retryStrategy: (times: number) => Math.min(100 * times, 1000),
    connectionName: `warden-${role}`,
    ...(tls ? { tls } : {}),
  };
  const first = { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 6379) };
  const more = cfg.hosts.map(hostPort);
  if (cfg.mode === 'sentinel') {
    return new Redis({ ...common, sentinels: [first, ...more], name: cfg.sentinel_name, sentinelUsername: auth.username,
      sentinelPassword: auth.password, ...(tls ? { enableTLSForSentinelMode: true, sentinelTLS: tls } : {}) });
  }
  if (cfg.mode === 'cluster') {
    const cluster = new Cluster([first, ...more], {
      redisOptions: common, enableOfflineQueue: false, lazyConnect: true,
      clusterRetryStrategy: (times: number) => Math.min(100 * times, 1000),
    });
    // Same commands as one server; every fleet key shares the prefix's hash tag, so each call is one slot.
    return cluster as unknown as Redis;
  }
  return new Redis(first.port, first.host, common);
}

/** Fields [k1, v1, k2, v2...] of an XREAD/XRANGE entry -> the `d` field. */
function fieldD(fields: string[]): string {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === 'd') return fields[i + 1];
  return '';
}

/**
 * Opens the link (connections are made by `connect`).
 * @example const link = createValkeyLink(config.fleet); await link.connect(3000); await link.publish([json], null, 100000);
 */
export function createValkeyLink(cfg: FleetConfig, log: { warn(m: string): void; info(m: string): void }): ValkeyLink {
  const keys = fleetKeys(cfg.prefix);
  const cmd = makeClient(cfg, 'cmd');
  const reader = makeClient(cfg, 'reader');
  const listeners: Array<(up: boolean) => void> = [];
  let up = false;
  const where = redactUrl(cfg.url);
  const update = () => {
    const now = cmd.status === 'ready' && reader.status === 'ready';
    if (now === up) return;
    up = now;
    for (const fn of listeners) fn(up);
  };
  for (const c of [cmd, reader]) {
    c.on('ready', update);
    c.on('close', update);
    c.on('end', update);
    // ioredis reports connection errors as events; the node logs the state change, not every retry.
    c.on('error', () => undefined);
  }
  let closed = false;
  const sum = (xs: Array<[Error | null, unknown]> | null) => {
    if (!xs) throw new Error('transaction aborted');
    for (const [err] of xs) if (err) throw err;
    return xs.map(([, v]) => v);
  };

  return {
    keys,
    isUp: () => up,
    onChange(fn) {
      listeners.push(fn);
    },
    async connect(timeoutMs) {
      for (const c of [cmd, reader]) c.connect().catch(() => undefined);
      const end = Date.now() + timeoutMs;
      while (!closed && Date.now() < end) {
        update();
        if (up) return true;
        await new Promise((r) => setTimeout(r, 20));
      }
      if (!up) log.warn(`fleet: ${where} not reachable within ${timeoutMs} ms; working alone until it is`);
      return up;
    },
    async clockOffsetMs(nowMs = Date.now) {
      const t0 = nowMs();
      const [s, us] = (await cmd.time()) as unknown as [string, string];
      const t1 = nowMs();
      return Number(s) * 1000 + Number(us) / 1000 - (t0 + t1) / 2;
    },
    async publishCounts(node, seconds, ttlSec, heartbeat) {
      const p = cmd.pipeline();
      for (const s of seconds) {
        p.hset(keys.counts(s.t), node, s.text);
        p.expire(keys.counts(s.t), ttlSec);
      }
      p.hset(keys.nodes, node, heartbeat);
      sum(await p.exec());
    },
    async readCounts(t) {
      return cmd.hgetall(keys.counts(t));
    },
    async readCountsOf(t, nodes) {
      if (nodes.length === 0) return [];
      // eslint-disable-next-line no-restricted-syntax -- one field per fleet node (a handful)
      return cmd.hmget(keys.counts(t), ...nodes);
    },
    async acquire(node, leaseMs) {
      return Number(await cmd.eval(ACQUIRE, 2, keys.lease, keys.epoch, node, String(leaseMs)));
    },
    async renew(value, leaseMs) {
      return Number(await cmd.eval(RENEW, 1, keys.lease, value, String(leaseMs))) === 1;
    },
    async release(value) {
      await cmd.eval(RELEASE, 1, keys.lease, value);
    },
    leaseHolder: () => cmd.get(keys.lease),
    async publish(decisions, fence, maxLen) {
      // In scripts of 1,000 decisions at most (a bulk load or a reseed of 100k bans never blocks the server for long).
      const ids: string[] = [];
      for (let i = 0; i < decisions.length; i += 1000) {
        // eslint-disable-next-line no-restricted-syntax -- 1,000 arguments at most
        const r = await cmd.eval(PUBLISH, 4, keys.lease, keys.stream, keys.bans, keys.meta, fence ?? '', String(maxLen), ...decisions.slice(i, i + 1000));
        if (!Array.isArray(r)) return null;
        pushAll(ids, r as string[]);
      }
      return ids;
    },
    async snapshot() {
      const [bans, last, meta] = sum(await cmd.multi().hgetall(keys.bans).xrevrange(keys.stream, '+', '-', 'COUNT', 1).exists(keys.meta).exec()) as [
        Record<string, string>, Array<[string, string[]]>, number,
      ];
      return { bans, lastId: last.length ? last[0][0] : '0-0', fresh: meta === 0 };
    },
    async streamHas(id) {
      if (id === '0-0') return true;
      const first = (await cmd.xrange(keys.stream, '-', '+', 'COUNT', 1)) as Array<[string, string[]]>;
      if (first.length === 0) return false;
      const [a, b] = first[0][0].split('-').map(Number);
      const [x, y] = id.split('-').map(Number);
      return a < x || (a === x && b <= y);
    },
    async read(lastId, blockMs, count) {
      const r = (await reader.xread('COUNT', count, 'BLOCK', blockMs, 'STREAMS', keys.stream, lastId)) as
        Array<[string, Array<[string, string[]]>]> | null;
      if (!r) return [];
      return r[0][1].map(([id, fields]) => ({ id, text: fieldD(fields) }));
    },
    nodes: () => cmd.hgetall(keys.nodes),
    async heartbeat(node, json) {
      await cmd.hset(keys.nodes, node, json);
    },
    globalHistory: () => cmd.hgetall(keys.global),
    async writeGlobal(seconds, dropBefore) {
      const p = cmd.pipeline();
      for (const s of seconds) p.hset(keys.global, String(s.t), s.text);
      // eslint-disable-next-line no-restricted-syntax -- the seconds that left the window since the last write (a few)
      if (dropBefore.length) p.hdel(keys.global, ...dropBefore.map(String));
      sum(await p.exec());
    },
    async close() {
      closed = true;
      for (const c of [cmd, reader]) {
        try {
          c.disconnect(false);
        } catch {
          /* already closed */
        }
      }
      up = false;
    },
  };
}
