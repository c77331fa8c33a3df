import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import type { TestPackage } from '../scripts/test-packages.ts';
import { type CommandResult, type SetupMachine, setUpTestMachine, TestSetupError } from '../scripts/test-setup-step.ts';

// The setup step npm runs before `npm test` (scripts/test-setup.ts), on a machine played by the
// test: which binaries exist, who runs it and what apt-get answers are injected, so no package
// database is read or changed.

const root = realpathSync(new URL('..', import.meta.url).pathname);

const PACKAGES: TestPackage[] = [
  { name: 'chromium', binary: '/usr/bin/chromium', neededBy: 'the browser tests' },
  { name: 'openssl', binary: 'openssl', neededBy: 'the TLS tests' },
];

interface PlayedMachine extends SetupMachine {
  said: string[];
  ran: { command: string; args: readonly string[]; env: Readonly<Record<string, string>> }[];
}

/** A machine where `absent` packages are missing until an `apt-get install` that `answers` lets succeed. */
function machine(o: { absent: string[]; uid: number; answers?: Partial<Record<string, CommandResult>> }): PlayedMachine {
  const absent = new Set(o.absent);
  const m: PlayedMachine = {
    said: [],
    ran: [],
    uid: o.uid,
    installed: (p) => !absent.has(p.name),
    say: (line) => m.said.push(line),
    run: async (command, args, env) => {
      m.ran.push({ command, args, env });
      const answer = o.answers?.[args[0] as string] ?? { status: 0, output: '' };
      if (args[0] === 'install' && answer.status === 0) for (const name of args.slice(3)) absent.delete(name);
      return answer;
    },
  };
  return m;
}

describe('the test setup step', () => {
  it('does nothing and says nothing when every package is there', async () => {
    const m = machine({ absent: [], uid: 1000 });
    await setUpTestMachine(PACKAGES, m);
    assert.deepEqual(m.ran, []);
    assert.deepEqual(m.said, []);
  });

  it('as root installs the missing packages with apt-get, non-interactively, and says which', async () => {
    const m = machine({ absent: ['chromium'], uid: 0 });
    await setUpTestMachine(PACKAGES, m);
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    assert.deepEqual(m.ran, [
      { command: 'apt-get', args: ['update', '-qq'], env },
      { command: 'apt-get', args: ['install', '-y', '--no-install-recommends', '-qq', 'chromium'], env },
    ]);
    assert.deepEqual(m.said, [
      'test setup: installing chromium with apt-get (missing /usr/bin/chromium)',
      'test setup: installed chromium',
    ]);
  });

  it('without root stops before installing anything and prints the one apt-get line to run', async () => {
    const m = machine({ absent: ['chromium', 'openssl'], uid: 1000 });
    const err = await setUpTestMachine(PACKAGES, m).then(
      () => assert.fail('the step went on without its packages'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof TestSetupError);
    assert.equal(err.code, 'PIPER_TEST_SETUP_MISSING');
    assert.match(err.message, /^ {2}sudo apt-get install -y --no-install-recommends chromium openssl$/m);
    assert.match(err.message, /chromium \(no \/usr\/bin\/chromium\): the browser tests/);
    assert.match(err.message, /openssl \(no openssl\): the TLS tests/);
    assert.deepEqual(m.ran, []);
  });

  it('fails with apt-get’s own words when apt-get fails', async () => {
    const output = 'Reading package lists...\nE: Unable to locate package chromium\n';
    const m = machine({ absent: ['chromium'], uid: 0, answers: { install: { status: 100, output } } });
    await assert.rejects(setUpTestMachine(PACKAGES, m), (e: unknown) => {
      assert.ok(e instanceof TestSetupError);
      assert.equal(e.code, 'PIPER_TEST_SETUP_APT_FAILED');
      assert.match(e.message, /^apt-get install -y --no-install-recommends -qq chromium failed \(exit 100\)/);
      assert.match(e.message, /E: Unable to locate package chromium$/);
      return true;
    });
    assert.deepEqual(m.said, ['test setup: installing chromium with apt-get (missing /usr/bin/chromium)']);
  });

  it('says so when apt-get cannot even start (no apt-get on this system)', async () => {
    const m = machine({ absent: ['openssl'], uid: 0, answers: { update: { status: null, output: 'spawn apt-get ENOENT' } } });
    await assert.rejects(setUpTestMachine(PACKAGES, m), {
      code: 'PIPER_TEST_SETUP_APT_FAILED',
      message: /did not run.*\nspawn apt-get ENOENT/s,
    });
    assert.equal(m.ran.length, 1, 'nothing installed after a failed update');
  });

  it('fails when apt-get succeeded but the binary is still not there', async () => {
    const m = machine({ absent: ['chromium'], uid: 0 });
    m.installed = (p) => p.name !== 'chromium';
    await assert.rejects(setUpTestMachine(PACKAGES, m), {
      code: 'PIPER_TEST_SETUP_STILL_MISSING',
      message: /yet there is still no \/usr\/bin\/chromium \(chromium\)$/,
    });
  });
});

describe("the README's test command in a clean copy of the project", () => {
  it('names the missing chromium, with the apt-get line, before any test runs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'piper-fresh-'));
    try {
      const copy = join(dir, 'piper');
      const skip = new Set(['node_modules', '.git', 'dist', 'test-results'].map((n) => join(root, n)));
      cpSync(root, copy, { recursive: true, filter: (src) => !skip.has(src) });
      // npm install would fetch from the registry; the dependencies are the same, so they are linked.
      symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
      const r = spawnSync('npm', ['test'], {
        cwd: copy,
        encoding: 'utf8',
        env: {
          ...process.env,
          PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
          PIPER_SKIP_SETUP: '',
          PIPER_SETUP_ASSUME_MISSING: 'chromium',
          PIPER_SETUP_ASSUME_UID: '1000',
        },
      });
      const out = `${r.stdout}${r.stderr}`;
      assert.notEqual(r.status, 0, out);
      assert.match(r.stderr, /chromium \(no \/usr\/bin\/chromium\)/);
      assert.match(r.stderr, /^ {2}sudo apt-get install -y --no-install-recommends chromium$/m);
      assert.match(out, /> piper@\S+ pretest/);
      assert.doesNotMatch(out, /> piper@\S+ (test|check|format:check|test:unit|test:e2e)\b/, 'a test ran before the setup step stopped');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
