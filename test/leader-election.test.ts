// Leader election across real processes on a real PostgreSQL (test/postgres-fixture.ts): two
// control planes campaign for the lease (test/leader-campaign.ts); the leader is killed, or
// stopped past its lease and woken, and the other must take over with the next term while the
// old one's writes are fenced out of the journal.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defaultConfig } from '../src/config/index.ts';
import { createControlApp } from '../src/control-api/index.ts';
import { SystemClock, silentLogger } from '../src/core/index.ts';
import { InMemoryDataPlane } from '../src/data-plane/index.ts';
import { Journal, Leadership } from '../src/journal/index.ts';
import { MigrationController, rolloutApi, runWhileLeader } from '../src/rollout/index.ts';
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

/** One control plane in this process: its journal connection, campaign, controller host and rollout API on a port. */
async function controlPlane(url: string, name: string, dp: InMemoryDataPlane) {
  const clock = new SystemClock();
  const journal = Journal.open({ path: url, clock });
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const leadership = new Leadership({ journal, clock, name, ttlMs: LEASE_MS, advertiseUrl: apiUrl });
  const migration = { ...defaultConfig().migration, stepDuration: 60_000 };
  const host = runWhileLeader({
    leadership,
    journal,
    dataPlane: dp,
    makeController: (parts) => new MigrationController({ ...parts, clock, migration }),
  });
  const api = await createControlApp({
    logger: silentLogger(),
    plugins: [rolloutApi({ controller: () => host.controller(), leader: leadership })],
  });
  server.on('request', (req, res) => api.routing(req, res));
  const close = async (): Promise<void> => {
    leadership.close();
    await host.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    journal.close();
  };
  return { journal, leadership, host, apiUrl, close };
}

async function post(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

test('the rollout API of a follower refuses writes with 409 naming the leader, serves reads, and takes the migration over when it leads', async (t) => {
  const url = cluster.createDatabase();
  const dp = new InMemoryDataPlane(new SystemClock(), { web: { vendor: 100 } }, ['vendor', 'inhouse']);
  const a = await controlPlane(url, 'cp-1', dp);
  a.leadership.start();
  await a.host.settled();
  const b = await controlPlane(url, 'cp-2', dp);
  b.leadership.start();
  const started = await post(`${a.apiUrl}/api/v1/migrations`, { route: 'web', to: 'inhouse', overrideCapacityGate: 'test' });
  assert.equal(started.status, 201);
  const refused = await post(`${b.apiUrl}/api/v1/migrations/1/abort`, { reason: 'wrong door' });
  assert.equal(refused.status, 409);
  assert.deepEqual(refused.json, {
    error: {
      code: 'PIPER_NOT_LEADER',
      message: `this control plane (cp-2) is a follower; the leader is cp-1 (term 1) at ${a.apiUrl}: send the request there`,
    },
    leader: { holder: 'cp-1', term: 1, url: a.apiUrl },
  });
  const shown = (await (await fetch(`${b.apiUrl}/api/v1/migrations/1`)).json()) as { phase: string; targetPercent: number };
  assert.deepEqual([shown.phase, shown.targetPercent], ['running', 1]);
  // cp-1 stops cleanly: cp-2 leads at its next campaign and recovers the migration at its step.
  const stoppedAt = performance.now();
  await a.close();
  const deadline = stoppedAt + 3_000;
  while (b.journal.query({ kinds: ['migration.recovered'] }).length === 0 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const recovered = b.journal.query({ kinds: ['migration.recovered'] });
  t.diagnostic(`first journaled decision of the new leader ${Math.round(performance.now() - stoppedAt)} ms after the old one stopped`);
  assert.deepEqual(
    recovered.map((e) => [e.actor, e.data.migration, e.data.targetPercent]),
    [['rollout', '1', 1]],
  );
  assert.equal(dp.calls.length, 2, 'the new leader re-applied the recorded split');
  const aborted = await post(`${b.apiUrl}/api/v1/migrations/1/abort`, { reason: 'done testing' });
  assert.equal(aborted.status, 200);
  await b.close();
  dp.close();
});
