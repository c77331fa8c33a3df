import type { TestPackage } from './test-packages.ts';

/** What a command printed and how it ended: `status` is null when it never ran or was killed. */
export interface CommandResult {
  status: number | null;
  output: string;
}

/** The machine as the setup step sees it, injected so its test touches no package database. */
export interface SetupMachine {
  /** Whether the package's binary is there now. */
  installed(pkg: TestPackage): boolean;
  /** The user id the step runs as: only root (0) may install. */
  uid: number;
  /** Runs a command to its end with `env` added to the environment. */
  run(command: string, args: readonly string[], env: Readonly<Record<string, string>>): Promise<CommandResult>;
  /** Prints a line for the person running the tests. */
  say(line: string): void;
}

export type TestSetupErrorCode = 'PIPER_TEST_SETUP_MISSING' | 'PIPER_TEST_SETUP_APT_FAILED' | 'PIPER_TEST_SETUP_STILL_MISSING';

/** Why the tests cannot start; the message says what to run. */
export class TestSetupError extends Error {
  readonly code: TestSetupErrorCode;
  constructor(code: TestSetupErrorCode, message: string) {
    super(message);
    this.name = 'TestSetupError';
    this.code = code;
  }
}

const INSTALL = ['install', '-y', '--no-install-recommends'];
/** apt-get must never stop to ask (debconf prompts) in CI or under npm. */
const APT_ENV = { DEBIAN_FRONTEND: 'noninteractive' };
/** Lines of apt-get's output kept in the error when it fails: the cause is at the end. */
const OUTPUT_TAIL = 20;

/** The one line a person without root runs to install `missing`. */
export function installLine(missing: readonly TestPackage[]): string {
  return `sudo apt-get ${INSTALL.join(' ')} ${missing.map((p) => p.name).join(' ')}`;
}

/**
 * Makes sure every package the tests need is installed before any test runs. Says nothing when
 * all are there; as root installs the missing ones with apt-get, saying which; otherwise throws
 * `PIPER_TEST_SETUP_MISSING` with the one apt-get line to run.
 */
export async function setUpTestMachine(packages: readonly TestPackage[], machine: SetupMachine): Promise<void> {
  const missing = packages.filter((p) => !machine.installed(p));
  if (missing.length === 0) return;
  const names = missing.map((p) => p.name).join(' ');
  if (machine.uid !== 0) {
    throw new TestSetupError(
      'PIPER_TEST_SETUP_MISSING',
      [
        'the tests need Debian packages that are not installed:',
        ...missing.map((p) => `  ${p.name} (no ${p.binary}): ${p.neededBy}`),
        'install them, then run the tests again:',
        `  ${installLine(missing)}`,
        '(npm test installs them itself when run as root; PIPER_SKIP_SETUP=1 skips this check, see docs/testing.md)',
      ].join('\n'),
    );
  }
  machine.say(`test setup: installing ${names} with apt-get (missing ${missing.map((p) => p.binary).join(', ')})`);
  await apt(machine, ['update', '-qq']);
  await apt(machine, [...INSTALL, '-qq', ...missing.map((p) => p.name)]);
  const still = missing.filter((p) => !machine.installed(p));
  if (still.length > 0) {
    throw new TestSetupError(
      'PIPER_TEST_SETUP_STILL_MISSING',
      `apt-get installed ${names}, yet there is still no ${still.map((p) => `${p.binary} (${p.name})`).join(', ')}`,
    );
  }
  machine.say(`test setup: installed ${names}`);
}

async function apt(machine: SetupMachine, args: readonly string[]): Promise<void> {
  const r = await machine.run('apt-get', args, APT_ENV);
  if (r.status === 0) return;
  const tail = r.output.trimEnd().split('\n').slice(-OUTPUT_TAIL).join('\n');
  throw new TestSetupError(
    'PIPER_TEST_SETUP_APT_FAILED',
    `apt-get ${args.join(' ')} failed (${r.status === null ? 'did not run' : `exit ${r.status}`}); the tests need its packages:\n${tail}`,
  );
}
