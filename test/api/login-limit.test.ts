// The failed-login limit cannot be raced: an attempt is counted before the password is checked, so a burst of
// concurrent wrong logins gets at most `loginAttemptsPerMinute` password checks; the rest answer 429.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createApp } from '../../enforcer/api/app.js';
import { hashPassword } from '../../enforcer/api/password.js';
import { createServiceFixture } from './service-fixture.js';

const PASSWORD = 'the right password';

test('200 concurrent wrong logins: only the allowed few are checked, the rest are 429', async (t) => {
  const fx = createServiceFixture();
  t.after(() => fx.close());
  const app = createApp(fx.service, {
    auth: { passwordHash: await hashPassword(PASSWORD), tokens: [], sessionTtlSec: 3600, loginAttemptsPerMinute: 5 },
    clock: fx.clock,
  });
  const login = (password: string) => app.request('/api/v1/login', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password }),
  });
  const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => login(`wrong ${i}`)));
  const counts = new Map<number, number>();
  for (const r of answers) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  assert.equal(counts.get(401), 5, JSON.stringify([...counts]));
  assert.equal(counts.get(429), 195, JSON.stringify([...counts]));
  // The right password is refused too while the address is over the limit...
  assert.equal((await login(PASSWORD)).status, 429);
  // ...and accepted once the minute has passed; a successful login does not use up an attempt.
  fx.clock.advance(61_000);
  for (let i = 0; i < 7; i++) assert.equal((await login(PASSWORD)).status, 200, `login ${i}`);
});
