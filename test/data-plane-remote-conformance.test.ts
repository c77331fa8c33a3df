import { rmSync } from 'node:fs';
import { createServer, type Server, type Socket, connect } from 'node:net';
import { dirname } from 'node:path';
import { describe, it } from 'node:test';
import { SystemClock } from '../src/core/index.ts';
import { ConformanceBackends, type DataPlaneFactory, dataPlaneConformance, HttpDataPlane, sendRequests } from '../src/data-plane/index.ts';
import { startPiperUp } from './balancer-process.ts';

const TOKEN = 'conformance-admin-token-0123456789';

/**
 * A TCP relay in front of the admin listener that can be cut: the port's side of a network
 * partition. While cut, it resets every connection, open or new; the balancer behind it runs on.
 */
class CuttableRelay {
  readonly #server: Server;
  readonly #open = new Set<Socket>();
  #cut = false;

  private constructor(target: number) {
    this.#server = createServer((client) => {
      if (this.#cut) {
        client.destroy();
        return;
      }
      const upstream = connect(target, '127.0.0.1');
      for (const [a, b] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        this.#open.add(a);
        a.pipe(b);
        a.on('error', () => b.destroy());
        a.on('close', () => {
          this.#open.delete(a);
          b.destroy();
        });
      }
    });
  }

  static async start(target: number): Promise<{ relay: CuttableRelay; url: string }> {
    const relay = new CuttableRelay(target);
    await new Promise<void>((resolve) => relay.#server.listen(0, '127.0.0.1', resolve));
    return { relay, url: `http://127.0.0.1:${(relay.#server.address() as { port: number }).port}` };
  }

  cut(): void {
    this.#cut = true;
    for (const s of this.#open) s.destroy();
  }

  heal(): void {
    this.#cut = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

// `HttpDataPlane` over a real `piper up` process: the balancer runs on the wall clock in its own
// process, so the suite checks outcomes only, each within a bound. The port reaches the admin API
// through a relay that can be cut; the public listener, where the traffic goes, is not behind it.
const factory: DataPlaneFactory = {
  async start(topology) {
    const backends = await ConformanceBackends.start(topology);
    const { healthCheck } = topology;
    const up = await startPiperUp({
      listeners: [{ name: 'public', address: '127.0.0.1', port: 0 }],
      // Requests through the relay name its port in Host: any port of 127.0.0.1 is this listener.
      admin: { address: '127.0.0.1', port: 0, token: TOKEN, allowedHosts: ['127.0.0.1'] },
      pools: Object.fromEntries(
        Object.entries(topology.pools).map(([pool, names]) => [
          pool,
          {
            backends: names.map((name) => ({ name, url: backends.url(pool, name) })),
            healthCheck: {
              path: healthCheck.path,
              interval: `${healthCheck.intervalMs}ms`,
              fall: healthCheck.fall,
              rise: healthCheck.rise,
            },
            outlierDetection: { enabled: false },
            // A fixed limit far above the suite's 16 requests at a time: a busy machine's latency
            // must not make the balancer shed what the suite counts (overload control has its own tests).
            admission: { adaptive: false, initialLimit: 1000 },
          },
        ]),
      ),
      routes: topology.routes.map((r) => ({ name: r.name, match: { pathPrefix: r.pathPrefix }, split: r.split })),
      // Nor may a stalled event loop (another process on the cores) shed it.
      overload: { eventLoopLag: '1h' },
      dashboard: { enabled: false },
      logging: { level: 'warn' },
    });
    const { relay, url } = await CuttableRelay.start(Number(new URL(up.adminUrl).port));
    const dp = await HttpDataPlane.connect({ adminUrl: url, token: TOKEN, clock: new SystemClock(), pollMs: 100 });
    const prefix = new Map(topology.routes.map((r) => [r.name, r.pathPrefix]));
    return {
      dataPlane: dp,
      time: 'real',
      tick: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      send: (route, count) => sendRequests(`${up.publicUrl}${prefix.get(route) ?? '/'}conformance`, count),
      async drain(pool, backend) {
        // As an operator drains: on the admin API itself, not through the port.
        const res = await fetch(`${up.adminUrl}/api/v1/pools/${pool}/backends/${backend}/drain`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        if (!res.ok) throw new Error(`drain ${pool}/${backend}: HTTP ${res.status} ${await res.text()}`);
      },
      stopBackend: (pool, backend) => backends.stop(pool, backend),
      partition: {
        code: 'PIPER_ROLLOUT_DATA_PLANE_UNREACHABLE',
        cut: async () => relay.cut(),
        heal: async () => relay.heal(),
      },
      async close() {
        dp.close();
        await relay.close();
        await up.stop();
        await backends.close();
        rmSync(dirname(up.configFile), { recursive: true, force: true });
      },
    };
  },
};

describe('HttpDataPlane over a piper up process: DataPlane conformance', () => {
  for (const c of dataPlaneConformance(factory)) it(c.name, { skip: c.skip }, c.run);
});
