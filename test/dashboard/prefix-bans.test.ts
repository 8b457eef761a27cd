// Prefix bans in the dashboard, in a real browser (Debian chromium + playwright-core): an IPv6 client shown as its /64
// is banned from the top-clients table, a network typed into the ban form is banned, both carry the `network` tag, the
// history finds the /64 from an address inside it, and the Unban button lifts a network.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { browserSkipReason } from '../harness/browser.js';
import { loggedInDashboard, serveFixture } from './helpers.js';
import { createServiceFixture } from '../api/service-fixture.js';

declare const document: { getElementById(id: string): { textContent: string | null } | null };

const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'dashboard');
const PASSWORD = 'dashboard prefix password';

test('dashboard: ban a /64 from the top clients and a /24 from the form, see them tagged, find and unban them', {
  skip: browserSkipReason(), timeout: 60_000,
}, async (t) => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const fx = createServiceFixture({ nowMs: Math.floor(Date.now() / 1000) * 1000 });
  const cleanups: Array<() => unknown> = [() => fx.close()];
  t.after(async () => { for (const c of cleanups.reverse()) await c(); });
  // nginx counts an IPv6 client as its /64: that key is what the engine, the top table and a ban see.
  const feed = () => {
    const tSec = Math.floor(fx.clock.nowMs() / 1000);
    fx.engine.ingest([{ t: tSec - 1, global: [30, 0, 0], ips: { '2001:db8:1:2::/64': [20, 0, 0], '198.51.100.23': [5, 0, 0] } }]);
  };
  for (let i = 0; i < 5; i++) { fx.clock.advance(1000); feed(); }
  const ticker = setInterval(() => { fx.clock.advance(1000); feed(); }, 1000);
  cleanups.push(() => clearInterval(ticker));
  const base = await serveFixture(fx, PASSWORD, cleanups);
  const { page, errors } = await loggedInDashboard(base, PASSWORD, cleanups);

  // The /64 in the top clients, tagged as a network; its Ban button bans the /64.
  await page.waitForSelector('#top-table tbody tr');
  assert.match(await page.textContent('#top-table') ?? '', /2001:db8:1:2::\/64 network/);
  await page.click('#top-table tbody tr:has-text("2001:db8:1:2::/64") button');
  await page.waitForSelector('#bans-table tr[data-ip="2001:db8:1:2::/64"]', { timeout: 6000 });
  assert.equal(fx.firewall.has('2001:db8:1:2::/64'), true);
  assert.match(await page.textContent('#bans-table tr[data-ip="2001:db8:1:2::/64"]') ?? '', /network/);

  // A network typed into the ban form (not canonical) is banned in canonical form; 0.0.0.0/0 is refused with the reason.
  await page.fill('#ban-ip', '203.0.113.77/24');
  await page.click('#ban-form button[type=submit]');
  await page.waitForSelector('#bans-table tr[data-ip="203.0.113.0/24"]', { timeout: 6000 });
  await page.fill('#ban-ip', '0.0.0.0/0');
  await page.click('#ban-form button[type=submit]');
  await page.waitForFunction(() => (document.getElementById('banner')?.textContent ?? '').includes('refusing to ban 0.0.0.0/0'));
  assert.deepEqual([...fx.firewall.keys()].sort(), ['2001:db8:1:2::/64', '203.0.113.0/24']);

  // History: an address inside the /64 finds the /64's ban.
  await page.fill('#history-form input[name=ip]', '2001:db8:1:2::abcd');
  await page.click('#history-form button[type=submit]');
  await page.waitForFunction(() => {
    const text = document.getElementById('history-table')?.textContent ?? '';
    return text.includes('2001:db8:1:2::/64') && !text.includes('203.0.113.0/24');
  });
  await page.screenshot({ path: join(ARTIFACTS, '4-prefix-bans.png'), fullPage: true });

  // Unban the networks from the page.
  for (const ip of ['2001:db8:1:2::/64', '203.0.113.0/24']) {
    await page.click(`#bans-table tr[data-ip="${ip}"] button`);
    await page.waitForSelector(`#bans-table tr[data-ip="${ip}"]`, { state: 'detached', timeout: 6000 });
  }
  assert.equal(fx.firewall.size, 0);
  assert.equal(fx.store.activeBans().length, 0);
  assert.deepEqual(errors.filter((e) => !/status of 400/.test(e)), []);
});
