import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ManualClock, SeededRandom } from '../core/index.ts';
import { probeOf } from './haproxy-live-state.ts';
import { RuntimeApiClient } from './runtime-api-client.ts';
import { type PollFailure, StatsPoller } from './stats-poller.ts';

const recorded = (name: string): string => readFileSync(new URL(`../../test/fixtures/haproxy/${name}`, import.meta.url), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'piper-stats-poller-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('StatsPoller', () => {
  test('turns show info + show stat into live state, lost-line increments, and a stale mark when the socket fails', async () => {
    // A stand-in stats socket: recorded answers, DroppedLogs rising by 5 each poll, garbage from the 4th on.
    const path = join(dir, 'stats.sock');
    let sessions = 0;
    const server = createServer((socket) => {
      socket.once('data', () => {
        sessions++;
        if (sessions >= 4) {
          socket.end('\x16\x03\x01garbage\n\n');
          return;
        }
        const info = recorded('info.txt').replace('DroppedLogs: 0', `DroppedLogs: ${5 * sessions}`);
        socket.end(`${info}${recorded('stat.csv')}`);
      });
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    after(() => server.close());
    const clock = new ManualClock(Date.now());
    const lost: number[] = [];
    let kernel = 0;
    const poller = new StatsPoller({
      client: new RuntimeApiClient({ address: { path }, clock, random: new SeededRandom(1), attempts: 1 }),
      clock,
      onLost: (n) => lost.push(n),
      kernelDrops: async () => (kernel += 2),
    });
    await poller.poll();
    const live = poller.live;
    assert.ok(live !== null);
    assert.equal(live.droppedLogs, 5);
    assert.deepEqual(live.routes.web, { route: 'web', status: 'UP', queue: 0, sessions: 0, requestsTotal: 0 });
    assert.deepEqual(
      live.servers.map((s) => [s.pool, s.backend, s.status, s.health, s.weight]),
      [
        ['vendor', 'v1', 'no check', 'healthy', 7],
        ['inhouse', 'h1', 'DRAIN', 'draining', 10],
      ],
    );
    // HAProxy's drops before the first poll are not piper's; the socket's own count starts at 0.
    assert.deepEqual(lost, [2]);
    await poller.poll();
    assert.deepEqual(lost, [2, 5 + 2]);
    await poller.poll();
    assert.equal(poller.failure, null);

    await poller.poll();
    // Read through a function: after the null check above, TypeScript would narrow the getter to null.
    const failure = (): PollFailure | null => poller.failure;
    assert.equal(failure()?.code, 'PIPER_HAPROXY_BAD_RESPONSE');
    assert.equal(poller.live?.droppedLogs, 15, 'the last good state is kept');
    assert.deepEqual(poller.counts, { polls: 4, failures: 1 });

    const probe = probeOf(poller.live);
    assert.deepEqual(probe.pools.inhouse, { inFlight: 0, healthyBackends: 0, totalBackends: 1, concurrencyLimit: 0 });
    assert.deepEqual(probe.backends['vendor/v1'], { pool: 'vendor', health: 'healthy', inFlight: 0 });
    poller.close();
  });
});
