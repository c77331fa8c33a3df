import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { startPiperUp } from '../src/cli/up/piper-up.ts';
import { SystemClock, SystemRandom, silentLogger } from '../src/core/index.ts';
import { RolloutClient, recordCapacityResult } from '../src/rollout/index.ts';
import { RolloutBackend, SteadyLoad, waitFor } from './rollout-harness.ts';

// `piper up`'s own wiring: the in-process Balancer is the DataPlane, the rollout API sits on the admin listener.
describe('migration controller inside piper up (in-process balancer)', () => {
  const closers: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const c of closers.reverse()) await c();
  });

  it('moves a route step by step with the dead-man guard armed, then disarms it on completion', async () => {
    const vendor = new RolloutBackend();
    const inhouse = new RolloutBackend();
    const [vendorUrl, inhouseUrl] = await Promise.all([vendor.listen(), inhouse.listen()]);
    closers.push(
      () => vendor.close(),
      () => inhouse.close(),
    );
    const dir = mkdtempSync(join(tmpdir(), 'piper-rollout-ip-'));
    closers.push(() => rmSync(dir, { recursive: true, force: true }));
    const configFile = join(dir, 'piper.yaml');
    writeFileSync(
      configFile,
      stringify({
        pools: { vendor: { backends: [{ name: 'v1', url: vendorUrl }] }, inhouse: { backends: [{ name: 'i1', url: inhouseUrl }] } },
        routes: [{ name: 'web', split: { vendor: 100 }, slo: { latency: { threshold: '3s' } } }],
        migration: { steps: [50, 100], stepDuration: '1s', judge: { minRequests: 3 } },
        storage: { path: join(dir, 'piper.db') },
        dashboard: { enabled: false },
        logging: { level: 'silent' },
      }),
    );
    const clock = new SystemClock();
    const up = await startPiperUp({
      configFile,
      env: {},
      clock,
      random: new SystemRandom(),
      makeLogger: () => silentLogger(),
      port: 0,
      adminPort: 0,
    });
    closers.push(() => up.close(0));
    const { journal } = up.controlPlane;
    // Recorded as the admin API records a posted result: with the pool's membership as the balancer shows it.
    journal.append(
      recordCapacityResult(
        {
          kind: 'capacity.result',
          source: 'loadgen',
          subject: 'inhouse',
          data: { pool: 'inhouse', capacityRps: 1000, certifiedAt: clock.now(), slo: { p99Ms: 200, maxErrorRatio: 0.001 } },
        },
        up.dataPlane.snapshot(),
        clock.now(),
      ),
    );
    const load = new SteadyLoad(up.publicAddresses[0]?.url ?? '', 40, 2000);
    load.start();
    closers.push(() => load.stop());

    const api = new RolloutClient({ apiUrl: up.adminUrl, clock });
    const m = await api.start({ route: 'web', to: 'inhouse', actor: 'test' });
    const armed = up.dataPlane.snapshot().routes.find((r) => r.name === 'web');
    assert.deepEqual(armed?.deadMan?.safeSplit, { vendor: 10_000, inhouse: 0 });
    assert.deepEqual(armed?.split, { vendor: 5000, inhouse: 5000 });
    const done = await waitFor('completion', async () => {
      const v = await api.get(m.id);
      return v.phase === 'running' ? undefined : v;
    });
    assert.equal(done.phase, 'completed', JSON.stringify(done.hold));
    const route = up.dataPlane.snapshot().routes.find((r) => r.name === 'web');
    assert.equal(route?.deadMan, null);
    assert.deepEqual(route?.split, { vendor: 0, inhouse: 10_000 });
    assert.ok(inhouse.requests > 0);
    assert.ok(journal.query({ kinds: ['migration.decision'] }).length >= 2, 'windows from the balancer reached the judge');
  });
});
