// Input schemas of the API (zod): every body field and query parameter, with messages that name the field.
import { z } from 'zod';
import { banKeyProblem, normaliseBanKey, normaliseIp, parseCidr } from '../net/index.js';
import { parseDuration } from '../config/duration.js';
import type { HistoryFilter } from '../adapters/store/types.js';
import { banRuleNames, isBanRule } from '../core/rules/registry.js';

const MAX_TEXT = 500;

/** An IP address: trimmed, normalised (IPv4 dotted, IPv6 compressed); rejects anything else. */
export const ipField = z.string({ error: '`ip` must be an IPv4 or IPv6 address' }).max(100, { error: '`ip` is too long' })
  .transform((s, ctx) => {
    const ip = normaliseIp(s.trim());
    if (!ip) {
      ctx.addIssue({ code: 'custom', message: `\`ip\` must be an IPv4 or IPv6 address, got \`${s.slice(0, 64)}\`` });
      return z.NEVER;
    }
    return ip;
  });

/** An address or a network, trimmed and canonical; with `refuseWide`, networks wider than MIN_BAN_PREFIX fail. */
function keyField(refuseWide: boolean) {
  return z.string({ error: '`ip` must be an IPv4 or IPv6 address or CIDR' }).max(100, { error: '`ip` is too long' })
    .transform((s, ctx) => {
      const key = normaliseBanKey(s.trim());
      if (!key) {
        ctx.addIssue({ code: 'custom', message: `\`ip\` must be an IPv4 or IPv6 address or CIDR, got \`${s.slice(0, 64)}\`` });
        return z.NEVER;
      }
      const problem = refuseWide ? banKeyProblem(key) : null;
      if (problem) {
        ctx.addIssue({ code: 'custom', message: `\`ip\`: ${problem}` });
        return z.NEVER;
      }
      return key;
    });
}

/**
 * What can be banned: an address or a network (`203.0.113.0/24`, `2001:db8:1:2::/64`), trimmed and canonical (host
 * bits cleared, /32 and /128 as the address); networks wider than MIN_BAN_PREFIX (`0.0.0.0/0`, `::/0`) are refused.
 */
export const banKeyField = keyField(true);

/** What can be unbanned: an address or a network of any width, canonical as in banKeyField. */
export const unbanKeyField = keyField(false);

/** An address or a CIDR, trimmed and canonical (e.g. `10.0.0.0/8`). */
export function cidrField(name: string) {
  return z.string({ error: `\`${name}\` must be an IP address or CIDR` }).max(100, { error: `\`${name}\` is too long` })
    .transform((s, ctx) => {
      const t = s.trim();
      if (!t.includes('/')) {
        const ip = normaliseIp(t);
        if (ip) return ip;
      } else {
        const c = parseCidr(t);
        if (c) return c.text;
      }
      ctx.addIssue({ code: 'custom', message: `\`${name}\` must be an IP address or CIDR, got \`${s.slice(0, 64)}\`` });
      return z.NEVER;
    });
}

/** A ban duration: '2h', seconds (number or digits) or 'permanent' (null). Up to 10 years. */
export const durationField = z.union([z.string().max(32), z.number()], { error: '`duration` must be like 2h, 3600 or permanent' })
  .transform((v, ctx) => {
    if (v === 'permanent') return null;
    const s = parseDuration(v);
    if (s === null || s < 1 || s > 10 * 365 * 86400) {
      ctx.addIssue({ code: 'custom', message: `\`duration\` must be like 2h, 3600 or permanent, got \`${String(v).slice(0, 32)}\`` });
      return z.NEVER;
    }
    return Math.round(s);
  });

function text(name: string) {
  return z.string({ error: `\`${name}\` must be a string` }).max(MAX_TEXT, { error: `\`${name}\` must be at most ${MAX_TEXT} characters` });
}

/** POST /api/v1/bans */
export const banBody = z.strictObject({
  ip: banKeyField,
  duration: durationField.optional(),
  reason: text('reason').optional(),
}, { error: 'the body must be a JSON object with `ip`' });

/** POST /api/v1/bans/bulk: up to 100,000 addresses or networks in one batch; each is checked by the service, bad ones reported. */
export const bulkBanBody = z.strictObject({
  ips: z.array(z.string({ error: '`ips` must be a list of IP address strings' }).max(100, { error: 'an entry of `ips` is too long' }),
    { error: '`ips` must be a list of IP address strings (addresses or CIDRs)' })
    .min(1, { error: '`ips` must hold at least one address' }).max(100_000, { error: '`ips` may hold at most 100000 addresses' }),
  duration: durationField.optional(),
  reason: text('reason').optional(),
}, { error: 'the body must be a JSON object with `ips`' });

/** POST /api/v1/allowlist */
export const allowBody = z.strictObject({
  cidr: cidrField('cidr'),
  note: text('note').optional(),
}, { error: 'the body must be a JSON object with `cidr`' });

/** POST /api/v1/login */
export const loginBody = z.strictObject({
  password: z.string({ error: '`password` must be a string' }).min(1, { error: '`password` is required' })
    .max(1024, { error: '`password` is too long' }),
}, { error: 'the body must be a JSON object with `password`' });

const epoch = (name: string) => z.string().max(20).regex(/^\d{1,12}$/, { error: `\`${name}\` must be epoch seconds` })
  .transform(Number);
const int = (name: string, min: number, max: number) => z.string().max(10)
  .regex(/^\d{1,9}$/, { error: `\`${name}\` must be a whole number` })
  .transform(Number).refine((n) => n >= min && n <= max, { error: `\`${name}\` must be from ${min} to ${max}` });

/** GET /api/v1/history query (strings from the URL). */
export const historyQuery = z.strictObject({
  ip: cidrField('ip').optional(),
  since: epoch('since').optional(),
  until: epoch('until').optional(),
  rule: z.string().refine(isBanRule, { error: () => `\`rule\` must be one of ${banRuleNames().join(', ')}` }).optional(),
  source: z.enum(['auto', 'manual'], { error: '`source` must be auto or manual' }).optional(),
  active: z.enum(['true', 'false', '1', '0'], { error: '`active` must be true or false' }).optional(),
  sort: z.enum(['started_at', 'ip', 'rate', 'z', 'planned_end'], { error: '`sort` must be one of started_at, ip, rate, z, planned_end' }).optional(),
  order: z.enum(['asc', 'desc'], { error: '`order` must be asc or desc' }).optional(),
  limit: int('limit', 1, 1000).optional(),
  offset: int('offset', 0, 1_000_000_000).optional(),
}, { error: 'unknown query parameter' }).refine((q) => q.since === undefined || q.until === undefined || q.since <= q.until, {
  error: '`since` must not be after `until`', path: ['since'],
});

/** GET /api/v1/alerts query: rule alerts by rule (a client or prefix rule of the registry), client, time; paged. */
export const alertsQuery = z.strictObject({
  ip: unbanKeyField.optional(),
  rule: z.string().max(32).refine((r) => r !== 'manual' && isBanRule(r), {
    error: () => `\`rule\` must be one of ${banRuleNames().filter((r) => r !== 'manual').join(', ')}`,
  }).optional(),
  since: epoch('since').optional(),
  until: epoch('until').optional(),
  limit: int('limit', 1, 1000).optional(),
  offset: int('offset', 0, 1_000_000_000).optional(),
}, { error: 'unknown query parameter' }).refine((q) => q.since === undefined || q.until === undefined || q.since <= q.until, {
  error: '`since` must not be after `until`', path: ['since'],
});

/** GET /api/v1/clients/heavy query: how many clients per list (default 10). */
export const heavyQuery = z.strictObject({
  n: int('n', 1, 100).optional(),
}, { error: 'unknown query parameter' });

/** Turns a parsed history query into the store's filter. */
export function toHistoryFilter(q: z.output<typeof historyQuery>, forCsv = false): HistoryFilter {
  const f: HistoryFilter = {};
  if (q.ip !== undefined) f.ip = q.ip;
  if (q.since !== undefined) f.since = q.since;
  if (q.until !== undefined) f.until = q.until;
  if (q.rule) f.rule = q.rule;
  if (q.source) f.source = q.source;
  if (q.active === 'true' || q.active === '1') f.activeOnly = true;
  if (q.sort) f.sort = q.sort;
  if (q.order) f.order = q.order;
  if (q.limit !== undefined) f.limit = q.limit;
  else if (!forCsv) f.limit = 100;
  if (q.offset !== undefined) f.offset = q.offset;
  return f;
}

/** The first issue of a failed parse as one sentence naming the field. */
export function firstError(err: z.ZodError): string {
  const issue = err.issues[0];
  if (!issue) return 'invalid input';
  if (issue.code === 'unrecognized_keys') return `unknown field \`${issue.keys.join('`, `').slice(0, 100)}\``;
  const field = issue.path.length ? String(issue.path[0]) : '';
  const msg = issue.message;
  if (field && !msg.includes('`')) return `\`${field}\`: ${msg}`;
  return msg;
}
