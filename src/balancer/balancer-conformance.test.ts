import { describe, it } from 'node:test';
import { unwrapConfig, validateConfig } from '../config/index.ts';
import { ManualClock, SeededRandom, silentLogger } from '../core/index.ts';
import { ConformanceBackends, type DataPlaneFactory, dataPlaneConformance, sendRequests } from '../data-plane/index.ts';
import { Balancer } from './balancer.ts';

/** Lets sockets, health probes and timers' continuations run while the manual clock stands. */
function realIo(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 2));
}

// The in-process balancer on a ManualClock, with real backends and real requests through its
// public listener: the suite checks its timing exactly. Its port runs in the same process, so
// there is nothing to cut off.
const factory: DataPlaneFactory = {
  noPartition: 'in process: the port and the balancer share one process, nothing lies between them to fail',
  async start(topology) {
    const backends = await ConformanceBackends.start(topology);
    const { healthCheck } = topology;
    const config = unwrapConfig(
      validateConfig({
        // Real I/O takes real time while the clock stands: no deadline may pass because of it.
        timeouts: { connect: '1h', upstreamHeaders: '1h', upstreamBody: '1h' },
        pools: Object.fromEntries(
          Object.entries(topology.pools).map(([pool, names]) => [
            pool,
            {
              backends: names.map((name) => ({ name, url: backends.url(pool, name) })),
              healthCheck: { path: healthCheck.path, interval: healthCheck.intervalMs, fall: healthCheck.fall, rise: healthCheck.rise },
              // Down is for the health checks to find: the suite sends no request to a stopped backend.
              outlierDetection: { enabled: false },
            },
          ]),
        ),
        routes: topology.routes.map((r) => ({ name: r.name, match: { pathPrefix: r.pathPrefix }, split: r.split })),
      }),
    );
    const clock = new ManualClock();
    const balancer = new Balancer({ config, clock, random: new SeededRandom(11), logger: silentLogger() });
    const [listening] = await balancer.listen(0);
    const base = listening?.url ?? '';
    const prefix = new Map(topology.routes.map((r) => [r.name, r.pathPrefix]));
    return {
      dataPlane: balancer,
      time: 'manual',
      async tick(ms) {
        await realIo();
        await clock.tick(ms, Math.min(ms, 100) || 1);
        await realIo();
      },
      send: (route, count) => sendRequests(`${base}${prefix.get(route) ?? '/'}conformance`, count),
      drain: async (pool, backend) => balancer.drain(pool, backend, 'conformance'),
      stopBackend: (pool, backend) => backends.stop(pool, backend),
      async close() {
        const closing = balancer.close(0);
        let done = false;
        void closing.then(() => {
          done = true;
        });
        // The grace sleep and the pools' sweeps run on the ManualClock: move it until all is closed.
        while (!done) {
          clock.advance(100);
          await realIo();
        }
        await backends.close();
      },
    };
  },
};

describe('Balancer (in process): DataPlane conformance', () => {
  for (const c of dataPlaneConformance(factory)) it(c.name, { skip: c.skip }, c.run);
});
