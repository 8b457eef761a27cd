// The warden secret file on a real file system: created 0600, read back, a file others can read is tightened and
// named, a file without a valid secret line is an error that does not echo its content.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureSecret, readSecret, secretFileText } from '../../enforcer/nginx/secret-file.js';

test('a world-readable secret file is set back to 0600 and the daemon is told why', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-secret-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'secret.conf');
  const first = ensureSecret(path);
  assert.equal(first.created, true);
  assert.match(first.secret, /^[0-9a-f]{64}$/);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.deepEqual(ensureSecret(path), { secret: first.secret, created: false });
  chmodSync(path, 0o644); // a careless `cp` or editor
  const again = ensureSecret(path);
  assert.equal(again.secret, first.secret);
  assert.match(again.tightened ?? '', /readable by others \(mode 0644\): set to 0600/);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(again.tightened?.includes(first.secret), false, 'the warning does not carry the secret');
});

test('a secret file without a valid line is an error naming the file, never echoing what it holds', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-secret-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'secret.conf');
  const weak = 'AB'.repeat(32);
  writeFileSync(path, secretFileText(weak), { mode: 0o600 });
  assert.throws(() => readSecret(path), (e: Error) => e.message.includes(path) && !e.message.includes(weak));
  assert.throws(() => ensureSecret(path), /holds no/);
});
