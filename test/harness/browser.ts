// A real browser for the dashboard tests: Debian's chromium driven by playwright-core, in a fresh profile.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { needCommands } from './tools.js';

export const CHROMIUM = '/usr/bin/chromium';

/** Why browser tests are skipped here, or false when chromium is installed. */
export function browserSkipReason(): string | false {
  return existsSync(CHROMIUM) ? false : needCommands('chromium') || `${CHROMIUM} is missing (apt-get install chromium)`;
}

/**
 * Launches headless chromium (no network chatter: this machine has no outside network) with an empty profile.
 * `errors` collects page errors; `close()` closes the browser and removes the profile.
 * @example const b = await launchBrowser(); try { await b.page.goto(url); } finally { await b.close(); }
 */
export async function launchBrowser(): Promise<{ context: BrowserContext; page: Page; errors: string[]; close: () => Promise<void> }> {
  const userDir = mkdtempSync(join(tmpdir(), 'warden-chromium-'));
  const context = await chromium.launchPersistentContext(userDir, {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1400, height: 1000 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  return {
    context, page, errors,
    close: async () => {
      await context.close();
      rmSync(userDir, { recursive: true, force: true });
    },
  };
}
