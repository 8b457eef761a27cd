import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock, frozenClock } from '../../enforcer/adapters/clock.js';

test('systemClock follows the wall clock', () => {
  const a = Date.now();
  const b = systemClock.nowMs();
  assert.ok(b >= a && b - a < 1000);
});

test('frozenClock moves only when told', () => {
  const c = frozenClock(1000);
  assert.equal(c.nowMs(), 1000);
  c.advance(500);
  assert.equal(c.nowMs(), 1500);
  c.set(42);
  assert.equal(c.nowMs(), 42);
});
