import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const bin = new URL('../../src/cli/bin.ts', import.meta.url).pathname;

test('Ctrl-C in the middle of the demo says "interrupted", exits 130, lists no process as failed and leaves none running', {
  timeout: 120_000,
}, async (t) => {
  const cwd = await mkdtemp(join(tmpdir(), 'piper-demo-interrupt-'));
  t.after(() => rm(cwd, { recursive: true, force: true }));
  // Its own process group, as a terminal's foreground job: Ctrl-C reaches the demo and every process it started.
  const demo = spawn(process.execPath, [bin, 'demo', '--fast', '--exit', '--data-dir', join(cwd, 'data')], {
    cwd,
    detached: true,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const group = demo.pid as number;
  t.after(() => {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // Already gone: what the test expects.
    }
  });
  let stdout = '';
  let stderr = '';
  demo.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  demo.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => demo.on('exit', (code) => resolve(code)));
  // Act 3 calls the rollout API of the piper up that the same Ctrl-C stops.
  while (!stdout.includes('Act 3:')) {
    assert.equal(demo.exitCode, null, `the demo ended before Act 3:\n${stdout}\n${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  process.kill(-group, 'SIGINT');
  assert.equal(await exited, 130, `${stdout}\n${stderr}`);
  assert.equal(stderr, 'piper demo: interrupted\n');
  assert.doesNotMatch(stdout, /did not exit cleanly/);
  await new Promise((r) => setTimeout(r, 500));
  assert.throws(() => process.kill(-group, 0), { code: 'ESRCH' }, 'no process of the demo is left running');
});
