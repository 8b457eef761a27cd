// deploy/warden, the /usr/local/bin/warden of a system install: it runs the checkout's CLI with
// /etc/nginx-warden/warden.yaml unless $WARDEN_CONFIG or --config says otherwise. Run with its install prefix
// replaced by this checkout; files only, no namespace needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = process.env.WARDEN_ROOT ?? process.cwd();

test('the warden wrapper defaults to /etc/nginx-warden/warden.yaml and honours $WARDEN_CONFIG and --config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-wrapper-'));
  try {
    const text = readFileSync(join(root, 'deploy/warden'), 'utf8');
    assert.ok(text.includes('/opt/nginx-warden/bin/warden.mjs') && text.includes('/usr/bin/node'));
    const wrapper = join(dir, 'warden');
    writeFileSync(wrapper, text.replace('/opt/nginx-warden', root).replace('/usr/bin/node', process.execPath), { mode: 0o755 });
    const run = (args: string[], env: Record<string, string>) => {
      const base = { ...process.env };
      delete base.WARDEN_CONFIG;
      const r = spawnSync(wrapper, args, { encoding: 'utf8', env: { ...base, ...env }, timeout: 20_000 });
      return { code: r.status, out: r.stdout, err: r.stderr };
    };
    const etc = '/etc/nginx-warden/warden.yaml';
    const dflt = run(['check'], {});
    if (!existsSync(etc)) {
      assert.equal(dflt.code, 78);
      assert.match(dflt.err, /Cannot read config file `\/etc\/nginx-warden\/warden\.yaml`/);
    } else {
      assert.match(dflt.out, /config OK: \/etc\/nginx-warden\/warden\.yaml/);
    }
    const env = run(['check'], { WARDEN_CONFIG: join(root, 'warden.yaml') });
    assert.equal(env.code, 0, env.err);
    assert.match(env.out, new RegExp(`config OK: ${join(root, 'warden.yaml').replace(/[.]/g, '\\.')}`));
    const flag = run(['check', '--config', join(root, 'warden.yaml')], {});
    assert.equal(flag.code, 0, flag.err);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

