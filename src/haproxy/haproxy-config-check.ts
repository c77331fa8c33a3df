import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { PiperError } from '../core/index.ts';
import { haproxyErrors } from './haproxy-errors.ts';

/** Where Debian's package and a source install put the daemon, searched after PATH (/usr/sbin is not on a user's PATH). */
const SBIN_DIRECTORIES = ['/usr/local/sbin', '/usr/sbin'];

export interface HaproxyLocation {
  /** `dataPlane.haproxy.binary`: a path, or a bare name to look up. */
  binary: string;
  /** The PATH to search a bare name on (the CLI passes its environment's). */
  searchPath?: string | undefined;
}

/**
 * The absolute path of the haproxy executable: `binary` itself when it holds a `/`, else the first
 * executable of that name on `searchPath`, then in /usr/local/sbin and /usr/sbin. Throws
 * `PIPER_HAPROXY_NOT_INSTALLED` naming the Debian package when there is none.
 */
export function findHaproxy(location: HaproxyLocation): string {
  const { binary } = location;
  const candidates = binary.includes('/')
    ? [binary]
    : [...(location.searchPath ?? '').split(delimiter).filter((d) => d !== ''), ...SBIN_DIRECTORIES].map((d) => join(d, binary));
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // Not there or not executable: try the next place.
    }
  }
  throw new PiperError(
    haproxyErrors.PIPER_HAPROXY_NOT_INSTALLED,
    `no executable "${binary}" (dataPlane.haproxy.binary; looked in ${binary.includes('/') ? binary : `PATH, ${SBIN_DIRECTORIES.join(', ')}`}): install HAProxy, on Debian or Ubuntu with "apt-get install haproxy"`,
    { details: { binary } },
  );
}

export interface HaproxyCheckResult {
  /** The executable that checked the config. */
  binary: string;
  /** What `haproxy -c` printed (its warnings, if any). */
  output: string;
}

/**
 * Has HAProxy itself check a config (`haproxy -c -f FILE` on the text written to a temporary
 * file, removed after: nothing is started). Throws `PIPER_HAPROXY_CONFIG_REJECTED` with HAProxy's
 * alerts when it refuses the text, `PIPER_HAPROXY_NOT_INSTALLED` when there is no haproxy.
 */
export async function checkHaproxyConfig(text: string, location: HaproxyLocation): Promise<HaproxyCheckResult> {
  const binary = findHaproxy(location);
  // A file, not /dev/stdin: a child's stdin from Node is a socket, which /dev/stdin cannot open.
  const dir = await mkdtemp(join(tmpdir(), 'piper-haproxy-check-'));
  let result: { code: number | null; output: string };
  try {
    const file = join(dir, 'haproxy.cfg');
    await writeFile(file, text, { mode: 0o600 });
    result = await run(binary, ['-c', '-f', file]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const { code, output } = result;
  if (code === 0) return { binary, output };
  const alerts = output
    .split('\n')
    .filter((line) => line.includes('[ALERT]'))
    .map((line) => line.replace(/^\[ALERT\]\s+\(\d+\)\s+:\s*/, ''));
  throw new PiperError(
    haproxyErrors.PIPER_HAPROXY_CONFIG_REJECTED,
    `${binary} -c refused the config:\n  ${(alerts.length > 0 ? alerts : [output.trim()]).join('\n  ')}`,
    {
      details: { binary, output, exitCode: code },
    },
  );
}

function run(binary: string, args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.once('error', fail);
    child.once('close', (code) => done({ code, output }));
  });
}
