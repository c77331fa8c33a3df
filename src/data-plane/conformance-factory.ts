import type { DataPlane, Split } from './data-plane.ts';

/** The pools, backends and routes a data plane under test is started with. */
export interface ConformanceTopology {
  /** Backend names by pool. Traffic reports a request served by one as `pool/backend`. */
  pools: Readonly<Record<string, readonly string[]>>;
  /** Routes on any host, selected by path prefix, with the split each starts on. */
  routes: readonly { name: string; pathPrefix: string; split: Split }[];
  /** Active health checks to configure: GET `path` every `intervalMs`; down after `fall` failures in a row, up after `rise` successes. */
  healthCheck: { path: string; intervalMs: number; fall: number; rise: number };
}

/** The topology every case starts from: route `web` wholly on pool `a` (two backends); pool `b` (one backend) idle. */
export const CONFORMANCE_TOPOLOGY: ConformanceTopology = Object.freeze({
  pools: { a: ['a1', 'a2'], b: ['b1'] },
  routes: [{ name: 'web', pathPrefix: '/', split: { a: 1, b: 0 } }],
  healthCheck: { path: '/healthz', intervalMs: 200, fall: 2, rise: 2 },
});

/** What came of requests sent through a data plane, as their client saw it. */
export interface TrafficTally {
  /** Requests answered 2xx by a backend, by the `pool/backend` the answer named. */
  served: Record<string, number>;
  /** Requests with any other outcome (an error status, a refused or cut connection). */
  failed: number;
  /** The failed requests by what befell them (`HTTP 503 PIPER_BALANCER_OVERLOADED`, `ECONNRESET`), for the failure message. */
  failures: Record<string, number>;
}

/**
 * A data plane started for one case, with the means to drive it. Implementations that run on an
 * injected clock say `time: 'manual'`, and the suite checks their timing exactly; `'real'` ones run
 * on the wall clock, and the suite checks only outcomes, waiting for them within a bound (never
 * asserting how long anything took).
 */
export interface DataPlaneUnderTest {
  readonly dataPlane: DataPlane;
  readonly time: 'manual' | 'real';
  /** Lets `ms` pass: moves the manual clock (then lets pending I/O run), or waits on the wall clock. */
  tick(ms: number): Promise<void>;
  /**
   * Sends `count` requests on `route` through the data plane's traffic path and reports who
   * answered each. A real data plane gets real requests on its public listener (`sendRequests`,
   * at most 16 at a time); a double serves them by its own means, but the choice of pool and
   * backend must be the data plane's. The suite expects every request answered: configure the data
   * plane so that it does not shed them when the machine is busy (no adaptive limit, no event-loop
   * guard), since shedding is right under overload but is not what the port is tested for.
   */
  send(route: string, count: number): Promise<TrafficTally>;
  /** Drains a backend as an operator would (admin API, Runtime API `set server state drain`). */
  drain(pool: string, backend: string): Promise<void>;
  /** Stops a backend (its process or server goes away): the data plane must find out on its own. */
  stopBackend(pool: string, backend: string): Promise<void>;
  /**
   * Cuts the port off from a data plane that keeps running (a network partition), and heals it.
   * Required unless the factory says `noPartition`. `code` is the stable error code the port
   * fails with meanwhile.
   */
  readonly partition?: { code: string; cut(): Promise<void>; heal(): Promise<void> };
  /** Stops the data plane, its backends and anything else the factory started. */
  close(): Promise<void>;
}

/** How the suite gets a data plane of one implementation. */
export interface DataPlaneFactory {
  /** Starts a fresh data plane serving `topology` (a new one for every case). */
  start(topology: ConformanceTopology): Promise<DataPlaneUnderTest>;
  /** Why the port cannot be cut off from this data plane (it runs in the same process): the partition case is skipped. */
  noPartition?: string;
}
