// Leader election across real processes on a real PostgreSQL (test/postgres-fixture.ts): two
// control planes campaign for the lease (test/leader-campaign.ts); the leader is killed, or
// stopped past its lease and woken, and the other must take over with the next term while the
// old one's writes are fenced out of the journal.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { SystemClock } from '../src/core/index.ts';
import { Journal } from '../src/journal/index.ts';
import { startPostgres } from './postgres-fixture.ts';

const cluster = await startPostgres();
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  cluster.remove();
});

const SCRIPT = new URL('./leader-campaign.ts', import.meta.url).pathname;
const LEASE_MS = 2_000;

interface Line {
  event: string;
  holder: string;
  term?: number;
  reason?: string;
  written?: boolean;
  code?: string;
  message?: string;
  leader?: { holder: string; term: number } | null;
  /** When the test read it (performance.now()). */
  seenAt: number;
}

/** A campaigning control plane: its JSON lines as they come, and a wait for the next that matches. */
function campaign(url: string, name: string) {
  const child = spawn(process.execPath, [SCRIPT, url, name, String(LEASE_MS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const lines: Line[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout }).on('line', (text) => {
    lines.push({ ...(JSON.parse(text) as Omit<Line, 'seenAt'>), seenAt: performance.now() });
    for (const w of waiters) w();
  });
  const next = (match: (l: Line) => boolean, timeoutMs = 10_000): Promise<Line> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const found = lines.find(match);
        if (found === undefined) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`${name}: no matching line within ${timeoutMs} ms; saw ${JSON.stringify(lines)}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return { child, lines, next, name };
}

function readJournal(url: string) {
  const journal = Journal.open({ path: url, clock: new SystemClock(), readOnly: true });
  try {
    return journal.query({ limit: 10_000 });
  } finally {
    journal.close();
  }
}

test('kill -9 of the leader: the follower leads within 3 s at the next term, and journals whom it succeeded', async (t) => {
  const url = cluster.createDatabase();
  const a = campaign(url, 'cp-1');
  assert.equal((await a.next((l) => l.event === 'elected')).term, 1);
  const b = campaign(url, 'cp-2');
  const started = await b.next((l) => l.event === 'started');
  assert.deepEqual(started.leader, { holder: 'cp-1', term: 1, url: 'http://cp-1.test', self: false });
  const killedAt = performance.now();
  a.child.kill('SIGKILL');
  const elected = await b.next((l) => l.event === 'elected');
  const takeoverMs = elected.seenAt - killedAt;
  assert.equal(elected.term, 2);
  t.diagnostic(`takeover ${Math.round(takeoverMs)} ms after kill -9 (lease ${LEASE_MS} ms)`);
  assert.ok(takeoverMs < 3_000, `took over ${Math.round(takeoverMs)} ms after the kill`);
  const events = readJournal(url).filter((e) => e.kind.startsWith('leader.'));
  assert.deepEqual(
    events.map((e) => [e.kind, e.data]),
    [
      ['leader.elected', { holder: 'cp-1', term: 1, url: 'http://cp-1.test' }],
      ['leader.elected', { holder: 'cp-2', term: 2, url: 'http://cp-2.test', previous: 'cp-1', previousTerm: 1 }],
    ],
  );
  b.child.kill('SIGTERM');
});

test('SIGSTOP of the leader past its lease: the follower takes over; on SIGCONT the old one steps down and its stale write is refused', async (t) => {
  const url = cluster.createDatabase();
  const a = campaign(url, 'cp-1');
  await a.next((l) => l.event === 'elected');
  const b = campaign(url, 'cp-2');
  await b.next((l) => l.event === 'started');
  const stoppedAt = performance.now();
  a.child.kill('SIGSTOP');
  const elected = await b.next((l) => l.event === 'elected');
  assert.equal(elected.term, 2);
  t.diagnostic(`takeover ${Math.round(elected.seenAt - stoppedAt)} ms after SIGSTOP`);
  assert.ok(elected.seenAt - stoppedAt < 3_000, `took over ${Math.round(elected.seenAt - stoppedAt)} ms after the stop`);
  // Stopped for 3 s in all, past the 2 s lease.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, 3_000 - (performance.now() - stoppedAt))));
  a.child.kill('SIGCONT');
  const lost = await a.next((l) => l.event === 'lost');
  assert.deepEqual([lost.term, lost.reason], [1, 'expired']);
  const stale = await a.next((l) => l.event === 'stale-write');
  assert.equal(stale.written, false);
  assert.equal(stale.code, 'PIPER_NOT_LEADER');
  assert.match(stale.message ?? '', /held by cp-2 \(term 2\)/);
  // cp-1 follows now: it stays a follower while cp-2 renews.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  assert.equal(a.lines.filter((l) => l.event === 'elected').length, 1);
  const events = readJournal(url);
  assert.deepEqual(
    events.filter((e) => e.subject === 'stale-write'),
    [],
    'nothing of the stale write is journaled',
  );
  assert.deepEqual(
    events.filter((e) => e.kind.startsWith('leader.')).map((e) => [e.kind, e.data.holder, e.data.term]),
    [
      ['leader.elected', 'cp-1', 1],
      ['leader.elected', 'cp-2', 2],
      ['leader.lost', 'cp-1', 1],
    ],
  );
  a.child.kill('SIGTERM');
  b.child.kill('SIGTERM');
});
