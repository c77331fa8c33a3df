// The DataPlane conformance suite on a real HAProxy (Debian's 2.6) steered by HaproxyDataPlane:
// one HAProxy per case, started by piper's own supervisor on a config rendered for the suite's
// topology, with the dead-man guard loaded. The port talks to HAProxy over its stats socket only,
// so the partition case cuts that: the socket's path is renamed away (what a connect sees when
// HAProxy's socket is gone or unreachable), while HAProxy, its guard and its traffic run on.
import { describe, it } from 'node:test';
import { type DataPlaneFactory, dataPlaneConformance } from '../src/data-plane/index.ts';
import { serverName } from '../src/haproxy/index.ts';
import { startHaproxyRunFixture } from './haproxy-run-fixture.ts';
import { haproxyMissing } from './haproxy-runtime-fixture.ts';

const factory: DataPlaneFactory = {
  async start(topology) {
    const f = await startHaproxyRunFixture(topology);
    return {
      dataPlane: f.run.dataPlane,
      time: 'real',
      tick: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      send: f.send,
      async drain(pool, backend) {
        // As an operator drains HAProxy: on the Runtime API, past piper.
        for (const r of topology.routes) await f.operator.applyStates(r.name, { [serverName(pool, backend)]: 'drain' });
      },
      stopBackend: (pool, backend) => f.backends.stop(pool, backend),
      partition: { code: 'PIPER_HAPROXY_UNREACHABLE', cut: async () => f.cut(), heal: async () => f.heal() },
      close: () => f.close(),
    };
  },
};

describe('HaproxyDataPlane on a real HAProxy: DataPlane conformance', { skip: haproxyMissing() }, () => {
  for (const c of dataPlaneConformance(factory)) it(c.name, { skip: c.skip }, c.run);
});
