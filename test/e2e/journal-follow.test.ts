import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createControlApp } from '../../src/control-api/index.ts';
import { SystemClock, silentLogger } from '../../src/core/index.ts';
import { Journal, journalApi, OnCall } from '../../src/journal/index.ts';

const bin = new URL('../../src/cli/bin.ts', import.meta.url).pathname;

/** Spawns `piper ARGS`, calls `onLine` per stdout line, resolves with the exit code. */
function piper(
  args: string[],
  onLine: (line: string, child: ReturnType<typeof spawn>) => void,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let buffer = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      buffer += d;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) onLine(line, child);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

test('piper events --follow over the admin API prints new events as NDJSON and exits 130 on Ctrl-C', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'piper-journal-follow-'));
  const clock = new SystemClock();
  const journal = Journal.open({ path: join(dir, 'j.db'), clock });
  const onCall = new OnCall({ journal, clock });
  const api = await createControlApp({ logger: silentLogger(), plugins: [journalApi({ journal, onCall, clock })] });
  const server = createServer((req, res) => api.routing(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  journal.append({ kind: 'operator.note', source: 'operator', subject: 'web', data: { n: 0 } });
  const seen: number[] = [];
  // Until the child prints the first live event, keep writing: it connects when it connects.
  const writer = setInterval(
    () => journal.append({ kind: 'operator.note', source: 'operator', subject: 'web', data: { n: seen.length === 0 ? -1 : 1 } }),
    50,
  );
  try {
    const result = await piper(['events', '--follow', '--json', '--kind', 'operator.*', '--admin', url], (line, child) => {
      const e = JSON.parse(line) as { kind: string; data: { n: number } };
      assert.equal(e.kind, 'operator.note');
      seen.push(e.data.n);
      // n = 1 is only written after the first line arrived, so it came over the live stream.
      if (e.data.n === 1 && seen.filter((n) => n === 1).length === 1) child.kill('SIGINT');
    });
    assert.equal(result.code, 130, result.stderr);
    assert.equal(seen[0], 0, 'history first');
    assert.ok(seen.includes(1), 'live events after the history');
  } finally {
    clearInterval(writer);
    await new Promise((r) => server.close(r));
    server.closeAllConnections();
    onCall.close();
    journal.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
