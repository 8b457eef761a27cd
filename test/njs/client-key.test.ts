// The two client keys must agree: njs/client.ts (what nginx counts and looks bans up by) and enforcer/net/client-key.ts
// (what the daemon judges, bans and sends). A disagreement would let a prefix ban miss its clients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { build } from 'esbuild';
import { repoRoot } from '../harness/nginx.js';
import { clientKey } from '../../enforcer/net/client-key.js';
import { prng } from '../../bench/prng.js';

async function loadNjs(): Promise<{ clientOf: (r: unknown, a: string) => string; ipv6Prefix: (a: string, b: number) => string }> {
  const out = await build({
    entryPoints: [join(repoRoot, 'njs/client.ts')], write: false, bundle: true, format: 'esm', platform: 'neutral', logLevel: 'silent',
  });
  return import(`data:text/javascript,${encodeURIComponent(out.outputFiles[0].text)}`);
}

const CORPUS = ['1.2.3.4', '::1', '::', '::ffff:1.2.3.4', '2001:db8::1', '2001:db8:1:2:3:4:5:6', 'fe80::1ff:fe23:4567:890a',
  '2001:db8:0:0:1::1', '2001:db8:ffff:ffff:ffff::', '64:ff9b::192.0.2.33', '2a01:4f8:c17:1a2b::1', 'fd00:0:0:1::9'];

test('njs and enforcer give every address the same client key at every prefix length', async () => {
  const njs = await loadNjs();
  for (const bits of [128, 64, 56, 48, 1, 127, 63, 65]) {
    const r = { variables: { warden_ipv6_prefix: String(bits) } };
    for (const a of CORPUS) assert.equal(njs.clientOf(r, a), clientKey(a, bits) ?? '', `${a} /${bits}`);
  }
  assert.equal(njs.clientOf({ variables: {} }, '2001:db8:1:2::5'), '2001:db8:1:2::/64', 'the default prefix is 64');
  assert.equal(njs.clientOf({ variables: {} }, 'unix:'), '');
});

test('njs and enforcer agree on 20,000 random IPv6 addresses and prefix lengths', async () => {
  const njs = await loadNjs();
  const rnd = prng(20261203);
  for (let i = 0; i < 20_000; i++) {
    const g = Array.from({ length: 8 }, () => (rnd() < 0.3 ? 0 : Math.floor(rnd() * 65536)));
    g[0] = g[0] || 0x2001;
    const a = g.map((n) => n.toString(16)).join(':');
    const bits = 1 + Math.floor(rnd() * 128);
    assert.equal(njs.ipv6Prefix(a, bits), clientKey(a, bits) ?? '', `${a} /${bits}`);
  }
});
