// Fleet decisions on the wire (the Valkey stream and the set of active bans): building them from the engine's
// decisions, and checking every one a node receives before it is enforced (docs/fleet.md, "Safety").
import type { Baseline, BanDecision, Rule, UnbanDecision } from '../types.js';
import { isBanRule } from '../rules/registry.js';
import { isLoopback } from '../../net/ip.js';
import { banKeyProblem, normaliseBanKey } from '../../net/cidr.js';
import { specialAddressReason } from '../../net/special.js';

/** How a decision came to be: the decider on the fleet's sums, one node alone (Valkey unreachable), an operator. */
export type FleetMode = 'fleet' | 'local' | 'manual' | 'reseed';

/** A ban as published. `ep` is the decider's fencing token (0 when not made by the decider). */
export interface WireBan {
  v: 1;
  id: string;
  kind: 'ban';
  ip: string;
  at: number;
  until: number | null;
  step: number;
  rule: Rule;
  rate: number;
  errorRate: number;
  z: number;
  src: 'auto' | 'manual';
  reason?: string;
  node: string;
  mode: FleetMode;
  ep: number;
  bl: { mean: number; stddev: number; errorMean: number; source: string };
}

/** An unban as published. */
export interface WireUnban {
  v: 1;
  id: string;
  kind: 'unban';
  ip: string;
  at: number;
  reason: UnbanDecision['reason'];
  node: string;
  mode: FleetMode;
  ep: number;
}

export type WireDecision = WireBan | WireUnban;

/** Who published, for toWire. */
export interface WireOrigin {
  id: string;
  node: string;
  mode: FleetMode;
  ep: number;
}

const round = (n: number) => (Number.isFinite(n) ? Math.round(n * 1000) / 1000 : 0);

/**
 * The wire form of an engine decision.
 * @example toWire(engine.manualBan('203.0.113.9', now, 600, 'spam'), { id: 'web1:1:1', node: 'web1', mode: 'manual', ep: 0 })
 */
export function toWire(d: BanDecision | UnbanDecision, o: WireOrigin): WireDecision {
  if (d.kind === 'unban') return { v: 1, id: o.id, kind: 'unban', ip: d.ip, at: d.at, reason: d.reason, node: o.node, mode: o.mode, ep: o.ep };
  const w: WireBan = {
    v: 1, id: o.id, kind: 'ban', ip: d.ip, at: d.at, until: d.until, step: d.step, rule: d.rule, rate: round(d.rate),
    errorRate: round(d.errorRate), z: round(d.z), src: d.source, node: o.node, mode: o.mode, ep: o.ep,
    bl: { mean: round(d.baseline.mean), stddev: round(d.baseline.stddev), errorMean: round(d.baseline.errorMean), source: d.baseline.source },
  };
  if (d.reason) w.reason = d.reason;
  return w;
}

/** The engine-side decision of a checked wire decision (what the node records and enforces). */
export function fromWire(w: WireDecision): BanDecision | UnbanDecision {
  if (w.kind === 'unban') return { kind: 'unban', ip: w.ip, at: w.at, reason: w.reason, node: w.node, fleetId: w.id };
  const baseline: Baseline = {
    mean: w.bl.mean, stddev: w.bl.stddev, errorMean: w.bl.errorMean, rawMean: 0, rawStddev: 0, samples: 0,
    source: (['hour_slot', 'rolling', 'floor'].includes(w.bl.source) ? w.bl.source : 'floor') as Baseline['source'], computedAt: w.at,
  };
  const d: BanDecision = {
    kind: 'ban', ip: w.ip, at: w.at, until: w.until, durationSec: w.until === null ? null : w.until - w.at, step: w.step,
    rule: w.rule, rate: w.rate, errorRate: w.errorRate, z: w.z, baseline, tightened: false, source: w.src, node: w.node,
    fleetId: w.id,
  };
  if (w.reason !== undefined) d.reason = w.reason;
  return d;
}

/** A decision refused, with why (audited by the node). */
export interface Refusal {
  ok: false;
  reason: string;
  /** What was received, cut to 200 characters, for the audit line. */
  raw: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ID = /^[A-Za-z0-9._:-]{1,128}$/;
const UNBAN_REASONS = ['expired', 'manual', 'allowlisted', 'fleet'];
const MODES = ['fleet', 'local', 'manual', 'reseed'];
/** The widest network a fleet decision may name, per family. */
export interface WidestNetwork {
  4: number;
  6: number;
}

/**
 * The default: what the rules decide (an IPv4 /24 and an IPv6 /48 from `spread`, an IPv6 client's /64) and no wider, so
 * that whoever can write to Valkey cannot shut out a whole provider's /16 or /32 on every node. With
 * `detection.ipv6_prefix` under 48 the nodes pass that prefix instead (fleetWidest).
 */
export const FLEET_WIDEST: WidestNetwork = { 4: 24, 6: 48 };

/**
 * The widest network fleet nodes accept for a given `detection.ipv6_prefix` (an IPv6 client's key is that prefix).
 * @example fleetWidest(64) // { 4: 24, 6: 48 }; fleetWidest(40) // { 4: 24, 6: 40 }
 */
export function fleetWidest(ipv6Prefix: number): WidestNetwork {
  return { 4: FLEET_WIDEST[4], 6: Math.min(FLEET_WIDEST[6], ipv6Prefix) };
}

/**
 * True when `ip` is a network wider than fleet decisions may be: such a ban (an operator's /16) stays on its node.
 * @example widerThanFleet('198.51.0.0/16', FLEET_WIDEST) === true; widerThanFleet('2001:db8:1:2::/64', FLEET_WIDEST) === false
 */
export function widerThanFleet(ip: string, widest: WidestNetwork): boolean {
  const slash = ip.indexOf('/');
  if (slash < 0) return false;
  return Number(ip.slice(slash + 1)) < widest[ip.indexOf(':') >= 0 ? 6 : 4];
}

/** Latest `at`/`until` accepted: year 2200 (a bigger number is an error or an attack). */
const MAX_TIME = 7_258_118_400;

const isNum = (x: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): x is number =>
  typeof x === 'number' && Number.isFinite(x) && x >= min && x <= max;

/**
 * Parses and checks one received decision: syntax and ranges, an address or a network no wider than any ban may be
 * (an IPv6 client's `/64`; never `0.0.0.0/0` or `::/0`, never an unspecified, multicast, loopback or this host's
 * address), and for a ban, not on this node's own allow-list nor a network holding an address of it (`isAllowed`
 * covers the configured, API-added and own addresses). Returns the canonical decision.
 * @example checkWire('{"v":1,"kind":"ban","ip":"0.0.0.0/0",...}', allowed) // { ok: false, reason: 'ip `0.0.0.0/0` is too wide a network (...)', ... }
 */
export function checkWire(text: string, isAllowed: (ip: string) => boolean, widest: WidestNetwork = FLEET_WIDEST):
  { ok: true; decision: WireDecision } | Refusal {
  const raw = text.length > 200 ? `${text.slice(0, 197)}...` : text;
  const refuse = (reason: string): Refusal => ({ ok: false, reason, raw });
  if (text.length > 4096) return refuse('longer than 4096 bytes');
  let o: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return refuse('not a JSON object');
    o = parsed as Record<string, unknown>;
  } catch {
    return refuse('not JSON');
  }
  if (o.v !== 1) return refuse(`unknown version ${JSON.stringify(o.v)}`);
  if (typeof o.id !== 'string' || !ID.test(o.id)) return refuse('bad or missing id');
  if (o.kind !== 'ban' && o.kind !== 'unban') return refuse(`unknown kind ${JSON.stringify(o.kind)}`);
  if (typeof o.node !== 'string' || !NAME.test(o.node)) return refuse('bad or missing node');
  if (typeof o.mode !== 'string' || !MODES.includes(o.mode)) return refuse('bad or missing mode');
  if (!isNum(o.ep)) return refuse('bad or missing ep');
  if (!isNum(o.at, 1, MAX_TIME)) return refuse('bad or missing at');
  if (typeof o.ip !== 'string') return refuse('bad or missing ip');
  const shown = o.ip.slice(0, 64);
  // An address, or a network no wider than a ban may be (an IPv6 client's /64, an operator's /24): never 0.0.0.0/0.
  const ip = normaliseBanKey(o.ip);
  if (ip === null) return refuse(`ip \`${shown}\` is not an IP address or network`);
  const wide = banKeyProblem(ip);
  if (wide) return refuse(`ip \`${ip}\` is too wide a network (${wide})`);
  if (widerThanFleet(ip, widest)) {
    return refuse(`ip \`${ip}\` is wider than a fleet decision may be (/${widest[4]} for IPv4, /${widest[6]} for IPv6): ` +
      'a wider ban stays on the node where it was made');
  }
  const special = specialAddressReason(ip);
  if (special) return refuse(`ip \`${ip}\` is not a client address (${special})`);
  if (o.kind === 'unban') {
    if (typeof o.reason !== 'string' || !UNBAN_REASONS.includes(o.reason)) return refuse('bad or missing reason');
    return { ok: true, decision: { v: 1, id: o.id, kind: 'unban', ip, at: o.at, reason: o.reason as WireUnban['reason'], node: o.node, mode: o.mode as FleetMode, ep: o.ep } };
  }
  const net = ip.indexOf('/') >= 0;
  if (!net && isLoopback(ip)) return refuse(`ip \`${ip}\` is loopback`);
  // For a network, isAllowed is true when it holds any allow-listed or own address (loopback included).
  if (isAllowed(ip)) {
    return refuse(net ? `network \`${ip}\` holds an address of this node's allow-list (or this node's own address)`
      : `ip \`${ip}\` is on this node's allow-list (or is this node's own address)`);
  }
  if (!(o.until === null || isNum(o.until, 0, MAX_TIME))) return refuse('bad until');
  if (o.until !== null && (o.until as number) <= o.at) return refuse('until is not after at');
  if (!isNum(o.step, 1, 1_000_000) || !Number.isInteger(o.step)) return refuse('bad step');
  if (typeof o.rule !== 'string' || !isBanRule(o.rule)) return refuse(`unknown rule ${JSON.stringify(o.rule)?.slice(0, 40)}`);
  if (!isNum(o.rate) || !isNum(o.errorRate)) return refuse('bad rate');
  if (typeof o.z !== 'number' || !Number.isFinite(o.z)) return refuse('bad z');
  if (o.src !== 'auto' && o.src !== 'manual') return refuse('bad src');
  if (o.reason !== undefined && (typeof o.reason !== 'string' || o.reason.length > 500)) return refuse('bad reason');
  const bl = o.bl as Record<string, unknown> | undefined;
  if (!bl || typeof bl !== 'object' || !isNum(bl.mean) || !isNum(bl.stddev) || !isNum(bl.errorMean) || typeof bl.source !== 'string') {
    return refuse('bad bl');
  }
  const w: WireBan = {
    v: 1, id: o.id, kind: 'ban', ip, at: o.at, until: o.until as number | null, step: o.step, rule: o.rule as Rule, rate: o.rate,
    errorRate: o.errorRate, z: o.z, src: o.src, node: o.node, mode: o.mode as FleetMode, ep: o.ep,
    bl: { mean: bl.mean, stddev: bl.stddev, errorMean: bl.errorMean, source: bl.source.slice(0, 20) },
  };
  if (typeof o.reason === 'string') w.reason = o.reason;
  return { ok: true, decision: w };
}
