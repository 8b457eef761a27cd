// The replay guard of njs/auth.ts (checkRequest) when the host clock steps back: a last accepted timestamp further ahead
// than the window is stale and no longer shuts the daemon out until real time catches up (a clock that ran hours ahead,
// then was corrected, blocked every poll for those hours). Pure logic on njs's own source, run in Node (its `crypto`
// has the same createHmac) with a Map in the shared dict's place: nginx's clock cannot be stepped in a test. Replays on
// real nginx are test/njs/access.test.ts's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { build } from 'esbuild';
import { repoRoot } from '../harness/nginx.js';
import { signRequest } from '../../enforcer/adapters/nginx-internal.js';

interface Auth {
  AUTH_WINDOW_MS: number;
  checkRequest(meta: unknown, secret: string, header: string, method: string, uri: string, body: string, nowMs: number): { ok: boolean; why?: string };
  forgetClaims(meta: unknown, nowMs: number): number;
}

async function loadAuth(): Promise<Auth> {
  const out = await build({
    entryPoints: [join(repoRoot, 'njs/auth.ts')], write: false, bundle: true, format: 'esm', platform: 'neutral', logLevel: 'silent',
    external: ['crypto'],
  });
  return (await import(`data:text/javascript,${encodeURIComponent(out.outputFiles[0].text)}`)) as Auth;
}

/** The shared-dict methods checkRequest and forgetClaims use (`add` only when absent, as njs's is). */
function dict() {
  const m = new Map<string, number>();
  return {
    m,
    get: (k: string) => m.get(k),
    set: (k: string, v: number) => { m.set(k, v); return true; },
    add: (k: string, v: number) => { if (m.has(k)) return false; m.set(k, v); return true; },
    keys: () => [...m.keys()],
    delete: (k: string) => m.delete(k),
  };
}

const SECRET = 'a'.repeat(64);
const check = (a: Auth, meta: unknown, ts: number, nowMs: number) =>
  a.checkRequest(meta, SECRET, signRequest(SECRET, 'GET', '/counters?v=2', 'poll', ts, '').header, 'GET', '/counters?v=2', '', nowMs);

test('a replay inside the window is refused; after the clock steps back further than the window, polls pass again', async () => {
  const a = await loadAuth();
  const meta = dict();
  const T = 1_800_000_000_000;
  assert.equal(check(a, meta, T, T).ok, true);
  const replay = check(a, meta, T, T + 1000);
  assert.equal(replay.ok, false);
  assert.match(replay.why ?? '', /replayed/);
  assert.equal(check(a, meta, T - 5, T).ok, false, 'an older request within the window is still refused');
  // The host clock ran 2 hours ahead: a poll then was accepted and recorded...
  const ahead = T + 2 * 3600_000;
  assert.equal(check(a, meta, ahead, ahead).ok, true);
  // ...and the clock is corrected: the next poll, at the true time, passes (the stored timestamp is stale).
  assert.equal(check(a, meta, T + 2000, T + 2000).ok, true);
  // The guard works again from there.
  assert.equal(check(a, meta, T + 2000, T + 2500).ok, false);
  // A request signed on the future timeline is refused by the window, not let in by the reset.
  assert.match(check(a, meta, ahead + 1, T + 3000).why ?? '', /s off nginx's clock/);
});

test('two copies of one request that both read the old last timestamp: the claim lets only one through', async () => {
  const a = await loadAuth();
  const meta = dict();
  const T = 1_800_000_000_000;
  // Two workers read `a<channel>` before either wrote it: a get that answers what was there before.
  const before = meta.get('apoll');
  const racing = { ...meta, get: (k: string) => (k === 'apoll' ? before : meta.get(k)) };
  assert.equal(check(a, racing, T, T).ok, true);
  const second = check(a, racing, T, T);
  assert.equal(second.ok, false);
  assert.match(second.why ?? '', /replayed: this very request/);
});

test('claims are forgotten once their request is out of the window, and after the clock stepped back', async () => {
  const a = await loadAuth();
  const meta = dict();
  const T = 1_800_000_000_000;
  for (let i = 0; i < 5; i++) assert.equal(check(a, meta, T + i * 1000, T + i * 1000).ok, true);
  const claims = () => [...meta.m.keys()].filter((k) => k.startsWith('r')).length;
  assert.equal(claims(), 5);
  assert.equal(a.forgetClaims(meta, T + 10_000), 0, 'all still in the window');
  assert.equal(a.forgetClaims(meta, T + 2 * a.AUTH_WINDOW_MS + 2500), 3);
  assert.equal(claims(), 2);
  // The clock stepped back an hour: claims recorded "in the future" go too; `a<channel>` and other keys stay.
  assert.equal(a.forgetClaims(meta, T - 3600_000), 2);
  assert.equal(claims(), 0);
  assert.ok(meta.m.has('apoll'));
});
