import { accessSync, constants } from 'node:fs';

/** Where Debian's `chromium` package puts the browser. */
export const DEBIAN_CHROMIUM_PATHS: readonly string[] = ['/usr/bin/chromium'];

/** The places the browser tests look for Chromium: `PIPER_CHROMIUM` alone when set, else Debian's. */
export function chromiumCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  return env.PIPER_CHROMIUM ? [env.PIPER_CHROMIUM] : [...DEBIAN_CHROMIUM_PATHS];
}

/**
 * The Chromium executable the browser tests launch. Throws, naming every path tried and what to
 * install, when none is there: a bare ENOENT from playwright would not say which browser it wanted.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string {
  const tried = chromiumCandidates(env);
  for (const file of tried) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // Not there or not executable: try the next place.
    }
  }
  if (env.PIPER_CHROMIUM) {
    throw new Error(
      `no Chromium executable at ${tried.join(', ')} (PIPER_CHROMIUM): point PIPER_CHROMIUM at one, or unset it to use Debian's ${DEBIAN_CHROMIUM_PATHS.join(', ')}`,
    );
  }
  throw new Error(
    `no Chromium executable at ${tried.join(', ')}: install Debian's package ("sudo apt-get install -y --no-install-recommends chromium"; "npm test" does it when run as root) or set PIPER_CHROMIUM to a Chromium executable`,
  );
}
