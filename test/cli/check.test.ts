// The real `warden` binary with broken configs: the exact error line, and a non-zero exit (STYLE 11).
// Runs no firewall command (backend names appear only in config text), so it needs no netns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWarden } from './run-warden.js';

const warden = runWarden;

function withConfig(text: string, name = 'warden.yaml'): { path: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'warden-cli-'));
  const path = join(dir, name);
  writeFileSync(path, text);
  return { path, done: () => rmSync(dir, { recursive: true, force: true }) };
}

const cases: Array<{ name: string; yaml: string; line: string }> = [
  { name: 'a string where a number goes', yaml: 'detection:\n  zscore: abc\n', line: 'Expected `detection.zscore` to be a number > 0 and at most 1000000, got `"abc"`' },
  { name: 'a negative number', yaml: 'detection:\n  multiplier: -2\n', line: 'Expected `detection.multiplier` to be a number > 0 and at most 1000000, got `-2`' },
  { name: 'an unknown key (typo)', yaml: 'detection:\n  zscor: 3\n', line: 'Unknown key `detection.zscor` in config' },
  { name: 'a bad ladder step', yaml: 'bans:\n  ladder: [10m, forever]\n', line: 'Expected `bans.ladder.1` to be a duration such as 10m (at most 3650d) or the word permanent, got `"forever"`' },
  { name: 'an unknown backend', yaml: 'enforcement:\n  backends: [pf]\n', line: 'Expected `enforcement.backends.0` to be one of ipset, nftables, iptables, nginx, dry-run, got `"pf"`' },
  { name: 'a bad listen address', yaml: 'api:\n  listen: 8080\n', line: 'Expected `api.listen` to be HOST:PORT with a port from 0 to 65535, such as 127.0.0.1:8080 or [::1]:8080, got `8080`' },
  { name: 'a tighten factor above 1', yaml: 'detection:\n  tighten_factor: 2\n', line: 'Expected `detection.tighten_factor` to be a number > 0 and <= 1, got `2`' },
  { name: 'a password hash not made by hash-password', yaml: 'api:\n  password_hash: hunter2\n', line: 'Expected `api.password_hash` to be a hash made by `warden hash-password` (or empty), got `"hunter2"`' },
  { name: 'a bad allow-list entry', yaml: 'allowlist: [10.0.0.0/33]\n', line: 'Expected `allowlist.0` to be an IP address or CIDR, got `"10.0.0.0/33"`' },
];

for (const c of cases) {
  test(`warden check rejects ${c.name} with the exact line and exit 78`, () => {
    const cfg = withConfig(c.yaml);
    try {
      const r = warden(['check', '--config', cfg.path]);
      assert.equal(r.code, 78, r.err);
      assert.ok(r.err.split('\n').includes(c.line), `stderr was:\n${r.err}`);
      assert.equal(r.out, '');
    } finally {
      cfg.done();
    }
  });
}

test('warden check names a missing environment variable used by a secret', () => {
  const cfg = withConfig('alerts:\n  slack_webhook_url: ${WARDEN_TEST_NO_SUCH_VAR}\n');
  try {
    const r = warden(['check', '--config', cfg.path]);
    assert.equal(r.code, 78);
    assert.match(r.err, /Expected environment variable `WARDEN_TEST_NO_SUCH_VAR` \(used by `alerts\.slack_webhook_url`\) to be set, got nothing/);
  } finally {
    cfg.done();
  }
});

test('warden check fills ${ENV} and accepts a valid config with exit 0', () => {
  const cfg = withConfig('alerts:\n  slack_webhook_url: ${WARDEN_TEST_HOOK}\ndetection:\n  zscore: 2.5\n');
  try {
    const r = warden(['check', '--config', cfg.path], { WARDEN_TEST_HOOK: 'http://127.0.0.1:9/hook' });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^config OK: /);
    assert.match(r.out, /z > 2\.5/);
  } finally {
    cfg.done();
  }
});

test('warden check reports invalid YAML and an unreadable file clearly', () => {
  const cfg = withConfig('detection: [unclosed\n');
  try {
    const r = warden(['check', '--config', cfg.path]);
    assert.equal(r.code, 78);
    assert.match(r.err, /is not valid YAML/);
    const missing = warden(['check', '--config', '/nonexistent/warden.yaml']);
    assert.equal(missing.code, 78);
    assert.match(missing.err, /Cannot read config file `\/nonexistent\/warden\.yaml`/);
  } finally {
    cfg.done();
  }
});

test('warden start with a broken config exits non-zero before touching anything', () => {
  const cfg = withConfig('storage:\n  database: ""\n');
  try {
    const r = warden(['start', '--config', cfg.path]);
    assert.equal(r.code, 78);
    assert.ok(r.err.includes('Expected `storage.database` to be a file path, got `""`'), r.err);
  } finally {
    cfg.done();
  }
});

test('unknown commands and flags are usage errors (exit 2)', () => {
  assert.equal(warden(['frobnicate']).code, 2);
  const r = warden(['history', '--bogus']);
  assert.equal(r.code, 2);
  assert.match(r.err, /Unknown option '--bogus'/);
});
