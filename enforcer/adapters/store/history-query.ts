// Turns a HistoryFilter into SQL over the bans table: validated values become bound parameters, the sort column and
// direction come from a whitelist, an IP or CIDR becomes an indexed `ip_key` equality or BETWEEN range (plus the
// prefix bans covering it). Pure, no I/O.
import { banKeyParts, cidrRange, coveringKeys, parseCidr } from '../../net/index.js';
import { HistoryFilterError } from './errors.js';
import type { HistoryFilter } from './types.js';
import { banRuleNames, isBanRule } from '../../core/rules/registry.js';

/** Rows per page when `limit` is not given, and the most one page may hold. */
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;

/** The columns a BanRow is made of, in order (never `ip_key`). */
export const BAN_COLUMNS =
  'id, ip, started_at, planned_end, ended_at, step, rule, rate, error_rate, baseline_mean, baseline_stddev, ' +
  'baseline_source, z, tightened, source, reason, unban_reason, dry_run, node, fleet_id';

/** Sort keys the API accepts, and the SQL they map to. Nothing else is ever put into ORDER BY. */
const SORTS: Record<NonNullable<HistoryFilter['sort']>, { asc: string; desc: string }> = {
  started_at: { asc: 'started_at ASC, id ASC', desc: 'started_at DESC, id DESC' },
  ip: { asc: 'ip_key ASC, prefix_len ASC, started_at ASC, id ASC', desc: 'ip_key DESC, prefix_len DESC, started_at DESC, id DESC' },
  rate: { asc: 'rate ASC, id ASC', desc: 'rate DESC, id DESC' },
  z: { asc: 'z ASC, id ASC', desc: 'z DESC, id DESC' },
  // A permanent ban (NULL) never ends: it sorts as the latest end.
  planned_end: { asc: 'planned_end ASC NULLS LAST, id ASC', desc: 'planned_end DESC NULLS FIRST, id DESC' },
};
const SOURCES = ['auto', 'manual'];
const KNOWN_KEYS = new Set(['ip', 'since', 'until', 'rule', 'source', 'activeOnly', 'sort', 'order', 'limit', 'offset']);

/** The validated pieces of a history query: WHERE (may be empty), ORDER BY, parameters, limit and offset. */
export interface HistoryQuery {
  where: string;
  orderBy: string;
  params: Record<string, string | number>;
  limit: number;
  offset: number;
}

/** `got` for error messages: JSON text, cut to 64 characters. */
function shown(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 64 ? `${s.slice(0, 61)}...` : s;
}

function bad(field: string, expected: string, got: unknown, cause?: unknown): HistoryFilterError {
  return new HistoryFilterError(field, `Expected \`${field}\` to be ${expected}, got \`${shown(got)}\``, cause ? { cause } : undefined);
}

function epochSeconds(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw bad(field, 'epoch seconds (a number >= 0)', v);
  return v;
}

function wholeNumber(field: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw bad(field, `a whole number from ${min} to ${max}`, v);
  }
  return v;
}

/**
 * Validates a history filter and builds its SQL pieces. Throws HistoryFilterError naming the first bad field.
 * `ip` is an address (its own bans and the prefix bans covering it, e.g. the /64 ban of an IPv6 client) or a CIDR
 * (every ban inside it: addresses and narrower or equal networks, as a range on the ip_key index, plus the wider
 * prefix bans covering it); since <= started_at < until.
 * @example buildHistoryQuery({ ip: '10.0.0.0/8', sort: 'rate' }).where // '(ip_key BETWEEN @ipLo AND @ipHi AND prefix_len >= @ipLen OR ...)'
 */
export function buildHistoryQuery(filter: HistoryFilter = {}): HistoryQuery {
  if (filter === null || typeof filter !== 'object' || Array.isArray(filter)) throw bad('filter', 'an object', filter);
  for (const [k, v] of Object.entries(filter)) {
    if (!KNOWN_KEYS.has(k) && v !== undefined) throw new HistoryFilterError(k, `Unknown history filter \`${shown(k)}\``);
  }
  const conds: string[] = [];
  const params: Record<string, string | number> = {};

  if (filter.ip !== undefined) {
    if (typeof filter.ip !== 'string') throw bad('ip', 'an IP address or CIDR', filter.ip);
    const text = filter.ip.trim();
    const c = parseCidr(text);
    if (!c) throw bad('ip', 'an IP address or CIDR', filter.ip);
    const covering = coveringKeys(c.text.slice(0, c.text.indexOf('/')))
      .filter((k) => k.prefixLen < banKeyParts(c.text).prefixLen);
    const ors: string[] = [];
    if (text.includes('/') && c.prefix < (c.version === 4 ? 32 : 128)) {
      const { lo, hi } = cidrRange(c.text);
      params.ipLo = lo;
      params.ipHi = hi;
      params.ipLen = banKeyParts(c.text).prefixLen;
      ors.push('(ip_key BETWEEN @ipLo AND @ipHi AND prefix_len >= @ipLen)');
    } else {
      const k = banKeyParts(c.text);
      params.ipKey = k.ipKey;
      ors.push('(ip_key = @ipKey AND prefix_len = 128)');
    }
    // The prefix bans covering it: one ip_key equality (on the ip_key index) per shorter prefix length (at most 128).
    covering.forEach((k, i) => {
      params[`cov${i}`] = k.ipKey;
      ors.push(`(prefix_len = ${k.prefixLen} AND ip_key = @cov${i})`);
    });
    conds.push(`(${ors.join(' OR ')})`);
  }
  if (filter.since !== undefined) {
    params.since = epochSeconds('since', filter.since);
    conds.push('started_at >= @since');
  }
  if (filter.until !== undefined) {
    const until = epochSeconds('until', filter.until);
    if (filter.since !== undefined && until < filter.since) throw bad('until', `>= since (${filter.since})`, filter.until);
    params.until = until;
    conds.push('started_at < @until');
  }
  if (filter.rule !== undefined) {
    if (!isBanRule(filter.rule as string)) throw bad('rule', `one of ${banRuleNames().join(', ')}`, filter.rule);
    params.rule = filter.rule;
    conds.push('rule = @rule');
  }
  if (filter.source !== undefined) {
    if (!SOURCES.includes(filter.source as string)) throw bad('source', 'one of auto, manual', filter.source);
    params.source = filter.source;
    conds.push('source = @source');
  }
  if (filter.activeOnly !== undefined) {
    if (typeof filter.activeOnly !== 'boolean') throw bad('activeOnly', 'true or false', filter.activeOnly);
    if (filter.activeOnly) conds.push('ended_at IS NULL');
  }
  const sort = filter.sort ?? 'started_at';
  if (typeof sort !== 'string' || !Object.hasOwn(SORTS, sort)) throw bad('sort', `one of ${Object.keys(SORTS).join(', ')}`, sort);
  const order = filter.order ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw bad('order', 'asc or desc', order);
  const limit = filter.limit === undefined ? DEFAULT_LIMIT : wholeNumber('limit', filter.limit, 1, MAX_LIMIT);
  const offset = filter.offset === undefined ? 0 : wholeNumber('offset', filter.offset, 0, Number.MAX_SAFE_INTEGER);

  return { where: conds.join(' AND '), orderBy: SORTS[sort][order], params, limit, offset };
}
