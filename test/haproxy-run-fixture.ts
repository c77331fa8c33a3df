// HAProxy as piper runs it (startHaproxyRun: the supervised process, the rendered config with the
// dead-man guard, HaproxyDataPlane), in front of ConformanceBackends, on free ports in a temp dir.
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PiperConfig, unwrapConfig, validateConfig } from '../src/config/index.ts';
import { SeededRandom, SystemClock } from '../src/core/index.ts';
import {
  type ConformanceTopology,
  ConformanceBackends,
  type DataPlaneEvent,
  sendRequests,
  type TrafficTally,
} from '../src/data-plane/index.ts';
import { type HaproxyRun, RuntimeApiClient, startHaproxyRun } from '../src/haproxy/index.ts';
import { freePort } from './haproxy-runtime-fixture.ts';

export interface HaproxyRunFixture {
  run: HaproxyRun;
  config: PiperConfig;
  backends: ConformanceBackends;
  /** An operator's client on the same stats socket. */
  operator: RuntimeApiClient;
  /** Events the data plane and the process emitted. */
  events: DataPlaneEvent[];
  send(route: string, count: number): Promise<TrafficTally>;
  /** Renames the stats socket away (piper cut off from HAProxy, which runs on), and back. */
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}

export async function startHaproxyRunFixture(topology: ConformanceTopology): Promise<HaproxyRunFixture> {
  const backends = await ConformanceBackends.start(topology);
  const dir = mkdtempSync(join(tmpdir(), 'piper-haproxy-dp-'));
  const port = await freePort();
  const hc = topology.healthCheck;
  const config = unwrapConfig(
    validateConfig({
      dataPlane: {
        kind: 'haproxy',
        haproxy: {
          binary: '/usr/sbin/haproxy',
          statsSocket: join(dir, 'haproxy.sock'),
          serverStateFile: join(dir, 'haproxy.state'),
          runDir: dir,
          log: { port: 0 },
          nbthread: 1,
          stats: { enabled: false },
        },
      },
      listeners: [{ name: 'public', address: '127.0.0.1', port }],
      pools: Object.fromEntries(
        Object.entries(topology.pools).map(([pool, names]) => [
          pool,
          {
            backends: names.map((name) => ({ name, url: backends.url(pool, name) })),
            healthCheck: { path: hc.path, interval: `${hc.intervalMs}ms`, fall: hc.fall, rise: hc.rise },
            outlierDetection: { enabled: false },
            admission: { adaptive: false, initialLimit: 1000 },
          },
        ]),
      ),
      routes: topology.routes.map((r) => ({ name: r.name, match: { pathPrefix: r.pathPrefix }, split: r.split })),
    }),
  );
  const clock = new SystemClock();
  const events: DataPlaneEvent[] = [];
  const run = await startHaproxyRun({
    config,
    baseDir: dir,
    source: 'test',
    clock,
    random: new SeededRandom(17),
    onEvent: (e) => events.push(e),
  });
  const socket = config.dataPlane.haproxy.statsSocket;
  const prefix = new Map(topology.routes.map((r) => [r.name, r.pathPrefix]));
  return {
    run,
    config,
    backends,
    operator: new RuntimeApiClient({ address: { path: socket }, clock, random: new SeededRandom(18) }),
    events,
    send: (route, count) => sendRequests(`http://127.0.0.1:${port}${prefix.get(route) ?? '/'}conformance`, count),
    cut: () => renameSync(socket, `${socket}.cut`),
    heal: () => renameSync(`${socket}.cut`, socket),
    async close() {
      await run.close();
      await backends.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
