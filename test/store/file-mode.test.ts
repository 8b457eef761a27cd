// warden.db holds the password hash: it and its -wal/-shm files are created 0600 whatever the umask (outside systemd
// too), and an existing database left 0644 is tightened at open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../enforcer/adapters/store/warden-store.js';

test('the database and its -wal/-shm files are 0600', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-mode-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const old = process.umask(0o022);
  try {
    const path = join(dir, 'warden.db');
    const s = openStore(path);
    s.setMeta('api.generated_password_hash', 'scrypt$x');
    for (const f of [path, `${path}-wal`, `${path}-shm`]) {
      assert.ok(existsSync(f), f);
      assert.equal(statSync(f).mode & 0o777, 0o600, `${f} is ${(statSync(f).mode & 0o777).toString(8)}`);
    }
    s.close();
    chmodSync(path, 0o644);
    openStore(path).close();
    assert.equal(statSync(path).mode & 0o777, 0o600, 'tightened at open');
  } finally {
    process.umask(old);
  }
});
