import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBlindWatch } from '../../enforcer/core/blind-watch.js';

test('blind when most of a minute of requests had no client; seeing again once the share falls well below', () => {
  const w = createBlindWatch();
  const t0 = 1_800_000_000;
  // A normal site: a few unattributed requests (the proxy's own health checks).
  for (let s = 0; s < 60; s++) assert.equal(w.observe(t0 + s, 20, 1), null);
  assert.equal(w.view().blind, false);
  // The proxy stops sending X-Forwarded-For: everything is unattributed; the share crosses 50% within the minute.
  const events: Array<[number, string]> = [];
  for (let s = 60; s < 180; s++) {
    const e = w.observe(t0 + s, 20, 20);
    if (e) events.push([s, e]);
  }
  assert.deepEqual(events, [[88, 'started']]);
  assert.equal(w.view().blind, true);
  assert.equal(w.view().share, 1);
  // Fixed: the share falls; blind until it is under 20% (no flapping around 50%).
  const back: Array<[number, string]> = [];
  for (let s = 180; s < 300; s++) {
    const e = w.observe(t0 + s, 20, 0);
    if (e) back.push([s, e]);
  }
  assert.deepEqual(back, [[228, 'ended']]);
});

test('too few requests to judge: never blind; a site that goes quiet while blind is not blind for ever', () => {
  const w = createBlindWatch();
  const t0 = 1_800_000_000;
  for (let s = 0; s < 120; s++) assert.equal(w.observe(t0 + s, 1, 1), null, 'one unattributed request a second: 60 in the window, under 100');
  assert.equal(w.view().blind, false);
  for (let s = 120; s < 130; s++) w.observe(t0 + s, 50, 50);
  assert.equal(w.view().blind, true);
  // No traffic at all (polls of nothing): the window empties and the state clears.
  let ended = -1;
  for (let s = 130; s < 200; s++) if (w.observe(t0 + s, 0, 0) === 'ended') ended = s;
  assert.ok(ended > 130 && ended <= 190, String(ended));
});
