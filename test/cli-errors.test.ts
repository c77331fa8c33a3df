import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import type { CliContext, Command } from '../src/cli/command.ts';
import { main } from '../src/cli/main.ts';
import { refusingUrl } from './refusing-port.ts';
import { runPiper } from './cli-run.ts';

let busy: Server;
let busyPort: number;
let dir: string;

before(async () => {
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  busyPort = (busy.address() as { port: number }).port;
});

after(() => {
  busy.close();
});

function freshDir(): string {
  dir = mkdtempSync(join(tmpdir(), 'piper-cli-errors-'));
  return dir;
}

const inUseAdvice =
  "what to do: Stop the process holding the port (ss -ltnp names it) or choose another port (--port, or the config's port).";

test('piper up on a port in use says which address, exits 1 and leaves no piper.db behind', async () => {
  const cwd = freshDir();
  try {
    const r = await runPiper(['up', '--port', String(busyPort), '--admin-port', '0', '--dashboard-port', '0', '--log-level', 'silent'], {
      cwd,
      timeoutMs: 20_000,
    });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr, `piper up: address 127.0.0.1:${busyPort} is already in use (PIPER_CLI_ADDRESS_IN_USE)\n${inUseAdvice}\n`);
    assert.deepEqual(readdirSync(cwd), []);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

test('piper serve on a port in use leaves no data folder behind', async () => {
  const cwd = freshDir();
  try {
    const r = await runPiper(['serve', '--port', String(busyPort), '--log-level', 'silent'], { cwd, timeoutMs: 20_000 });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr, `piper serve: address 127.0.0.1:${busyPort} is already in use (PIPER_CLI_ADDRESS_IN_USE)\n${inUseAdvice}\n`);
    assert.deepEqual(readdirSync(cwd), []);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

test('a refused connection hidden behind "fetch failed" is named with its address', async () => {
  const port = new URL(await refusingUrl()).port;
  const r = await runPiper(['migrate', 'status', '--admin', `http://127.0.0.1:${port}`]);
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.split('\n');
  assert.equal(
    lines[0],
    `piper migrate status: cannot reach the rollout API at http://127.0.0.1:${port}: fetch failed (PIPER_ROLLOUT_API_UNREACHABLE)`,
  );
  assert.equal(lines[1], `because: connection refused by 127.0.0.1:${port}: nothing listens there`);
  assert.match(lines[2] ?? '', /^what to do: /);
});

test('an unexpected error prints one line and where its full trace was written; --verbose prints the trace instead', async () => {
  // No mistake a person can make reaches this path (that would be a bug to fix): a command that
  // throws a plain Error stands in for the bug, run through the same main() as bin.ts.
  const temp = mkdtempSync(join(tmpdir(), 'piper-cli-trace-'));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = temp;
  const broken: Command = {
    name: 'broken',
    summary: 'fails the way a bug does',
    options: {},
    run: () => Promise.reject(new TypeError("Cannot read properties of undefined (reading 'port')")),
  };
  try {
    const quiet = capture();
    assert.equal(await main(['broken'], quiet.ctx, [broken]), 1);
    const [trace] = readdirSync(temp);
    assert.ok(trace !== undefined, 'a trace file was written');
    const file = join(temp, trace);
    assert.equal(
      quiet.stderr(),
      "piper broken: unexpected error: Cannot read properties of undefined (reading 'port') (PIPER_CLI_UNEXPECTED)\n" +
        `the full trace is in ${file} (or run again with --verbose); this is a piper bug: please report it with that file\n`,
    );
    assert.match(readFileSync(file, 'utf8'), /TypeError: Cannot read properties[\s\S]*at /);
    const loud = capture();
    assert.equal(await main(['broken', '--verbose'], loud.ctx, [broken]), 1);
    assert.match(loud.stderr(), /^piper broken: unexpected error: .*\(PIPER_CLI_UNEXPECTED\)\nTypeError: Cannot read properties[\s\S]*at /);
    assert.equal(readdirSync(temp).length, 1, 'no second trace file with --verbose');
  } finally {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(temp, { recursive: true, force: true });
  }
});

function capture(): { ctx: CliContext; stderr(): string } {
  let err = '';
  const sink = (write: (s: string) => void) =>
    new Writable({
      write(chunk, _encoding, done) {
        write(String(chunk));
        done();
      },
    });
  return {
    ctx: {
      argv0: 'piper',
      stdout: sink(() => {}),
      stderr: sink((s) => {
        err += s;
      }),
      env: {},
      cwd: process.cwd(),
      isTty: false,
      signal: new AbortController().signal,
    },
    stderr: () => err,
  };
}
