// The two address normalisers must agree: njs/address.ts (what nginx stores in the ban dict and reports in counts)
// and enforcer/net/ip.ts (what the daemon bans, records and sends). A disagreement would let a ban miss its client.
// Both run here on the same corpus: the njs one bundled from its source as the build does, the enforcer one directly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { build } from 'esbuild';
import { repoRoot } from '../harness/nginx.js';
import { normaliseIp } from '../../enforcer/net/ip.js';
import { prng } from '../../bench/prng.js';

async function loadNjsNormalise(): Promise<(s: string) => string> {
  const out = await build({
    entryPoints: [join(repoRoot, 'njs/address.ts')], write: false, bundle: true, format: 'esm', platform: 'neutral', logLevel: 'silent',
  });
  const mod = await import(`data:text/javascript,${encodeURIComponent(out.outputFiles[0].text)}`);
  return mod.normaliseIp as (s: string) => string;
}

/** Hand-picked forms: mapped, compressed, upper case, zero runs, embedded IPv4, and things that are not addresses. */
const CORPUS = [
  '1.2.3.4', '0.0.0.0', '255.255.255.255', '01.2.3.4', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.-1', ' 1.2.3.4', '1.2.3.4 ',
  '::', '::1', '::ffff:1.2.3.4', '::FFFF:10.0.0.1', '::ffff:0:1.2.3.4', '0:0:0:0:0:ffff:102:304', '2001:DB8:0:0:0:0:0:1',
  '2001:db8::1', '2001:db8:0:0:1:0:0:1', '2001:0db8:0000:0000:0000:ff00:0042:8329', 'fe80::1ff:fe23:4567:890a',
  '2001:db8::1:0:0:1', '1:0:0:1:0:0:0:1', '1::2:3:4:5:6:7', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8',
  '1:2:3:4:5:6:7:8:9', '1::2::3', ':::1', '12345::1', 'g::1', '::1.2.3.4', '64:ff9b::192.0.2.33', '2001:db8::/64', '', 'unix:',
  'localhost', '2001:db8::1%eth0', '[2001:db8::1]',
];

test('njs and enforcer normalise every address the same way, and refuse the same non-addresses', async () => {
  const njsNormalise = await loadNjsNormalise();
  for (const s of CORPUS) {
    assert.equal(njsNormalise(s), normaliseIp(s) ?? '', `input ${JSON.stringify(s)}`);
  }
});

test('njs and enforcer agree on 20,000 random IPv6 addresses written in random valid forms', async () => {
  const njsNormalise = await loadNjsNormalise();
  const rnd = prng(20261203);
  for (let i = 0; i < 20_000; i++) {
    // Groups biased towards zero so that zero runs (and their compression) are common.
    const g = Array.from({ length: 8 }, () => (rnd() < 0.4 ? 0 : Math.floor(rnd() * 65536)));
    let s = g.map((n) => n.toString(16)).join(':');
    if (rnd() < 0.3) s = s.toUpperCase();
    if (rnd() < 0.3) s = g.map((n) => n.toString(16).padStart(4, '0')).join(':');
    const expected = normaliseIp(s);
    assert.notEqual(expected, null, s);
    assert.equal(njsNormalise(s), expected, `input ${s}`);
    // The enforcer's canonical form is a fixed point of both.
    assert.equal(njsNormalise(expected!), expected, `canonical ${expected}`);
  }
});
