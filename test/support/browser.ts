import { existsSync, mkdirSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

// Debian's Chromium (.ci/run installs it when missing). Off CI, a machine without it skips these specs.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const describeWithBrowser = existsSync(CHROMIUM) || process.env.CI ? describe : describe.skip;

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
