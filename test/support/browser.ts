import { existsSync, mkdirSync } from 'node:fs';
import { type Browser, type BrowserContextOptions, chromium, type Page } from 'playwright-core';

// Debian's Chromium (.ci/run installs it when missing).
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * `describe` for the browser specs. In CI they always run, so a missing Chromium fails them; on a
 * machine without it they are skipped, and the run says so.
 */
export const describeWithBrowser: jest.Describe = (() => {
  if (existsSync(CHROMIUM) || process.env.CI) return describe;
  process.stderr.write(`Skipping browser specs: no Chromium at ${CHROMIUM} (set CHROMIUM_PATH); in CI they fail.\n`);
  return describe.skip;
})();

/** Where browser specs save their screenshots. */
export const ARTIFACTS = 'test-artifacts';

/** Headless Chromium with its own background traffic (updates, sync, QUIC) turned off. */
export async function launchBrowser(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A page of `origin` opened at `path`, refusing (and recording) every request that would leave this machine. */
export async function openOffline(
  browser: Browser,
  origin: string,
  path: string,
  options: BrowserContextOptions = {},
): Promise<{ page: Page; external: string[]; local: string[] }> {
  const context = await browser.newContext(options);
  const external: string[] = [];
  const local: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')) {
      local.push(url);
      return route.continue();
    }
    external.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  await page.goto(`${origin}${path}`);
  return { page, external, local };
}
