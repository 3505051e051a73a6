/**
 * Debian's Chromium driven by playwright-core (Playwright's own browser downloads cannot
 * work here). The flags keep a headless Chromium quiet and offline.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.INTERLOCK_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM);
}

export async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** A fresh browser profile logged in with `token`; resolves to the queue page. */
export async function loginAs(
  browser: Browser,
  baseUrl: string,
  token: string,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    baseURL: baseUrl,
    viewport: { width: 1400, height: 900 },
  });
  const page = await context.newPage();
  await page.goto('/console/login');
  await page.fill('#token', token);
  await Promise.all([page.waitForURL(/\/console(\?.*)?$/), page.click('button[type=submit]')]);
  await page.waitForSelector('body[data-live="true"]');
  return { context, page };
}
