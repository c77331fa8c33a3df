import { type BrowserContext, chromium } from 'playwright-core';
import { findChromium } from './chromium-path.ts';

/**
 * Chromium (`findChromium`: PIPER_CHROMIUM, else Debian's), headless, in a fresh profile. The
 * flags keep it off the network: this machine's closed network refuses Chromium's background
 * connections, many at a time.
 */
export function launchChromium(userDataDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: findChromium(),
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1280, height: 800 },
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
