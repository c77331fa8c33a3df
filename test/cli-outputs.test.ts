import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runPiper } from './cli-run.ts';

let server: Server;
let url: string;
let requests = 0;
let cwd: string;

before(async () => {
  server = createServer((_req, res) => {
    requests++;
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  cwd = mkdtempSync(join(tmpdir(), 'piper-cli-outputs-'));
});

after(() => {
  server.close();
  rmSync(cwd, { recursive: true, force: true });
});

const advice = 'what to do: Create the folder, or name a path this user may write to.';

test('piper loadtest --html into a folder that does not exist fails at once, before any traffic', async () => {
  const r = await runPiper(['loadtest', url, '--rate', '50/s', '--duration', '5s', '--html', 'reports/report.html'], { cwd });
  assert.equal(r.code, 2, r.stderr);
  assert.equal(
    r.stderr,
    `piper loadtest: --html reports/report.html: the folder reports does not exist (create it first: mkdir -p reports) (PIPER_CLI_OUTPUT_UNWRITABLE)\n${advice}\n`,
  );
  assert.equal(r.stdout, '');
  assert.equal(requests, 0, 'no request was sent');
});

test('piper capacity -o into a missing folder fails before the search', async () => {
  const r = await runPiper(['capacity', url, '--slo', 'p99<200ms,errors<1%', '-o', 'out/capacity.json'], { cwd });
  assert.equal(r.code, 2, r.stderr);
  assert.equal(
    r.stderr,
    `piper capacity: --output out/capacity.json: the folder out does not exist (create it first: mkdir -p out) (PIPER_CLI_OUTPUT_UNWRITABLE)\n${advice}\n`,
  );
  assert.equal(requests, 0, 'no request was sent');
});

test('a data folder under a file, and an output that is a folder, are refused naming the path', async () => {
  writeFileSync(join(cwd, 'notes.txt'), 'hello\n');
  const demo = await runPiper(['demo', '--data-dir', 'notes.txt/demo'], { cwd });
  assert.equal(demo.code, 2, demo.stderr);
  assert.equal(
    demo.stderr,
    `piper demo: --data-dir notes.txt/demo: notes.txt is a file, not a folder (PIPER_CLI_OUTPUT_UNWRITABLE)\n${advice}\n`,
  );
  const compress = await runPiper(['compress', 'notes.txt', '-o', '.', '--force'], { cwd });
  assert.equal(compress.code, 2, compress.stderr);
  assert.equal(compress.stderr, `piper compress: --output .: is a folder; name a file in it (PIPER_CLI_OUTPUT_UNWRITABLE)\n${advice}\n`);
  assert.deepEqual(readdirSync(cwd), ['notes.txt']);
});
