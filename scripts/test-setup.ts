// npm's `pretest`: before `npm test` runs anything, installs or names the Debian packages the
// tests need (scripts/test-packages.ts). docs/testing.md describes it and its variables.
import { spawn } from 'node:child_process';
import { type CommandResult, type SetupMachine, setUpTestMachine, TestSetupError } from './test-setup-step.ts';
import { packageInstalled, TEST_PACKAGES, type TestPackage } from './test-packages.ts';

/**
 * PIPER_SETUP_ASSUME_MISSING (package names, comma-separated) and PIPER_SETUP_ASSUME_UID let the
 * setup step's own test play a machine without chromium and without root, from `npm test` itself.
 */
function assumedMissing(env: NodeJS.ProcessEnv): Set<string> {
  const names = (env.PIPER_SETUP_ASSUME_MISSING ?? '').split(',').filter((n) => n !== '');
  const unknown = names.filter((n) => !TEST_PACKAGES.some((p) => p.name === n));
  if (unknown.length > 0) {
    throw new Error(`PIPER_SETUP_ASSUME_MISSING: ${unknown.join(', ')} is not one of ${TEST_PACKAGES.map((p) => p.name).join(', ')}`);
  }
  return new Set(names);
}

function uid(env: NodeJS.ProcessEnv): number {
  const assumed = env.PIPER_SETUP_ASSUME_UID;
  if (assumed === undefined) return process.getuid?.() ?? -1;
  if (!/^\d+$/.test(assumed)) throw new Error(`PIPER_SETUP_ASSUME_UID: "${assumed}" is not a user id`);
  return Number(assumed);
}

function run(command: string, args: readonly string[], env: Readonly<Record<string, string>>): Promise<CommandResult> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      output += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      output += d;
    });
    child.on('error', (err) => resolve({ status: null, output: `${output}${err.message}` }));
    child.on('close', (status) => resolve({ status, output }));
  });
}

async function main(env: NodeJS.ProcessEnv): Promise<void> {
  if (env.PIPER_SKIP_SETUP === '1') return;
  const missing = assumedMissing(env);
  const machine: SetupMachine = {
    installed: (p: TestPackage) => !missing.has(p.name) && packageInstalled(p, env),
    uid: uid(env),
    run,
    say: (line) => process.stdout.write(`${line}\n`),
  };
  await setUpTestMachine(TEST_PACKAGES, machine);
}

try {
  await main(process.env);
} catch (err) {
  console.error(err instanceof TestSetupError ? `test setup: ${err.message} [${err.code}]` : `test setup: ${(err as Error).message}`);
  process.exitCode = 1;
}
