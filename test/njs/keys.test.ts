// The counts value layout (njs/keys.ts): one number per key holds [total, 4xx, 5xx]; exact up to its documented
// limits, and past them the total is never under-reported. Pure arithmetic, so it runs in Node on the same source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { build } from 'esbuild';
import { repoRoot } from '../harness/nginx.js';

interface Keys {
  ADD_OK: number;
  ADD_4XX: number;
  ADD_5XX: number;
  decodeCounts(v: number): [number, number, number] | null;
  tagOf(sec: number): string;
  secondOfTag(tag: string, now: number): number;
}

async function loadKeys(): Promise<Keys> {
  const out = await build({
    entryPoints: [join(repoRoot, 'njs/keys.ts')], write: false, bundle: true, format: 'esm', platform: 'neutral', logLevel: 'silent',
  });
  return (await import(`data:text/javascript,${encodeURIComponent(out.outputFiles[0].text)}`)) as Keys;
}

/** The value after `ok` requests below 400, `c4` 4xx and `c5` 5xx, added one by one as nginx's incr does. */
function valueOf(k: Keys, ok: number, c4: number, c5: number): number {
  let v = 0;
  for (let i = 0; i < ok; i++) v += k.ADD_OK;
  for (let i = 0; i < c4; i++) v += k.ADD_4XX;
  for (let i = 0; i < c5; i++) v += k.ADD_5XX;
  return v;
}

test('one value decodes to [total, 4xx, 5xx], exactly up to 524,287 requests / 131,071 per error class', async () => {
  const k = await loadKeys();
  assert.deepEqual(k.decodeCounts(k.ADD_OK), [1, 0, 0]);
  assert.deepEqual(k.decodeCounts(k.ADD_4XX), [1, 1, 0]);
  assert.deepEqual(k.decodeCounts(k.ADD_5XX), [1, 0, 1]);
  assert.deepEqual(k.decodeCounts(valueOf(k, 3000, 2000, 1000)), [6000, 2000, 1000]);
  assert.deepEqual(k.decodeCounts(valueOf(k, 524_287 - 2 * 131_071, 131_071, 131_071)), [524_287, 131_071, 131_071]);
  // A value of the previous layout (a plain count) is recognised, not misread.
  assert.equal(k.decodeCounts(5), null);
  assert.equal(k.decodeCounts(0), null);
});

test('past the limits the total is never under-reported', async () => {
  const k = await loadKeys();
  for (const [ok, c4, c5] of [[0, 131_072, 0], [0, 0, 131_072], [600_000, 0, 0], [400_000, 200_000, 200_000]]) {
    const d = k.decodeCounts(valueOf(k, ok, c4, c5));
    assert.ok(d, 'decodes');
    assert.ok(d[0] >= ok + c4 + c5, `total ${d[0]} >= ${ok + c4 + c5}`);
    assert.ok(d[0] <= (ok + c4 + c5) * 1.001, `total ${d[0]} close to ${ok + c4 + c5}`);
  }
});

test('second tags map back to the latest second with that tag', async () => {
  const k = await loadKeys();
  const now = 1_795_845_141;
  for (let age = 0; age < 64; age++) assert.equal(k.secondOfTag(k.tagOf(now - age), now), now - age);
});
