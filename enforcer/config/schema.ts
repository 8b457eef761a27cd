// The one config schema: every setting, its default, and what it must be. Validated once at startup (load.ts).
import { z } from 'zod';
import { parseDuration } from './duration.js';
import { num, positive, nonNegative, positiveInt, whole, duration, DAY } from './fields.js';
import { parseCidr } from '../net/cidr.js';
import { allRules, registryVersion } from '../core/rules/registry.js';
import { RULE_MODES, type RuleMode } from '../core/rules/types.js';

/** The longest ban, offence memory or retention: ten years. */
const TEN_YEARS = 3650 * DAY;

/** A ban ladder step: a duration up to ten years, or `permanent`. Returns seconds, or null for permanent. */
const ladderStep = z
  .union([z.number(), z.string()], { error: 'a duration such as 10m (at most 3650d) or the word permanent' })
  .transform((v, ctx): number | null => {
    if (v === 'permanent') return null;
    const s = parseDuration(v);
    if (s === null || s < 1 || s > TEN_YEARS) {
      ctx.addIssue({ code: 'custom', message: 'a duration such as 10m (at most 3650d) or the word permanent' });
      return z.NEVER;
    }
    return s;
  });

const url = (expect = 'an http(s) URL') =>
  z.string({ error: expect }).refine((s) => /^https?:\/\/[^\s]+$/.test(s), { error: expect });

const LISTEN = 'HOST:PORT with a port from 0 to 65535, such as 127.0.0.1:8080 or [::1]:8080';
const listen = z
  .string({ error: LISTEN })
  .refine((s) => /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):\d{1,5}$/.test(s) && Number(s.slice(s.lastIndexOf(':') + 1)) <= 65535,
    { error: LISTEN });

export const backendNames = ['ipset', 'nftables', 'iptables', 'nginx', 'dry-run'] as const;
export type BackendName = (typeof backendNames)[number];

/** The `detection` keys that belong to no rule (windows, baseline learning, floors). */
const detectionBase = {
      /**
       * IPv6 clients are counted, judged and banned per prefix of this many bits (64: every address of one /64 is one
       * client, `2001:db8:1:2::/64`; 128: per address). Must equal `js_var $warden_ipv6_prefix` in the warden nginx.conf.
       */
      ipv6_prefix: num('a whole number from 32 to 128', (n, e) => n.int(e).min(32, e).max(128, e)).default(64),
      /** Sliding window for per-IP and global rates, seconds. */
      window: duration(0.1, 3600).default(60),
      /** Short window per client, for bursts and probing (rules read it as `short`). */
      short_window: duration(0.1, 3600).default(2),
      /** Rolling baseline history of per-second global counts. */
      baseline_window: duration(1, 7 * DAY).default(1800),
      /** How often the baseline is recomputed. */
      recompute_interval: duration(0.1, DAY).default(60),
      /** Prefer the hour-of-day slot once it holds this many seconds of samples. */
      hourly_slots: z.boolean({ error: 'true or false' }).default(true),
      hour_slot_min_samples: positiveInt(7 * 3600).default(600),
      /** Floors applied to the learned baseline (req/s). */
      mean_floor: positive().default(1.0),
      stddev_floor: positive().default(1.0),
      error_mean_floor: positive().default(0.1),
      /** An IP needs at least this many requests in the window before it can be banned. */
      min_requests: nonNegative().default(10),
      /** A rule in mode `alert` alerts about the same client at most once per this. */
      alert_cooldown: duration(1, DAY).default(600),
      /**
       * Poisoning guard: a second's global count above the median of the rolling history plus this many robust
       * standard deviations is learned at that cap, so a spray or a flood cannot teach the baseline that surges are
       * normal (0: off, learn every second as it came).
       */
      learn_cap_sigmas: nonNegative(1000).default(10),
      /** The cap is never below this many requests per second (single seconds of page loads are spiky). */
      learn_cap_floor: positive(1e9).default(50),
      /**
       * Until the baseline holds this much history (or the current hour's slot, restored ones included, is filled),
       * the rules that compare a client with the learned baseline (zscore, multiplier) only alert.
       */
      learning_period: z.union([z.literal(0), duration(1, 30 * DAY)], { error: 'a duration such as 10m, or 0 for none' }).default(600),
};

/** The `detection` section: the base keys, each rule's keys kept directly under it, and `rules.<name>` per rule. */
function detectionSchema() {
  const shape: Record<string, z.ZodType> = { ...detectionBase };
  const perRule: Record<string, z.ZodType> = {};
  for (const rule of allRules()) {
    for (const [key, k] of Object.entries(rule.legacyKeys ?? {})) shape[key] = k.schema;
    const modes = rule.modes ?? RULE_MODES;
    const keys: Record<string, z.ZodType> = {
      mode: z.enum(modes as [RuleMode, ...RuleMode[]], { error: `one of ${modes.join(', ')}` }).default(rule.defaultMode),
    };
    for (const [key, k] of Object.entries(rule.keys ?? {})) keys[key] = k.schema;
    perRule[rule.name] = z.strictObject(keys, { error: 'a mapping of keys to values' }).prefault({});
  }
  shape.rules = z.strictObject(perRule, { error: 'a mapping of rule names to their settings' }).prefault({});
  return z.strictObject(shape).prefault({});
}

/** The keys the built-in rules keep directly under `detection` (their schema and default live in the rule modules). */
export type LegacyRuleKeys = {
  zscore: number;
  multiplier: number;
  max_ip_rate: number;
  error_surge: number;
  tighten_factor: number;
  global_cooldown: number;
};

/** The validated `detection` section. */
export type DetectionConfig = z.output<z.ZodObject<typeof detectionBase>> & LegacyRuleKeys & {
  rules: Record<string, Record<string, unknown> & { mode: RuleMode }>;
};

/**
 * The whole config schema for the rules registered now (the registry's built-in rules, plus any a test added).
 * @example buildConfigSchema().safeParse({ detection: { rules: { ceiling: { mode: 'alert' } } } }).success === true
 */
export function buildConfigSchema() {
  return baseSchema.extend({ detection: detectionSchema() });
}

let cached: { version: number; schema: ReturnType<typeof buildConfigSchema> } | null = null;

/** The config schema for the current registry (rebuilt only after a rule was registered or removed). */
export function currentConfigSchema(): ReturnType<typeof buildConfigSchema> {
  if (cached === null || cached.version !== registryVersion()) cached = { version: registryVersion(), schema: buildConfigSchema() };
  return cached.schema;
}

const baseSchema = z.strictObject({
  /** Decide, log, audit and alert, but never enforce. */
  dry_run: z.boolean({ error: 'true or false' }).default(false),
  log_level: z.enum(['debug', 'info', 'warn', 'error'], { error: 'one of debug, info, warn, error' }).default('info'),

  nginx: z
    .strictObject({
      /** Base URL of the njs internal listener (counters and ban endpoints). */
      url: z.string({ error: 'an http URL on loopback (127.0.0.1, [::1] or localhost)' }).refine((s) => {
        // The warden secret goes with every poll and njs answers loopback clients only: never send it over a network.
        const m = /^https?:\/\/(\[::1\]|localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3})(:\d{1,5})?(\/[^\s]*)?$/.exec(s);
        return m !== null;
      }, { error: 'an http URL on loopback (127.0.0.1, [::1] or localhost)' }).default('http://127.0.0.1:9181'),
      /** How often the counters are polled. */
      poll_interval: duration(0.05, 3600).default(1),
      /** Timeout of one poll, in milliseconds. */
      timeout_ms: positiveInt(60_000).default(800),
      /**
       * The warden secret shared with nginx (`js_var $warden_secret "...";`, included by the warden nginx.conf): only a
       * poller sending it may drain counts or change nginx bans. Created (mode 0600) at start when missing; then reload
       * nginx. Relative paths are resolved against the config file's folder.
       */
      secret_file: z.string({ error: 'a file path' }).min(1, { error: 'a file path' }).default('/etc/nginx/warden/secret.conf'),
      /** How often the nginx ban dict is checked against the database (nginx backend): strays removed, missing re-added. */
      ban_check_interval: duration(1, DAY).default(60),
    })
    .prefault({}),


  bans: z
    .strictObject({
      /** Ban durations for the 1st, 2nd, 3rd... offence; the last step repeats. */
      ladder: z.array(ladderStep, { error: 'a list of durations' }).min(1, { error: 'a list of at least one duration' })
        .default([600, 1800, 7200, null]),
      /** How long past offences count towards the ladder. */
      offence_memory: duration(1, TEN_YEARS).default(30 * 86400),
      /** Ended bans older than this are pruned from history (never a permanent one, never within offence memory). */
      retention: duration(3600, TEN_YEARS).default(90 * 86400),
    })
    .prefault({}),

  /** CIDRs or addresses never banned. Loopback and the host's own addresses are always added. */
  allowlist: z.array(
    z.string({ error: 'an IP address or CIDR' }).refine((s) => parseCidr(s.trim()) !== null, { error: 'an IP address or CIDR' }),
    { error: 'a list of IP addresses or CIDRs' },
  ).default([]),
  /** Add the host's own interface addresses to the allow-list. */
  allow_self: z.boolean({ error: 'true or false' }).default(true),

  enforcement: z
    .strictObject({
      backends: z.array(z.enum(backendNames, { error: `one of ${backendNames.join(', ')}` }), {
        error: `a list of backends (${backendNames.join(', ')})`,
      }).min(1, { error: 'a list of at least one backend' }).default(['ipset']),
      /** Name prefix for the project's own sets, chains and tables. */
      name: z.string({ error: 'a name of 1-20 letters, digits, - or _' })
        .regex(/^[A-Za-z][A-Za-z0-9_-]{0,19}$/, { error: 'a name of 1-20 letters, digits, - or _' }).default('warden'),
      /** Chains the ban chain is hooked into (INPUT; add DOCKER-USER for Docker-published ports). */
      hook_chains: z.array(z.string({ error: 'a list of chain names' }), { error: 'a list of chain names' }).default(['INPUT']),
      /** Retries of a failing firewall command before it is logged as a failure. */
      retries: whole(0, 10).default(2),
    })
    .prefault({}),

  alerts: z
    .strictObject({
      /** Slack incoming-webhook URL, e.g. ${SLACK_WEBHOOK_URL}. Empty: off. */
      slack_webhook_url: z.union([url(), z.literal('')], { error: 'an http(s) URL or empty' }).default(''),
      /** Generic JSON webhook URL. Empty: off. */
      webhook_url: z.union([url(), z.literal('')], { error: 'an http(s) URL or empty' }).default(''),
      timeout_ms: positiveInt(120_000).default(5000),
      retries: whole(0, 20).default(3),
      /** Which events are sent. */
      events: z.array(z.enum(['ban', 'unban', 'global_alert', 'rule_alert'], { error: 'one of ban, unban, global_alert, rule_alert' }))
        .default(['ban', 'unban', 'global_alert', 'rule_alert']),
    })
    .prefault({}),

  storage: z
    .strictObject({
      database: z.string({ error: 'a file path' }).min(1, { error: 'a file path' }).default('var/warden.db'),
      audit_log: z.string({ error: 'a file path' }).min(1, { error: 'a file path' }).default('var/audit.log'),
    })
    .prefault({}),

  /**
   * Fleet mode (docs/fleet.md): several nginx hosts detect on their summed counts and ban as one, through Valkey/Redis.
   * Absent: this host works alone and no server is needed.
   */
  fleet: z
    .strictObject({
      /** redis:// or rediss:// (TLS) URL; user and password through ${ENV}, e.g. rediss://warden:${VALKEY_PASSWORD}@10.0.0.5:6379. */
      url: z.string({ error: 'a redis:// or rediss:// URL' })
        .regex(/^rediss?:\/\/[^\s]+$/, { error: 'a redis:// or rediss:// URL' }),
      /** This node's name in the fleet (default: the host name). */
      node: z.string({ error: 'a name of 1-64 letters, digits, ., - or _' })
        .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: 'a name of 1-64 letters, digits, ., - or _' }).optional(),
      /** Prefix of every key; the {braces} keep all keys in one Cluster slot (the scripts touch several). */
      prefix: z.string({ error: 'a key prefix of 1-64 characters without spaces' })
        .regex(/^[^\s]{1,64}$/, { error: 'a key prefix of 1-64 characters without spaces' }).default('{warden}:'),
      /** How the URL is used: one server, Sentinel (the URL's host:port are sentinels) or Cluster (seed nodes). */
      mode: z.enum(['standalone', 'sentinel', 'cluster'], { error: 'one of standalone, sentinel, cluster' }).default('standalone'),
      /** Extra sentinels or cluster seed nodes, HOST:PORT each. */
      hosts: z.array(listen, { error: 'a list of HOST:PORT' }).default([]),
      /** The Sentinel master group name. */
      sentinel_name: z.string({ error: 'a master group name' }).default('mymaster'),
      /** PEM file of the CA that signed the server's certificate (rediss://); empty: the system's CAs. */
      tls_ca: z.string({ error: 'a file path (or empty)' }).default(''),
      /** The deciding node's lease: another node takes over this long after the decider stops renewing it. */
      lease: duration().default(3),
      /** Milliseconds after each second that the decider reads the nodes' counts of the second before. */
      read_delay_ms: nonNegative().default(350),
      /** Decisions kept in the stream (about 300 bytes each). */
      stream_length: positiveInt().default(100_000),
    })
    .optional(),

  api: z
    .strictObject({
      listen: listen.default('127.0.0.1:8080'),
      /** scrypt hash of the dashboard password (`warden hash-password`). Empty: generated at first start. */
      password_hash: z.string({ error: 'a hash made by `warden hash-password` (or empty)' })
        .regex(/^(|scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+)$/, { error: 'a hash made by `warden hash-password` (or empty)' })
        .default(''),
      /** Bearer tokens for scripts (use ${ENV} to keep them out of the file). */
      tokens: z.array(z.string({ error: 'a list of tokens' }).min(16, { error: 'a token of at least 16 characters' }), {
        error: 'a list of tokens',
      }).default([]),
      session_ttl: duration(60, 30 * DAY).default(12 * 3600),
      /** Failed logins allowed per client address per minute. */
      login_attempts_per_minute: positiveInt(1000).default(5),
    })
    .prefault({}),
});

/** The schema with the built-in rules (what warden.yaml documents). */
export const configSchema = buildConfigSchema();

/** The validated config, with every default filled in. Durations are seconds; a null ladder step is permanent. */
export type Config = Omit<z.output<typeof baseSchema>, 'detection'> & { detection: DetectionConfig };
