// What the dashboard tests share: the API app of a service fixture served on a free loopback port, and a browser
// logged in to it. Everything is undone by the test's `cleanups` (run in reverse by t.after).
import { serve, type ServerType } from '@hono/node-server';
import type { Page } from 'playwright-core';
import { createApp } from '../../enforcer/api/app.js';
import { hashPassword } from '../../enforcer/api/password.js';
import { launchBrowser } from '../harness/browser.js';
import type { ServiceFixture } from '../api/service-fixture.js';

/** What a test undoes at its end, last first. */
export type Cleanups = Array<() => unknown>;

/**
 * Serves `fetch` (a Hono app's) on a free loopback port until the test ends; resolves to its base URL.
 * @example const base = await serveOnLoopback(app.fetch, cleanups); // 'http://127.0.0.1:40123'
 */
export async function serveOnLoopback(fetch: (req: Request) => Response | Promise<Response>, cleanups: Cleanups): Promise<string> {
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  cleanups.push(() => new Promise<void>((r) => {
    server.close(() => r());
    (server as unknown as { closeAllConnections(): void }).closeAllConnections();
  }));
  const addr = server.address();
  return `http://127.0.0.1:${addr && typeof addr === 'object' ? addr.port : 0}`;
}

/**
 * The fixture's service behind the real API app (password login, optional bearer tokens), served on loopback.
 * @example const base = await serveFixture(fx, 'pw', cleanups);
 */
export async function serveFixture(fx: ServiceFixture, password: string, cleanups: Cleanups, tokens: string[] = []): Promise<string> {
  const app = createApp(fx.service, {
    auth: { passwordHash: await hashPassword(password), tokens, sessionTtlSec: 3600, loginAttemptsPerMinute: 5 },
    clock: fx.clock,
  });
  return serveOnLoopback(app.fetch, cleanups);
}

/**
 * A browser on the dashboard at `base`, logged in with `password`. `errors` collects page errors, and console errors
 * too unless `consoleErrors` is false (a test that provokes failing requests on purpose).
 * @example const { page, errors } = await loggedInDashboard(base, 'pw', cleanups);
 */
export async function loggedInDashboard(base: string, password: string, cleanups: Cleanups, consoleErrors = true):
  Promise<{ page: Page; errors: string[] }> {
  const browser = await launchBrowser();
  cleanups.push(() => browser.close());
  const { page, errors } = browser;
  if (consoleErrors) page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(base + '/');
  await page.waitForSelector('#login-form');
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  await page.waitForSelector('#dashboard');
  return { page, errors };
}
