// The one config schema: every setting, its default, and what it must be. Validated once at startup (load.ts).
import { z } from 'zod';
import { parseDuration } from './duration.js';
import { parseCidr } from '../net/cidr.js';

/** A number field whose error message says what was expected (used as `Expected \`key\` to be <expect>`). */
function num(expect: string, refine: (n: z.ZodNumber, e: { error: string }) => z.ZodNumber = (n) => n) {
  return refine(z.number({ error: expect }), { error: expect });
}
// Every number is bounded: a value past these ranges is a typo or an attack on the config, and some (a timer past
// 2^31 ms, a typed array of 1e12 entries) would break `start` after `check` said yes.
/** A number in (0, max]. */
const positive = (max: number) => num(`a number > 0 and at most ${max}`, (n, e) => n.gt(0, e).max(max, e));
/** A number in [0, max]. */
const nonNegative = (max: number) => num(`a number from 0 to ${max}`, (n, e) => n.min(0, e).max(max, e));
/** A whole number in [min, max]. */
const whole = (min: number, max: number) => num(`a whole number from ${min} to ${max}`, (n, e) => n.int(e).min(min, e).max(max, e));

const DAY = 86400;
/** The longest ban, offence memory or retention: ten years. */
const TEN_YEARS = 3650 * DAY;

function durationText(sec: number): string {
  if (sec % (7 * DAY) === 0 && sec >= 7 * DAY) return `${sec / (7 * DAY)}w`;
  if (sec % DAY === 0) return `${sec / DAY}d`;
  if (sec % 3600 === 0) return `${sec / 3600}h`;
  if (sec % 60 === 0) return `${sec / 60}m`;
  return `${sec}s`;
}

/** A duration from `min` to `max` seconds: seconds as a number, or a string such as `90s`, `10m`, `2h`, `30d`. */
function duration(min: number, max: number) {
  const expect = `a duration such as 30s, 10m, 2h or 30d (or a number of seconds) from ${durationText(min)} to ${durationText(max)}`;
  return z
    .union([z.number(), z.string()], { error: expect })
    .transform((v, ctx) => {
      const s = parseDuration(v);
      if (s === null || s <= 0 || s < min || s > max) {
        ctx.addIssue({ code: 'custom', message: expect });
        return z.NEVER;
      }
      return s;
    });
}

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

export const configSchema = z.strictObject({
  /** Decide, log, audit and alert, but never enforce. */
  dry_run: z.boolean({ error: 'true or false' }).default(false),
  log_level: z.enum(['debug', 'info', 'warn', 'error'], { error: 'one of debug, info, warn, error' }).default('info'),

  nginx: z
    .strictObject({
      /** Base URL of the njs internal listener (counters and ban endpoints). */
      url: url().default('http://127.0.0.1:9181'),
      /** How often the counters are polled. */
      poll_interval: duration(0.05, 3600).default(1),
      /** Timeout of one poll, in milliseconds. */
      timeout_ms: whole(1, 60_000).default(800),
    })
    .prefault({}),

  detection: z
    .strictObject({
      /** Sliding window for per-IP and global rates, seconds. */
      window: duration(0.1, 3600).default(60),
      /** Rolling baseline history of per-second global counts. */
      baseline_window: duration(1, 7 * DAY).default(1800),
      /** How often the baseline is recomputed. */
      recompute_interval: duration(0.1, DAY).default(60),
      /** Prefer the hour-of-day slot once it holds this many seconds of samples. */
      hourly_slots: z.boolean({ error: 'true or false' }).default(true),
      hour_slot_min_samples: whole(1, 7 * 3600).default(600),
      /** Floors applied to the learned baseline (req/s). */
      mean_floor: positive(1e6).default(1.0),
      stddev_floor: positive(1e6).default(0.5),
      error_mean_floor: positive(1e6).default(0.1),
      /** An IP is banned when its z-score is above this... */
      zscore: positive(1000).default(3.0),
      /** ...or its rate is above this many times the baseline mean. */
      multiplier: positive(10_000).default(5.0),
      /**
       * ...or its rate is above this many req/s over the window, whatever the baseline (0: off). On a busy site the
       * two relative rules put one address's limit at hundreds of req/s; this ceiling stops a flood there too.
       */
      max_ip_rate: nonNegative(1e6).default(30),
      /** An IP whose 4xx+5xx rate is over this many times the baseline error rate gets tightened thresholds. */
      error_surge: positive(10_000).default(3.0),
      /** Factor applied to both thresholds when tightened (0 < f <= 1). */
      tighten_factor: num('a number > 0 and <= 1', (n, e) => n.gt(0, e).max(1, e)).default(0.5),
      /** An IP needs at least this many requests in the window before it can be banned. */
      min_requests: nonNegative(1e6).default(10),
      /** Minimum time between two global-surge alerts. */
      global_cooldown: duration(1, DAY).default(120),
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
      timeout_ms: whole(1, 120_000).default(5000),
      retries: whole(0, 20).default(3),
      /** Which events are sent. */
      events: z.array(z.enum(['ban', 'unban', 'global_alert'], { error: 'one of ban, unban, global_alert' }))
        .default(['ban', 'unban', 'global_alert']),
    })
    .prefault({}),

  storage: z
    .strictObject({
      database: z.string({ error: 'a file path' }).min(1, { error: 'a file path' }).default('var/warden.db'),
      audit_log: z.string({ error: 'a file path' }).min(1, { error: 'a file path' }).default('var/audit.log'),
    })
    .prefault({}),

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
      login_attempts_per_minute: whole(1, 1000).default(5),
    })
    .prefault({}),
});

/** The validated config, with every default filled in. Durations are seconds; a null ladder step is permanent. */
export type Config = z.output<typeof configSchema>;
