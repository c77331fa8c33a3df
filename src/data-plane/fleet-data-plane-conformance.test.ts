import { describe, it } from 'node:test';
import { flushMicrotasks, ManualClock, SeededRandom } from '../core/index.ts';
import { mergeWindows } from '../telemetry/index.ts';
import type { DataPlaneFactory, TrafficTally } from './conformance-factory.ts';
import { dataPlaneConformance } from './data-plane-conformance.ts';
import { FleetDataPlane } from './fleet-data-plane.ts';
import { InMemoryDataPlane } from './in-memory-data-plane.ts';

/** Adds one member's tally into another: the fleet's traffic is what its members served. */
function add(into: TrafficTally, more: TrafficTally): TrafficTally {
  for (const [k, n] of Object.entries(more.served)) into.served[k] = (into.served[k] ?? 0) + n;
  for (const [k, n] of Object.entries(more.failures)) into.failures[k] = (into.failures[k] ?? 0) + n;
  into.failed += more.failed;
  return into;
}

// A fleet of two doubles on one ManualClock, each serving half the requests (as DNS would spread
// clients over two balancers): every split, guard and health change must hold on both, and the
// windows the suite counts are the fleet's merged ones. A partition of a fleet is a member's, and
// the fleet rides it out instead of failing (test/fleet-data-plane.test.ts).
const factory: DataPlaneFactory = {
  noPartition: "the fleet reconnects a member's window stream and retries its splits rather than failing them",
  async start(topology) {
    const clock = new ManualClock();
    const members = [1, 2].map((seed) => {
      const dp = new InMemoryDataPlane(
        clock,
        Object.fromEntries(topology.routes.map((r) => [r.name, r.split])),
        Object.keys(topology.pools),
        { traffic: { random: new SeededRandom(17 * seed) } },
      );
      for (const [pool, names] of Object.entries(topology.pools)) {
        dp.setBackends(
          pool,
          names.map((name) => ({ name, url: `memory://${pool}/${name}` })),
        );
      }
      return dp;
    });
    const fleet = new FleetDataPlane({
      members: members.map((dataPlane, i) => ({ name: `edge-${i + 1}`, dataPlane })),
      clock,
      merge: mergeWindows,
    });
    return {
      dataPlane: fleet,
      time: 'manual',
      async tick(ms) {
        await clock.tick(ms, Math.min(ms, 100) || 1);
        await flushMicrotasks();
      },
      send: async (route, count) => {
        const half = Math.floor(count / 2);
        return add(members[0]?.serve(route, half) as TrafficTally, members[1]?.serve(route, count - half) as TrafficTally);
      },
      drain: async (pool, backend) => {
        for (const m of members) m.drain(pool, backend);
      },
      stopBackend: async (pool, backend) => {
        for (const m of members) m.setHealth(pool, backend, 'unhealthy', 'stopped');
      },
      close: async () => {
        fleet.close();
        for (const m of members) m.close();
      },
    };
  },
};

describe('FleetDataPlane over two InMemoryDataPlanes: DataPlane conformance', () => {
  for (const c of dataPlaneConformance(factory)) it(c.name, { skip: c.skip }, c.run);
});
