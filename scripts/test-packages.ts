// The Debian packages `npm test` needs beyond npm's own dependencies, in one place: the setup step
// (scripts/test-setup.ts) checks and installs these, and docs/testing.md explains them. Programs
// from Essential packages (sh, cat) and npm itself are taken as given.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { DEBIAN_CHROMIUM_PATHS } from '../test/e2e/chromium-path.ts';
import { postgresBinDir } from '../test/postgres-fixture.ts';

export interface TestPackage {
  /** The Debian package. */
  name: string;
  /**
   * The executable that proves the package is installed: an absolute path where the tests run that
   * path, a bare name where they look it up on PATH.
   */
  binary: string;
  /** An environment variable that, when set, names the tests' own choice of executable instead. */
  insteadEnv?: string;
  /** Which tests need it. */
  neededBy: string;
}

export const TEST_PACKAGES: readonly TestPackage[] = [
  {
    name: 'chromium',
    binary: DEBIAN_CHROMIUM_PATHS[0] as string,
    insteadEnv: 'PIPER_CHROMIUM',
    neededBy: 'the browser tests (test/e2e/dashboard-*, platform-website, demo)',
  },
  { name: 'nginx', binary: '/usr/sbin/nginx', neededBy: 'the end-to-end differential (test/e2e/proxy-differential)' },
  {
    name: 'haproxy',
    binary: '/usr/sbin/haproxy',
    neededBy: 'the HAProxy tests (src/haproxy/haproxy-config, test/haproxy-*, test/e2e/haproxy-*, test/e2e/proxy-differential)',
  },
  {
    name: 'openssl',
    binary: 'openssl',
    neededBy: 'the HAProxy TLS tests (src/haproxy/haproxy-config, test/haproxy-routing, test/e2e/haproxy-data-plane)',
  },
  {
    name: 'postgresql',
    // Debian keeps the server's programs off PATH, in one folder per major version.
    binary: join(postgresBinDir() ?? '/usr/lib/postgresql/VERSION/bin', 'initdb'),
    neededBy: 'the PostgreSQL journal store tests (test/postgres-journal-store)',
  },
  { name: 'procps', binary: 'ps', neededBy: "the demo's leftover-process check (test/e2e/demo)" },
];

/** Whether `pkg` is there for the tests: its binary is executable, or its `insteadEnv` is set. */
export function packageInstalled(pkg: TestPackage, env: NodeJS.ProcessEnv): boolean {
  if (pkg.insteadEnv !== undefined && env[pkg.insteadEnv]) return true;
  const candidates = pkg.binary.includes('/')
    ? [pkg.binary]
    : (env.PATH ?? '')
        .split(delimiter)
        .filter((d) => d !== '')
        .map((d) => join(d, pkg.binary));
  return candidates.some((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
