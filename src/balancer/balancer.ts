import type { PiperConfig } from '../config/index.ts';
import { type Clock, type Logger, PiperError, type Random } from '../core/index.ts';
import { type InProgressWindow, type TelemetryProbe, type TelemetryWindow, WindowAggregator } from '../telemetry/index.ts';
import type { BackendRuntime } from './backend-runtime.ts';
import { BalancerEventKind, type DataPlaneEventListener, EventFanout } from './balancer-events.ts';
import { BodyBufferBudget } from './body-buffer-budget.ts';
import type {
  DataPlane,
  DataPlaneEvent,
  DataPlaneEventData,
  DataPlaneEventKind,
  DataPlaneSnapshot,
  SetSplitOptions,
  Split,
} from '../data-plane/index.ts';
import type { RequestHandler } from './downstream-connection.ts';
import { EventLoopGuard } from './event-loop-guard.ts';
import type { HealthProbe } from './health-checker.ts';
import { PoolRuntime } from './pool-runtime.ts';
import { PublicListener } from './public-listener.ts';
import { createRequestPipeline, type RequestPipeline } from './request-pipeline.ts';
import { RouteRuntime, sortRoutes } from './route-runtime.ts';
import { RoutingState } from './routing-state.ts';
import { validateSplit } from './split-validation.ts';
import { dataPlaneErrors } from '../data-plane/index.ts';

export interface BalancerOptions {
  config: PiperConfig;
  clock: Clock;
  random: Random;
  logger: Logger;
  /** Replaces the HTTP health probe (tests). */
  healthProbe?: HealthProbe;
  /** False: backends get no upstream connections (unit tests of the control side). */
  connect?: boolean;
}

/** A listener the balancer is serving on. */
export interface ListeningAddress {
  name: string;
  url: string;
  port: number;
}

// A pool with no healthy backend is reported at most this often per route.
const NO_BACKEND_EVENT_INTERVAL_MS = 10_000;

/**
 * The in-process data plane: public listeners, routes and pools, health, admission, telemetry.
 * Implements the `DataPlane` port the migration controller drives, and emits a `DataPlaneEvent`
 * for every split change, ejection, readmission, health change, drain and dead-man revert.
 */
export class Balancer implements DataPlane {
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #log: Logger;
  readonly #events: EventFanout;
  readonly #guard: EventLoopGuard;
  readonly #telemetry: WindowAggregator;
  readonly #listeners: PublicListener[] = [];
  readonly #healthProbe: HealthProbe | undefined;
  readonly #connect: boolean;
  readonly #noBackendReported = new Map<string, number>();
  readonly #bodyBudget: BodyBufferBudget;
  #config: PiperConfig;
  #state: RoutingState;
  #started = false;
  #closing: Promise<void> | null = null;
  /** The request handler of the public listeners. */
  readonly handler: RequestHandler;
  readonly #pipeline: RequestPipeline;

  constructor(o: BalancerOptions) {
    this.#clock = o.clock;
    this.#random = o.random;
    this.#log = o.logger.child({ part: 'balancer' });
    this.#config = o.config;
    this.#healthProbe = o.healthProbe;
    this.#connect = o.connect !== false;
    this.#events = new EventFanout((err) => this.#log.error({ err }, 'event listener failed'));
    this.#guard = new EventLoopGuard(o.clock, o.config.overload.eventLoopLag);
    this.#telemetry = new WindowAggregator({ clock: o.clock, windowMs: 1000, retain: 300, probe: () => this.#probe() });
    this.#state = this.#build(o.config, null);
    this.#bodyBudget = new BodyBufferBudget(o.config.requestBody.bufferTotal);
    this.#pipeline = createRequestPipeline({
      clock: o.clock,
      random: o.random,
      logger: this.#log,
      guard: this.#guard,
      bodyBudget: this.#bodyBudget,
      state: () => this.#state,
      retryAfterSeconds: () => Math.max(1, Math.ceil(this.#config.overload.retryAfter / 1000)),
      accessLogSample: () => (this.#config.logging.accessLog.enabled ? this.#config.logging.accessLog.sample : 0),
      record: (outcome) => {
        if (outcome.route !== '') this.#telemetry.record(outcome);
      },
      noHealthyBackend: (route) => this.#reportNoBackend(route),
      spilled: (pool) => this.#telemetry.recordSpill(pool.name),
    });
    this.handler = this.#pipeline.handler;
  }

  /** The telemetry windows of this balancer (for /metrics and the windows API). */
  get telemetry(): WindowAggregator {
    return this.#telemetry;
  }

  /** The config currently applied. */
  get config(): PiperConfig {
    return this.#config;
  }

  /** Starts health checks and the event-loop guard. Idempotent. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#guard.start();
    for (const pool of this.#state.pools.values()) pool.start();
  }

  /**
   * Starts the configured public listeners. `portOverride` replaces the first listener's port
   * (0 = any free port). Resolves with the addresses actually bound.
   */
  async listen(portOverride?: number): Promise<ListeningAddress[]> {
    this.start();
    const out: ListeningAddress[] = [];
    for (const [i, l] of this.#config.listeners.entries()) {
      const listener = new PublicListener(
        l.name,
        this.handler,
        this.#config.timeouts,
        this.#config.overload.maxConnections,
        this.#clock,
        this.#config.requestBody,
      );
      this.#listeners.push(listener);
      out.push(await listener.listen(i === 0 && portOverride !== undefined ? portOverride : l.port, l.address));
    }
    return out;
  }

  /** Subscribes to data-plane events; returns the unsubscribe function. */
  onEvent(listener: DataPlaneEventListener): () => void {
    return this.#events.add(listener);
  }

  snapshot(): DataPlaneSnapshot {
    return {
      at: this.#clock.now(),
      routes: this.#state.routes.map((r) => r.snapshot()),
      pools: [...this.#state.pools.values()].map((p) => p.snapshot()),
    };
  }

  async setSplit(routeName: string, split: Split, reason: string, options: SetSplitOptions = {}): Promise<void> {
    const route = this.#route(routeName);
    const pools = new Set(this.#state.pools.keys());
    const clean = validateSplit(split, pools, 'split');
    if (typeof reason !== 'string' || reason.trim() === '') {
      throw new PiperError(dataPlaneErrors.PIPER_BALANCER_INVALID_SPLIT, 'a reason is required to change a split');
    }
    let safeSplit: Split | null = null;
    if (options.deadMan) {
      safeSplit = validateSplit(options.deadMan.safeSplit, pools, 'deadMan.safeSplit');
      const t = options.deadMan.timeoutMs;
      if (!Number.isInteger(t) || t < 100 || t > 3_600_000) {
        throw new PiperError(
          dataPlaneErrors.PIPER_BALANCER_INVALID_SPLIT,
          `deadMan.timeoutMs must be an integer from 100 to 3600000, got ${String(t)}`,
        );
      }
    }
    const actor = options.actor ?? 'operator';
    const from = route.split;
    route.setSplit(clean, { kind: 'api', at: this.#clock.now() });
    this.#pipeline.splitChanged(route, from);
    if (options.deadMan === null) this.#disarm(route);
    else if (options.deadMan && safeSplit !== null) this.#arm(route, safeSplit, options.deadMan.timeoutMs);
    this.#log.info({ route: route.name, from, to: clean, reason, actor }, 'split changed');
    this.#emit(BalancerEventKind.splitChanged, route.name, { from, to: clean, reason, deadMan: route.snapshot().deadMan }, actor);
  }

  heartbeat(routeName: string): void {
    const route = this.#route(routeName);
    const dm = route.deadMan;
    if (dm === null) return;
    dm.lastHeartbeat = this.#clock.now();
    dm.timer.cancel();
    dm.timer = this.#clock.setTimeout(() => this.#revert(route), dm.timeoutMs);
  }

  windows(signal?: AbortSignal): AsyncIterable<TelemetryWindow> {
    return this.#telemetry.windows(signal);
  }

  /** The open telemetry window's per-pool counts so far (the rollout's fast path reads it every 100 ms). */
  inProgress(): InProgressWindow {
    return this.#telemetry.inProgress();
  }

  /** Stops sending new requests to a backend (in-flight ones finish). */
  drain(poolName: string, backendName: string, actor = 'operator'): void {
    const backend = this.#backend(poolName, backendName);
    if (backend.draining) return;
    backend.draining = true;
    this.#emit(BalancerEventKind.backendDrained, backend.key, { pool: poolName, backend: backendName }, actor);
  }

  /** Gives a drained backend traffic again (slow start applies). */
  undrain(poolName: string, backendName: string, actor = 'operator'): void {
    const backend = this.#backend(poolName, backendName);
    if (!backend.draining) return;
    backend.draining = false;
    backend.admittedAt = this.#clock.monotonic();
    this.#emit(BalancerEventKind.backendUndrained, backend.key, { pool: poolName, backend: backendName }, actor);
  }

  /**
   * Applies a new config without dropping a connection: routes and pools are rebuilt and swapped
   * in whole; backends with the same URL and weight keep their connections, health and ejection;
   * a route keeps its current split unless its configured split changed. Listener addresses
   * are fixed at start (changing them needs a restart); their timeouts apply at once.
   */
  async reload(config: PiperConfig, actor = 'operator'): Promise<void> {
    const old = this.#state;
    const next = this.#build(config, { state: old, config: this.#config });
    this.#config = config;
    this.#state = next;
    for (const l of this.#listeners) {
      l.applyTimeouts(config.timeouts);
      l.bodyLimits = { ...config.requestBody };
    }
    this.#bodyBudget.cap = config.requestBody.bufferTotal;
    this.#guard.close();
    if (this.#started) {
      this.#guard.start();
      for (const pool of next.pools.values()) pool.start();
    }
    const kept = new Set<BackendRuntime>();
    for (const pool of next.pools.values()) for (const b of pool.backends) kept.add(b);
    for (const r of old.routes) if (!next.route(r.name)) this.#disarm(r);
    await Promise.all([...old.pools.values()].map((p) => p.close(kept, false)));
    this.#emit(BalancerEventKind.configReloaded, 'config', { routes: next.routes.length, pools: next.pools.size }, actor);
  }

  /** Stops listeners (draining in-flight requests for up to `graceMs`), timers and connections. Idempotent. */
  close(graceMs = 10_000): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.all(this.#listeners.map((l) => l.close(graceMs, (ms, signal) => this.#clock.sleep(ms, signal))));
      this.#guard.close();
      this.#pipeline.close();
      for (const r of this.#state.routes) this.#disarm(r);
      await Promise.all([...this.#state.pools.values()].map((p) => p.close()));
      this.#telemetry.close();
    })();
    return this.#closing;
  }

  #build(config: PiperConfig, previous: { state: RoutingState; config: PiperConfig } | null): RoutingState {
    const pools = new Map<string, PoolRuntime>();
    const timeouts = config.timeouts;
    const sameTimeouts =
      previous !== null &&
      previous.config.timeouts.connect === timeouts.connect &&
      previous.config.timeouts.upstreamHeaders === timeouts.upstreamHeaders &&
      previous.config.timeouts.upstreamBody === timeouts.upstreamBody;
    for (const [name, poolConfig] of Object.entries(config.pools)) {
      const prior = previous?.state.pools.get(name);
      pools.set(
        name,
        new PoolRuntime({
          name,
          config: poolConfig,
          timeouts,
          clock: this.#clock,
          random: this.#random,
          connect: this.#connect,
          keepConnections: sameTimeouts,
          saturated: () => this.#guard.saturated,
          ...(prior ? { previous: new Map(prior.backends.map((b) => [b.name, b])) } : {}),
          ...(this.#healthProbe ? { probe: this.#healthProbe } : {}),
          onEjection: {
            ejected: (b, reason, durationMs) => {
              this.#telemetry.recordEjection(b.pool, b.name);
              this.#log.warn({ pool: b.pool, backend: b.name, reason, durationMs }, 'backend ejected');
              this.#emit(
                BalancerEventKind.backendEjected,
                b.key,
                { pool: b.pool, backend: b.name, reason, durationMs, ejections: b.ejections },
                'balancer',
              );
            },
            readmitted: (b) => {
              this.#log.info({ pool: b.pool, backend: b.name }, 'backend readmitted');
              this.#emit(BalancerEventKind.backendReadmitted, b.key, { pool: b.pool, backend: b.name }, 'balancer');
            },
          },
          onHealthChange: (b, from, to, reason) => {
            this.#log.warn({ pool: b.pool, backend: b.name, from, to, reason }, 'backend health changed');
            const kind = to === 'healthy' ? BalancerEventKind.backendUp : BalancerEventKind.backendDown;
            this.#emit(kind, b.key, { pool: b.pool, backend: b.name, from, to, reason }, 'balancer');
          },
        }),
      );
    }
    const routes = config.routes.map((rc) => {
      const prior = previous?.state.route(rc.name);
      const priorConfig = previous?.config.routes.find((r) => r.name === rc.name);
      const keepSplit = prior !== undefined && priorConfig !== undefined && sameSplit(priorConfig.split, rc.split);
      const route = keepSplit
        ? new RouteRuntime(rc, prior.split, prior.splitOrigin)
        : new RouteRuntime(rc, Object.freeze({ ...rc.split }), { kind: 'config', at: this.#clock.now() });
      if (prior?.deadMan && keepSplit) {
        route.deadMan = prior.deadMan;
        prior.deadMan.timer.cancel();
        route.deadMan.timer = this.#clock.setTimeout(
          () => this.#revert(route),
          Math.max(0, route.deadMan.lastHeartbeat + route.deadMan.timeoutMs - this.#clock.now()),
        );
        prior.deadMan = null;
      }
      return route;
    });
    return new RoutingState(sortRoutes(routes), pools);
  }

  #arm(route: RouteRuntime, safeSplit: Split, timeoutMs: number): void {
    this.#disarm(route);
    route.deadMan = {
      safeSplit,
      timeoutMs,
      lastHeartbeat: this.#clock.now(),
      timer: this.#clock.setTimeout(() => this.#revert(route), timeoutMs),
    };
  }

  #disarm(route: RouteRuntime): void {
    route.deadMan?.timer.cancel();
    route.deadMan = null;
  }

  /** The dead-man fired: the controller went silent, so the route goes back to its safe split. */
  #revert(route: RouteRuntime): void {
    const dm = route.deadMan;
    if (dm === null) return;
    route.deadMan = null;
    const from = route.split;
    const silentMs = this.#clock.now() - dm.lastHeartbeat;
    route.setSplit(dm.safeSplit, { kind: 'dead-man', at: this.#clock.now() });
    this.#pipeline.splitChanged(route, from);
    const reason = `dead-man: no heartbeat for ${silentMs} ms`;
    this.#log.warn({ route: route.name, from, to: dm.safeSplit, silentMs }, 'dead-man revert');
    this.#emit(BalancerEventKind.splitChanged, route.name, { from, to: dm.safeSplit, reason, deadMan: null }, 'balancer');
    this.#emit(BalancerEventKind.deadManReverted, route.name, { from, to: dm.safeSplit, silentMs, timeoutMs: dm.timeoutMs }, 'balancer');
  }

  #reportNoBackend(route: RouteRuntime): void {
    const now = this.#clock.now();
    const last = this.#noBackendReported.get(route.name);
    if (last !== undefined && now - last < NO_BACKEND_EVENT_INTERVAL_MS) return;
    this.#noBackendReported.set(route.name, now);
    const pools = [...new Set([...route.poolNames.filter((p) => (route.split[p] ?? 0) > 0), ...route.config.failover])];
    this.#log.error({ route: route.name, pools }, 'no healthy backend');
    this.#emit(BalancerEventKind.poolNoHealthyBackend, pools.join(','), { route: route.name, pools }, 'balancer');
  }

  #emit<K extends DataPlaneEventKind>(kind: K, subject: string, data: DataPlaneEventData[K], actor: string): void {
    // The parameters are typed per kind; TypeScript cannot relate a generic K to its union member.
    const event = { time: this.#clock.now(), kind, subject, data, actor } as DataPlaneEvent;
    this.#events.emit(event);
  }

  #route(name: string): RouteRuntime {
    const route = this.#state.route(name);
    if (route === undefined) {
      throw new PiperError(
        dataPlaneErrors.PIPER_BALANCER_UNKNOWN_ROUTE,
        `no route named "${name}" (routes: ${this.#state.routes.map((r) => r.name).join(', ') || 'none'})`,
      );
    }
    return route;
  }

  #backend(poolName: string, backendName: string): BackendRuntime {
    const pool = this.#state.pools.get(poolName);
    if (pool === undefined) {
      throw new PiperError(dataPlaneErrors.PIPER_BALANCER_UNKNOWN_POOL, `no pool named "${poolName}"`);
    }
    const backend = pool.backend(backendName);
    if (backend === undefined) {
      throw new PiperError(dataPlaneErrors.PIPER_BALANCER_UNKNOWN_BACKEND, `pool "${poolName}" has no backend named "${backendName}"`);
    }
    return backend;
  }

  #probe(): TelemetryProbe {
    const routes: Record<string, { inFlight: number }> = {};
    for (const r of this.#state.routes) routes[r.name] = { inFlight: r.active };
    const pools: TelemetryProbe['pools'] = {};
    const backends: TelemetryProbe['backends'] = {};
    for (const p of this.#state.pools.values()) {
      pools[p.name] = {
        inFlight: p.admission.inFlight,
        healthyBackends: p.routableBackends,
        totalBackends: p.backends.length,
        concurrencyLimit: p.admission.limit,
      };
      for (const b of p.backends) backends[b.key] = { pool: p.name, health: b.health, inFlight: b.inFlight };
    }
    return { routes, pools, backends };
  }
}

function sameSplit(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
