import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

const bin = new URL('../src/cli/bin.ts', import.meta.url).pathname;

interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal) once the process has exited. */
  exited: Promise<number | null>;
}

function start(args: string[], cwd: string): Running {
  const child = spawn(process.execPath, [bin, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function until(what: string, check: () => boolean, limitMs = 30_000): Promise<void> {
  const started = performance.now();
  while (!check()) {
    if (performance.now() - started > limitMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let cwd: string;
let server: Server;
let url: string;
let served = 0;

before(async () => {
  cwd = mkdtempSync(join(tmpdir(), 'piper-cli-stop-'));
  server = createServer((_req, res) => {
    served++;
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
});

after(() => {
  server.close();
  rmSync(cwd, { recursive: true, force: true });
});

test('Ctrl-C stops an idle piper up at once: "interrupted", exit 130, without waiting out the drain grace', async () => {
  const up = start(['up', '--port', '0', '--admin-port', '0', '--dashboard-port', '0', '--log-level', 'silent'], cwd);
  try {
    await until('piper up to listen', () => up.stdout().includes('listening dashboard'));
    const sent = performance.now();
    up.child.kill('SIGINT');
    // The grace for requests in flight is 10 s; with none in flight, nothing should wait for it.
    const code = await Promise.race([up.exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 9_000))]);
    const took = performance.now() - sent;
    assert.equal(code, 130, `${up.stderr()} (after ${Math.round(took)} ms)`);
    assert.equal(up.stderr(), 'piper up: interrupted\n');
  } finally {
    up.child.kill('SIGKILL');
  }
});

test('Ctrl-C in a load test prints the results so far, then "interrupted", and exits 130', async () => {
  const run = start(['loadtest', url, '--rate', '50/s', '--duration', '30s'], cwd);
  try {
    await until('traffic', () => served >= 20);
    run.child.kill('SIGINT');
    assert.equal(await run.exited, 130, run.stderr());
    assert.match(run.stdout(), /completed/);
    assert.equal(run.stderr(), 'piper loadtest: interrupted\n');
  } finally {
    run.child.kill('SIGKILL');
  }
});
