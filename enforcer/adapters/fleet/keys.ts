// The Valkey keys of fleet mode, all under one prefix (docs/fleet.md, "Keys"). The default prefix `{warden}:` is a
// Cluster hash tag: every key lands in one slot, which the scripts need (they touch several keys at once).

/** Every key the fleet uses. */
export interface FleetKeys {
  /** `NODE|TOKEN` of the deciding node, with an expiry (the lease). */
  lease: string;
  /** Counter the fencing tokens come from (INCR at each new lease). */
  epoch: string;
  /** Hash: address -> the ban (wire JSON) standing for it: the fleet's truth about active bans. */
  bans: string;
  /** Stream of every decision in order (field `d`: wire JSON). */
  stream: string;
  /** Hash: node -> heartbeat JSON (role, seen, lag, rate...). */
  nodes: string;
  /** Hash: second -> fleet-wide `total,4xx,5xx` (the decider's baseline history, for the next decider). */
  global: string;
  /** Set once the fleet holds state; its absence after a restart means the server lost its data. */
  meta: string;
  /** Hash per second: node -> that node's counts (counts-codec text), expiring after the window. */
  counts(sec: number): string;
}

/**
 * The keys under `prefix`.
 * @example fleetKeys('{warden}:').counts(1767225600) === '{warden}:c:1767225600'
 */
export function fleetKeys(prefix: string): FleetKeys {
  return {
    lease: `${prefix}lease`,
    epoch: `${prefix}epoch`,
    bans: `${prefix}bans`,
    stream: `${prefix}decisions`,
    nodes: `${prefix}nodes`,
    global: `${prefix}global`,
    meta: `${prefix}meta`,
    counts: (sec) => `${prefix}c:${sec}`,
  };
}
