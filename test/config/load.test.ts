// The config loader: defaults, one exact message per kind of error, ${ENV} substitution, YAML and JSON files.
// Runs no firewall command (backend names appear only in config text), so it needs no netns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseConfig } from '../../enforcer/config/load.js';

/** The ConfigError message parseConfig throws for `raw`. */
function errorOf(raw: unknown, env: NodeJS.ProcessEnv = {}): string {
  try {
    parseConfig(raw, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message;
  }
  assert.fail('expected a ConfigError');
}

test('defaults: every setting is filled in as documented', () => {
  const c = parseConfig({}, {});
  assert.deepEqual(c.detection, {
    ipv6_prefix: 64, window: 60, baseline_window: 1800, recompute_interval: 60, hourly_slots: true, hour_slot_min_samples: 600,
    mean_floor: 1, stddev_floor: 1, error_mean_floor: 0.1, zscore: 3, multiplier: 5, max_ip_rate: 30, error_surge: 3, tighten_factor: 0.5,
    min_requests: 10, global_cooldown: 120, short_window: 2, alert_cooldown: 600,
    learn_cap_sigmas: 10, learn_cap_floor: 50, learning_period: 600,
    rules: {
      brute_force: { mode: 'ban', max_failures: 10, min_failures: 4, surge_clients: 10, surge_factor: 0.5 },
      probing: { mode: 'ban', max_probes: 16 },
      zscore: { mode: 'ban' }, multiplier: { mode: 'ban' }, ceiling: { mode: 'ban' },
      burst: { mode: 'ban', floor: 75, quantile: 0.99, factor: 4 },
      population: { mode: 'ban', floor: 20, quantile: 0.99, factor: 10 },
      volume: { mode: 'alert', floor_10m: 3, floor_1h: 2, quantile: 0.99, factor: 10 },
      spread: { mode: 'alert', max_rate: 30, min_clients: 3 },
      error_surge: { mode: 'ban' }, global_surge: { mode: 'alert' },
    },
  });
  assert.deepEqual(c.bans.ladder, [600, 1800, 7200, null]);
  assert.equal(c.bans.offence_memory, 30 * 86400);
  assert.equal(c.dry_run, false);
  assert.equal(c.nginx.poll_interval, 1);
  assert.equal(c.nginx.ban_check_interval, 60);
  assert.match(c.nginx.secret_file, /^\/etc\/nginx\/warden\/secret\.conf$/);
  assert.deepEqual(c.allowlist, []);
  assert.equal(c.allow_self, true);
  assert.deepEqual(c.enforcement.backends, ['ipset']);
  assert.deepEqual(parseConfig(null, {}), c);
  // Without a file, relative storage paths are taken from the working folder.
  const loaded = loadConfig(undefined, {});
  assert.deepEqual({ ...loaded, storage: c.storage }, c);
  assert.equal(loaded.storage.database, join(process.cwd(), 'var/warden.db'));
  assert.equal(loaded.storage.audit_log, join(process.cwd(), 'var/audit.log'));
});

test('storage paths in a config file are taken from its folder, whoever loads it (CLI, daemon, demo)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-cfg-'));
  try {
    const file = join(dir, 'warden.yaml');
    writeFileSync(file, 'storage:\n  database: data/w.db\n  audit_log: /var/log/w.log\n');
    const c = loadConfig(file, {});
    assert.equal(c.storage.database, join(dir, 'data/w.db'));
    assert.equal(c.storage.audit_log, '/var/log/w.log');
    writeFileSync(file, 'storage:\n  database: ":memory:"\n');
    assert.equal(loadConfig(file, {}).storage.database, ':memory:');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the new rules\' keys are validated and named in the error', () => {
  assert.throws(() => parseConfig({ detection: { rules: { burst: { quantile: 1.5 } } } }, {}),
    /Expected `detection\.rules\.burst\.quantile` to be a number > 0 and < 1, got `1\.5`/);
  assert.throws(() => parseConfig({ detection: { rules: { brute_force: { max_failures: 'ten' } } } }, {}),
    /Expected `detection\.rules\.brute_force\.max_failures` to be a whole number from 1 to 1000000, got `"ten"`/);
  assert.throws(() => parseConfig({ detection: { learning_period: -5 } }, {}), /detection\.learning_period/);
  assert.equal(parseConfig({ detection: { learning_period: 0 } }, {}).detection.learning_period, 0);
  assert.equal(parseConfig({ detection: { learning_period: '2h' } }, {}).detection.learning_period, 7200);
});

test('durations and ladder steps accept numbers and units', () => {
  const c = parseConfig({ detection: { window: '90s', baseline_window: '1h', global_cooldown: 30 }, bans: { ladder: ['5m', 3600, 'permanent'] } }, {});
  assert.equal(c.detection.window, 90);
  assert.equal(c.detection.baseline_window, 3600);
  assert.equal(c.detection.global_cooldown, 30);
  assert.deepEqual(c.bans.ladder, [300, 3600, null]);
});

test('each kind of bad value gives one exact line naming the key, the expectation and the value', () => {
  const cases: Array<[unknown, string]> = [
    [{ detection: { zscore: 'abc' } }, 'Expected `detection.zscore` to be a number > 0 and at most 1000000, got `"abc"`'],
    [{ detection: { zscore: -1 } }, 'Expected `detection.zscore` to be a number > 0 and at most 1000000, got `-1`'],
    [{ detection: { min_requests: -5 } }, 'Expected `detection.min_requests` to be a number from 0 to 1000000, got `-5`'],
    [{ detection: { hour_slot_min_samples: 1.5 } }, 'Expected `detection.hour_slot_min_samples` to be a whole number from 1 to 25200, got `1.5`'],
    [{ detection: { tighten_factor: 2 } }, 'Expected `detection.tighten_factor` to be a number > 0 and <= 1, got `2`'],
    [{ detection: { window: '10x' } }, 'Expected `detection.window` to be a duration such as 30s, 10m, 2h or 30d (or a number of seconds) from 0.1s to 1h, got `"10x"`'],
    [{ detection: { window: 0 } }, 'Expected `detection.window` to be a duration such as 30s, 10m, 2h or 30d (or a number of seconds) from 0.1s to 1h, got `0`'],
    [{ bans: { ladder: ['10m', 'forever'] } }, 'Expected `bans.ladder.1` to be a duration such as 10m (at most 3650d) or the word permanent, got `"forever"`'],
    [{ bans: { ladder: [] } }, 'Expected `bans.ladder` to be a list of at least one duration, got `[]`'],
    [{ dry_run: 'yes' }, 'Expected `dry_run` to be true or false, got `"yes"`'],
    [{ log_level: 'loud' }, 'Expected `log_level` to be one of debug, info, warn, error, got `"loud"`'],
    [{ enforcement: { backends: ['pf'] } }, 'Expected `enforcement.backends.0` to be one of ipset, nftables, iptables, nginx, dry-run, got `"pf"`'],
    [{ alerts: { slack_webhook_url: 'ftp://x' } }, 'Expected `alerts.slack_webhook_url` to be an http(s) URL, got `"ftp://x"`'],
    [{ api: { listen: 'localhost' } }, 'Expected `api.listen` to be HOST:PORT with a port from 0 to 65535, such as 127.0.0.1:8080 or [::1]:8080, got `"localhost"`'],
    [{ api: { tokens: ['short'] } }, 'Expected `api.tokens.0` to be a token of at least 16 characters, got `"short"`'],
    [{ detection: { zscroe: 3 } }, 'Unknown key `detection.zscroe` in config'],
    [{ detection: { rules: { zscore: { mode: 'maybe' } } } }, 'Expected `detection.rules.zscore.mode` to be one of ban, alert, off, got `"maybe"`'],
    [{ detection: { rules: { global_surge: { mode: 'ban' } } } }, 'Expected `detection.rules.global_surge.mode` to be one of alert, off, got `"ban"`'],
    [{ detection: { rules: { bogus: { mode: 'ban' } } } }, 'Unknown key `detection.rules.bogus` in config'],
    [{ detection: { rules: { ceiling: { mode: 'ban', max: 3 } } } }, 'Unknown key `detection.rules.ceiling.max` in config'],
    [{ detection: { rules: { ceiling: 'off' } } }, 'Expected `detection.rules.ceiling` to be a mapping of keys to values, got `"off"`'],
    [{ detection: { rules: [] } }, 'Expected `detection.rules` to be a mapping of rule names to their settings, got `[]`'],
    [{ detection: { short_window: 0 } }, 'Expected `detection.short_window` to be a duration such as 30s, 10m, 2h or 30d (or a number of seconds) from 0.1s to 1h, got `0`'],
    [{ alerts: { events: ['alert'] } }, 'Expected `alerts.events.0` to be one of ban, unban, global_alert, rule_alert, got `"alert"`'],
    [{ detections: {} }, 'Unknown key `detections` in config'],
    [{ enforcement: { nginx_status: 444 } }, 'Unknown key `enforcement.nginx_status` in config: removed (nothing read it); the answer to a banned client is set in nginx-server.conf (`return 403;` or `return 444;`)'],
    [[1, 2], 'Expected the config to be a mapping of keys to values, got `[1,2]`'],
    ['zscore: 3', 'Expected the config to be a mapping of keys to values, got `"zscore: 3"`'],
  ];
  for (const [raw, message] of cases) assert.equal(errorOf(raw), message, JSON.stringify(raw));
});

test('a bad allow-list entry names its index', () => {
  assert.match(errorOf({ allowlist: ['10.0.0.0/8', '10.0.0.0/40'] }), /^Expected `allowlist\.1` to be an IP address or CIDR, got `"10\.0\.0\.0\/40"`$/);
});

test('several problems give one line each; a long value is shortened', () => {
  const msg = errorOf({ detection: { zscore: 0, multiplier: 'x'.repeat(100) } });
  const lines = msg.split('\n');
  assert.equal(lines.length, 2);
  assert.equal(lines[0], 'Expected `detection.zscore` to be a number > 0 and at most 1000000, got `0`');
  assert.equal(lines[1], `Expected \`detection.multiplier\` to be a number > 0 and at most 1000000, got \`"${'x'.repeat(56)}...\``);
});

test('${ENV} fills strings anywhere; a missing variable is an error naming it and the key', () => {
  const c = parseConfig(
    { alerts: { slack_webhook_url: '${SLACK_WEBHOOK_URL}', webhook_url: 'https://${HOST}/hook' }, api: { tokens: ['${TOKEN}'] } },
    { SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/X', HOST: 'alerts.example', TOKEN: 'a'.repeat(20) },
  );
  assert.equal(c.alerts.slack_webhook_url, 'https://hooks.slack.com/services/T/B/X');
  assert.equal(c.alerts.webhook_url, 'https://alerts.example/hook');
  assert.deepEqual(c.api.tokens, ['a'.repeat(20)]);
  assert.equal(
    errorOf({ alerts: { slack_webhook_url: '${SLACK_WEBHOOK_URL}' } }),
    'Expected environment variable `SLACK_WEBHOOK_URL` (used by `alerts.slack_webhook_url`) to be set, got nothing',
  );
  assert.equal(errorOf({ api: { tokens: ['ok-token-ok-token', '${T2}'] } }), 'Expected environment variable `T2` (used by `api.tokens.1`) to be set, got nothing');
  // Substituted values are validated like written ones.
  assert.equal(errorOf({ detection: { zscore: '${Z}' } }, { Z: '3' }), 'Expected `detection.zscore` to be a number > 0 and at most 1000000, got `"3"`');
});

test('loadConfig reads YAML and JSON files and explains unreadable or malformed ones', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-config-'));
  try {
    const yaml = join(dir, 'warden.yaml');
    writeFileSync(yaml, 'detection:\n  zscore: 2.5\n  window: 2m\nallowlist:\n  - 192.0.2.0/24\nalerts:\n  webhook_url: ${HOOK}\n');
    const c = loadConfig(yaml, { HOOK: 'http://127.0.0.1:9/x' });
    assert.equal(c.detection.zscore, 2.5);
    assert.equal(c.detection.window, 120);
    assert.deepEqual(c.allowlist, ['192.0.2.0/24']);
    assert.equal(c.alerts.webhook_url, 'http://127.0.0.1:9/x');
    const json = join(dir, 'warden.json');
    writeFileSync(json, JSON.stringify({ dry_run: true }));
    assert.equal(loadConfig(json, {}).dry_run, true);
    writeFileSync(json, '{"dry_run": tru');
    assert.throws(() => loadConfig(json, {}), (e: Error) => e instanceof ConfigError && e.message.startsWith(`Config file \`${json}\` is not valid JSON: `) && e.cause instanceof Error);
    const badYaml = join(dir, 'bad.yaml');
    writeFileSync(badYaml, 'detection:\n  zscore: [1\n');
    assert.throws(() => loadConfig(badYaml, {}), (e: Error) => e instanceof ConfigError && e.message.startsWith(`Config file \`${badYaml}\` is not valid YAML: `));
    const missing = join(dir, 'nope.yaml');
    assert.throws(() => loadConfig(missing, {}), (e: Error) => e instanceof ConfigError && e.message.startsWith(`Cannot read config file \`${missing}\`: ENOENT`));
    const empty = join(dir, 'empty.yaml');
    writeFileSync(empty, '');
    assert.equal(loadConfig(empty, {}).detection.zscore, 3);
    const bad = join(dir, 'badvalue.yaml');
    writeFileSync(bad, 'detection:\n  zscore: abc\n');
    assert.throws(() => loadConfig(bad, {}), { name: 'ConfigError', message: 'Expected `detection.zscore` to be a number > 0 and at most 1000000, got `"abc"`' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a `__proto__` key is refused, named by its path (never the prototype of its parent: a rule silently off)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-config-'));
  try {
    const yaml = join(dir, 'warden.yaml');
    writeFileSync(yaml, 'detection:\n  rules:\n    zscore:\n      __proto__:\n        mode: "off"\n');
    assert.throws(() => loadConfig(yaml, {}), (e: Error) => e instanceof ConfigError && e.message === 'Key `detection.rules.zscore.__proto__` is not allowed in config');
    writeFileSync(yaml, 'detection:\n  rules:\n    __proto__:\n      mode: ban\n');
    assert.throws(() => loadConfig(yaml, {}), (e: Error) => e instanceof ConfigError && e.message === 'Key `detection.rules.__proto__` is not allowed in config');
    assert.equal(errorOf(JSON.parse('{"__proto__": {"dry_run": false}}')), 'Key `__proto__` is not allowed in config');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // An IPv6 client key wider than /32 could never be banned (MIN_BAN_PREFIX): refused at load.
  assert.equal(errorOf({ detection: { ipv6_prefix: 16 } }), 'Expected `detection.ipv6_prefix` to be a whole number from 32 to 128, got `16`');
  assert.equal(parseConfig({ detection: { ipv6_prefix: 32 } }, {}).detection.ipv6_prefix, 32);
});

test('nginx.url must be on loopback: the warden secret is sent with every poll and never over a network', () => {
  for (const u of ['http://10.0.0.5:9181', 'http://nginx.example:9181', 'http://127.0.0.1.evil.example:9181', 'http://[2001:db8::1]:9181']) {
    assert.equal(errorOf({ nginx: { url: u } }), `Expected \`nginx.url\` to be an http URL on loopback (127.0.0.1, [::1] or localhost), got \`${JSON.stringify(u)}\``, u);
  }
  for (const u of ['http://127.0.0.1:9181', 'http://[::1]:9181/', 'http://localhost:9181', 'http://127.0.0.2']) {
    assert.equal(parseConfig({ nginx: { url: u } }, {}).nginx.url, u);
  }
});
