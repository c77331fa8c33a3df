import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ManualClock } from '../src/core/index.ts';
import { Journal } from '../src/journal/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'piper-journal-kill-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const writer = new URL('./fixtures/journal/append-writer.ts', import.meta.url).pathname;

/** Runs the writer until it has acknowledged `atLeast` events, kills it with SIGKILL, returns the acks. */
function writeThenKill(db: string, atLeast: number): Promise<Map<number, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, db], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acks = new Map<number, number>();
    let buffer = '';
    let stderr = '';
    let killed = false;
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      buffer += d;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? ''; // a line cut by the kill is not an acknowledgement
      for (const line of lines) {
        const [, id, seq] = line.split(' ');
        acks.set(Number(id), Number(seq));
      }
      if (!killed && acks.size >= atLeast) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited on its own: ${stderr}`));
      else resolve(acks);
    });
  });
}

test('kill -9 while appending fast: after restart every acknowledged event is there, none twice', async () => {
  const db = join(dir, 'kill.db');
  const first = await writeThenKill(db, 1000);
  const second = await writeThenKill(db, 1000); // the restarted writer resumes from its state row
  const journal = Journal.open({ path: db, clock: new ManualClock() });
  try {
    const stored = new Map<number, number>();
    for (let afterId = 0; ; ) {
      const page = journal.query({ afterId, limit: 10_000 });
      if (page.length === 0) break;
      for (const e of page) stored.set(e.id, e.data.seq as number);
      afterId = page.at(-1)?.id ?? afterId;
    }
    for (const [id, seq] of [...first, ...second]) assert.equal(stored.get(id), seq, `acknowledged event ${id} (seq ${seq}) is stored`);
    const seqs = [...stored.values()];
    assert.equal(new Set(seqs).size, seqs.length, 'no event stored twice');
    const state = journal.getState('writer') as { seq: number };
    assert.ok(stored.size >= first.size + second.size);
    // The state row moved together with its event: it names a stored seq, no older than the last acked multiple of 10.
    assert.ok(seqs.includes(state.seq));
    const lastAckedTen = Math.max(...[...second.values()].filter((s) => s % 10 === 0));
    assert.ok(state.seq >= lastAckedTen);
    assert.ok(Math.min(...second.values()) > Math.max(...first.values()) - 10, 'the restart resumed near where the first run stopped');
  } finally {
    journal.close();
  }
});
