// The shipped warden.yaml is the production example: every key of the schema is in it with its default (dry_run aside)
// and a comment, `warden check` accepts it, and a wrong key in a copy of it still exits 78 naming the key.
// Runs the real `warden` binary on files only: no firewall command, so no network namespace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { configSchema } from '../../enforcer/config/schema.js';
import { parseConfig } from '../../enforcer/config/load.js';
import { ruleConfigRows } from '../../enforcer/core/rules/docs.js';
import { allRules } from '../../enforcer/core/rules/registry.js';

const root = process.env.WARDEN_ROOT ?? process.cwd();
const bin = join(root, 'bin/warden.mjs');
const example = join(root, 'warden.yaml');

function warden(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, WARDEN_CONFIG: '' }, timeout: 20_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

interface ZodNode { _zod: { def: { type: string; innerType?: ZodNode; shape?: Record<string, ZodNode> } } }

/** Every key path of the schema (`nginx.url`, ...), descending into objects only (lists and unions are leaves). */
function schemaKeyPaths(node: ZodNode, prefix = ''): string[] {
  const def = node._zod.def;
  if ((def.type === 'default' || def.type === 'prefault' || def.type === 'optional') && def.innerType) {
    return schemaKeyPaths(def.innerType, prefix);
  }
  if (def.type === 'object' && def.shape) {
    return Object.entries(def.shape).flatMap(([k, v]) => {
      const p = prefix ? `${prefix}.${k}` : k;
      const inner = schemaKeyPaths(v, p);
      return inner.length ? inner : [p];
    });
  }
  return [];
}

function has(obj: unknown, path: string): boolean {
  let cur: unknown = obj;
  for (const k of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !(k in (cur as object))) return false;
    cur = (cur as Record<string, unknown>)[k];
  }
  return true;
}

/** Optional sections the example documents commented out (absent = off): `#fleet:` and `#  key:` lines. */
const OPTIONAL_SECTIONS = ['fleet'];
const isOptional = (p: string) => OPTIONAL_SECTIONS.includes(p.split('.')[0]);

test('the shipped warden.yaml sets every key of the schema, each with a comment above or beside it', () => {
  const paths = schemaKeyPaths(configSchema as unknown as ZodNode).filter((p) => !isOptional(p));
  assert.ok(paths.length >= 40, `expected the whole schema, walked ${paths.length} keys: ${paths.join(', ')}`);
  const text = readFileSync(example, 'utf8');
  const raw = parseYaml(text);
  const missing = paths.filter((p) => !has(raw, p));
  assert.deepEqual(missing, [], `warden.yaml lacks ${missing.join(', ')}`);
  // Each key's line has a comment on it or on the line(s) just above it.
  const lines = text.split('\n');
  const uncommented: string[] = [];
  for (const p of paths) {
    // Each level of the path is found below its parent, indented two more spaces.
    let i = -1;
    p.split('.').forEach((k, depth) => {
      const from = i + 1;
      const at = lines.slice(from).findIndex((l) => l.startsWith(`${'  '.repeat(depth)}${k}:`));
      i = at < 0 ? -Infinity : from + at;
    });
    assert.ok(i >= 0, `no line for ${p}`);
    let j = i - 1;
    const commented = lines[i].includes(' #') || (j >= 0 && lines[j].trim().startsWith('#')) ||
      // a group of floors shares the comment above the group
      (() => { while (j >= 0 && /^\s+\w+: .*#/.test(lines[j])) j--; return j >= 0 && lines[j].trim().startsWith('#'); })();
    if (!commented) uncommented.push(p);
  }
  assert.deepEqual(uncommented, [], `keys without a comment: ${uncommented.join(', ')}`);
});

test('optional sections (fleet) are in warden.yaml commented out, every key with a comment, and valid once uncommented', () => {
  const text = readFileSync(example, 'utf8');
  const lines = text.split('\n');
  for (const section of OPTIONAL_SECTIONS) {
    const start = lines.indexOf(`#${section}:`);
    assert.ok(start > 0, `no #${section}: block`);
    const block = [lines[start]];
    for (let i = start + 1; i < lines.length && lines[i].startsWith('#  '); i++) block.push(lines[i]);
    const paths = schemaKeyPaths(configSchema as unknown as ZodNode).filter((p) => p.startsWith(`${section}.`));
    for (const p of paths) {
      const leaf = p.split('.').pop() as string;
      const i = block.findIndex((l) => l.startsWith(`#  ${leaf}:`));
      assert.ok(i > 0, `warden.yaml's #${section} block lacks ${p}`);
      assert.ok(block[i - 1].startsWith('#  #'), `${p} has no comment above it`);
    }
    const uncommented = parseYaml(block.map((l) => l.slice(1)).join('\n'));
    const c = parseConfig(uncommented, { VALKEY_PASSWORD: 'x' });
    assert.ok((c as Record<string, unknown>)[section], `the uncommented ${section} block is not valid`);
  }
});

test('warden.yaml holds the defaults, except dry_run, shipped as true', () => {
  const shipped = parseConfig(parseYaml(readFileSync(example, 'utf8')), {});
  const defaults = parseConfig({}, {});
  assert.equal(shipped.dry_run, true, 'shipped in dry-run so a first start can never lock anybody out');
  assert.equal(defaults.dry_run, false);
  assert.deepEqual({ ...shipped, dry_run: false }, defaults);
});

test('warden check --config warden.yaml exits 0; the same file with a misspelt key exits 78 naming it', () => {
  const ok = warden(['check', '--config', example]);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /^config OK: .*warden\.yaml\n\s+mode:\s+dry-run/);
  const dir = mkdtempSync(join(tmpdir(), 'warden-example-'));
  try {
    const text = readFileSync(example, 'utf8');
    const bad = join(dir, 'warden.yaml');
    assert.match(text, /^ {2}hook_chains: /m);
    writeFileSync(bad, text.replace(/^ {2}hook_chains: /m, '  hook_chain: '));
    const r = warden(['check', '--config', bad]);
    assert.equal(r.code, 78, r.err);
    assert.ok(r.err.split('\n').includes('Unknown key `enforcement.hook_chain` in config'), r.err);
    assert.equal(r.out, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the install guide\'s copy step gives the paths the systemd unit and logrotate expect', () => {
  // docs/install.md#config copies warden.yaml with exactly these two replacements (sed).
  const guide = readFileSync(join(root, 'docs/install.md'), 'utf8');
  const sed = "sed -e 's|var/warden.db|/var/lib/nginx-warden/warden.db|' -e 's|var/audit.log|/var/log/nginx-warden/audit.log|'";
  assert.ok(guide.includes(sed), 'docs/install.md no longer has the copy step this test mirrors');
  const text = readFileSync(example, 'utf8')
    .split('var/warden.db').join('/var/lib/nginx-warden/warden.db')
    .split('var/audit.log').join('/var/log/nginx-warden/audit.log');
  const c = parseConfig(parseYaml(text), {});
  assert.equal(c.storage.database, '/var/lib/nginx-warden/warden.db');
  assert.equal(c.storage.audit_log, '/var/log/nginx-warden/audit.log');
  const unit = readFileSync(join(root, 'deploy/nginx-warden.service'), 'utf8');
  assert.match(unit, /^StateDirectory=nginx-warden$/m);
  assert.match(unit, /^LogsDirectory=nginx-warden$/m);
  assert.match(readFileSync(join(root, 'deploy/logrotate/nginx-warden'), 'utf8'), /^\/var\/log\/nginx-warden\/audit\.log \{$/m);
});

test('README documents every rule key exactly as the rule modules declare it (generated from the registry)', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const missing = ruleConfigRows().filter((row) => !readme.includes(row));
  assert.deepEqual(missing, [], `README.md's configuration table lacks these rows (copy them in):\n${missing.join('\n')}`);
});

test('warden.yaml lists every registered rule under detection.rules with its default mode', () => {
  const shipped = parseYaml(readFileSync(example, 'utf8')) as { detection: { rules: Record<string, { mode: string }> } };
  for (const r of allRules()) assert.equal(shipped.detection.rules[r.name]?.mode, r.defaultMode, r.name);
  assert.deepEqual(Object.keys(shipped.detection.rules), allRules().map((r) => r.name));
});
