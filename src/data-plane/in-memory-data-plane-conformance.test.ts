import { describe, it } from 'node:test';
import { flushMicrotasks, ManualClock, SeededRandom } from '../core/index.ts';
import type { DataPlaneFactory } from './conformance-factory.ts';
import { dataPlaneConformance } from './data-plane-conformance.ts';
import { InMemoryDataPlane } from './in-memory-data-plane.ts';

// The double serves simulated requests by its own split and health, on a ManualClock: the suite
// checks its timing exactly, and a partition is its own reachability switch.
const factory: DataPlaneFactory = {
  async start(topology) {
    const clock = new ManualClock();
    const dp = new InMemoryDataPlane(
      clock,
      Object.fromEntries(topology.routes.map((r) => [r.name, r.split])),
      Object.keys(topology.pools),
      {
        traffic: { random: new SeededRandom(17) },
      },
    );
    for (const [pool, names] of Object.entries(topology.pools)) {
      dp.setBackends(
        pool,
        names.map((name) => ({ name, url: `memory://${pool}/${name}` })),
      );
    }
    return {
      dataPlane: dp,
      time: 'manual',
      async tick(ms) {
        await clock.tick(ms, Math.min(ms, 100) || 1);
        await flushMicrotasks();
      },
      send: async (route, count) => dp.serve(route, count),
      drain: async (pool, backend) => dp.drain(pool, backend),
      stopBackend: async (pool, backend) => dp.setHealth(pool, backend, 'unhealthy', 'stopped'),
      partition: {
        code: 'PIPER_ROLLOUT_DATA_PLANE_UNREACHABLE',
        cut: async () => dp.setReachable(false),
        heal: async () => dp.setReachable(true),
      },
      close: async () => dp.close(),
    };
  },
};

describe('InMemoryDataPlane: DataPlane conformance', () => {
  for (const c of dataPlaneConformance(factory)) it(c.name, { skip: c.skip }, c.run);
});
