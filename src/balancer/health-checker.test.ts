import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flushMicrotasks, ManualClock } from '../core/index.ts';
import { BackendRuntime } from './backend-runtime.ts';
import { HealthChecker } from './health-checker.ts';

function setup(probeResult: () => Promise<string | null>) {
  const clock = new ManualClock();
  const backend = new BackendRuntime({ pool: 'p', name: 'b', url: 'http://127.0.0.1:1', weight: 100, admittedAt: 0 });
  const changes: string[] = [];
  const passed: number[] = [];
  let probes = 0;
  const checker = new HealthChecker(
    clock,
    { enabled: true, interval: 1000, timeout: 500, rise: 2, fall: 3 },
    () => {
      probes++;
      return probeResult();
    },
    (b, from, to, reason) => changes.push(`${b.name} ${from}->${to}${reason ? ` (${reason})` : ''}`),
    (_b, startedAt) => passed.push(startedAt),
  );
  return { clock, backend, checker, changes, passed, probes: () => probes };
}

describe('HealthChecker', () => {
  it('marks a backend unhealthy after `fall` failures and healthy after `rise` successes', async () => {
    let fail = true;
    const { clock, backend, checker, changes } = setup(async () => (fail ? 'status 500' : null));
    checker.start([backend]);
    await flushMicrotasks();
    assert.equal(backend.activeHealth, 'unknown');
    await clock.tick(2000, 1000);
    assert.equal(backend.activeHealth, 'unhealthy');
    assert.equal(backend.routable, false);
    fail = false;
    await clock.tick(1000, 1000);
    assert.equal(backend.activeHealth, 'unhealthy');
    await clock.tick(1000, 1000);
    assert.equal(backend.activeHealth, 'healthy');
    assert.deepEqual(changes, ['b unknown->unhealthy (status 500)', 'b unhealthy->healthy']);
    checker.close();
  });

  it('tells of every check that passed, with the time it started (for the outlier detector)', async () => {
    let fail = false;
    const { clock, backend, checker, passed } = setup(async () => (fail ? 'status 500' : null));
    const start = clock.now();
    checker.start([backend]);
    await flushMicrotasks();
    await clock.tick(1000, 1000);
    fail = true;
    await clock.tick(1000, 1000);
    assert.deepEqual(passed, [start, start + 1000]);
    checker.close();
  });

  it('counts a probe that outlives its timeout as a failure and never runs two at once', async () => {
    const { clock, backend, checker, changes, probes } = setup(() => new Promise(() => undefined));
    checker.start([backend]);
    await clock.tick(5000, 250);
    // A hung probe is abandoned at its timeout, so a new one starts at each interval.
    assert.equal(backend.activeHealth, 'unhealthy');
    assert.match(changes[0] as string, /timed out after 500 ms/);
    assert.ok(probes() <= 6, `probes ${probes()}`);
    checker.close();
    checker.close();
    assert.equal(clock.pending, 0);
  });
});
