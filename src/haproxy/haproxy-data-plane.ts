import type { PiperConfig, RouteConfig } from '../config/index.ts';
import { type Clock, isPiperError, type Logger, PiperError, type Random, silentLogger, type TimerHandle } from '../core/index.ts';
import type {
  BackendHealth,
  DataPlane,
  DataPlaneEvent,
  DataPlaneEventData,
  DataPlaneEventKind,
  DataPlaneSnapshot,
  SetSplitOptions,
  Split,
  SplitOrigin,
} from '../data-plane/index.ts';
import type { InProgressWindow, TelemetryWindow } from '../telemetry/index.ts';
import { GUARD_SHOW_COMMAND, type GuardReport, guardBeatCommand, parseGuardShow } from './dead-man-guard.ts';
import { serverName } from './haproxy-names.ts';
import { haproxySnapshot, reportedSplit, type RouteView } from './haproxy-snapshot.ts';
import type { HaproxyTelemetry } from './haproxy-telemetry.ts';
import { RuntimeApiClient } from './runtime-api-client.ts';
import { showServersStateCommand } from './runtime-api-command.ts';
import { parseInfo } from './runtime-api-output.ts';
import { parseServersState, type ServerState } from './servers-state.ts';
import { routePools } from './route-order.ts';
import { checkSplit, invalidSplit, routeWeights } from './route-split.ts';
import { applySplitSession, type GuardChange, weightsOf } from './split-session.ts';
import { dataPlaneErrors } from '../data-plane/index.ts';
import { haproxyErrors } from './haproxy-errors.ts';

export interface HaproxyDataPlaneOptions {
  /** The config HAProxy runs (rendered by `renderHaproxyConfig`): routes, pools, their servers. */
  config: PiperConfig;
  /** The stats socket (admin level). */
  client: RuntimeApiClient;
  /** HAProxy's windows; the data plane closes it with itself. */
  telemetry: HaproxyTelemetry;
  clock: Clock;
  /** Jitter of the heartbeat client's back-off. */
  random: Random;
  logger?: Logger;
  /** Between reads of HAProxy's servers and guards, in ms (default 1000). */
  pollIntervalMs?: number;
}

type Listener = (event: DataPlaneEvent) => void;

interface RouteRecord {
  config: RouteConfig;
  /** The split as HAProxy last reported it. */
  split: Split;
  /** Why HAProxy holds that split (the port's `splitOrigin`). */
  origin: SplitOrigin;
  /** What piper last applied and HAProxy read back: re-applied to a new worker. Null until piper sets the route. */
  applied: { asked: Split; weights: Readonly<Record<string, number>> } | null;
  deadMan: { safeSplit: Split; timeoutMs: number; lastHeartbeat: number; weights: Readonly<Record<string, number>> } | null;
  beating: boolean;
}

/**
 * A socket failure a retry may cure (HAProxy restarting, gone, or cut off): the client's own
 * verdict, which it retried on. A refusal, an answer it could not read, or a socket the system
 * will never connect to (a path too long) is no sign of HAProxy being away.
 */
function unreachable(err: unknown): err is PiperError {
  return isPiperError(err) && err.retryable;
}

/**
 * The DataPlane port on HAProxy (docs/haproxy.md, "Running piper on HAProxy"). Splits become
 * server weights set over the Runtime API in one session with the dead-man guard, read back, and
 * only then reported and emitted as `split.changed` with what HAProxy reported; HAProxy's log lines
 * are the windows (HaproxyTelemetry). Once a second it reads `show info`, `show servers state` and
 * the guard: a new worker (HAProxy restarted) gets the current splits, drains and guards again
 * (`haproxy.reattached`), and a guard that fired becomes `deadman.reverted`.
 */
export class HaproxyDataPlane implements DataPlane {
  readonly #o: HaproxyDataPlaneOptions;
  readonly #client: RuntimeApiClient;
  readonly #beats: RuntimeApiClient;
  readonly #telemetry: HaproxyTelemetry;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #routes = new Map<string, RouteRecord>();
  readonly #drained = new Set<string>();
  readonly #listeners = new Set<Listener>();
  readonly #health = new Map<string, BackendHealth>();
  #pid: string | null = null;
  #firedSeen = 0;
  #unreachable: { since: number; error: PiperError } | null = null;
  /** The worker's pid before a reattach that has not gone through yet (retried at each poll), or null. */
  #reattachFrom: string | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #polling = false;
  #timer: TimerHandle | null = null;
  #beatFailures = 0;
  #closed = false;

  private constructor(o: HaproxyDataPlaneOptions) {
    this.#o = o;
    this.#client = o.client;
    this.#telemetry = o.telemetry;
    this.#clock = o.clock;
    this.#log = (o.logger ?? silentLogger()).child({ part: 'haproxy' });
    // A heartbeat is sent every second: one attempt, the next beat is the retry.
    this.#beats = new RuntimeApiClient({ address: o.client.address, clock: o.clock, random: o.random, attempts: 1 });
    const origin: SplitOrigin = { kind: 'config', at: o.clock.now() };
    for (const r of o.config.routes)
      this.#routes.set(r.name, { config: r, split: r.split, origin, applied: null, deadMan: null, beating: false });
  }

  /** Reads HAProxy's state once (so the first snapshot is HAProxy's), then every `pollIntervalMs`. */
  static async start(o: HaproxyDataPlaneOptions): Promise<HaproxyDataPlane> {
    const dp = new HaproxyDataPlane(o);
    await dp.#serial(() => dp.#poll());
    dp.#timer = o.clock.setInterval(() => dp.#schedulePoll(), o.pollIntervalMs ?? 1000);
    return dp;
  }

  /** Subscribes to the data plane's events (for the journal); returns the unsubscribe function. */
  onEvent(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The HAProxy telemetry behind `windows()` (its counts, live state and recent windows). */
  get telemetry(): HaproxyTelemetry {
    return this.#telemetry;
  }

  /** Since when, and why, HAProxy's Runtime API does not answer; null while it does. */
  get unreachable(): { since: number; code: string; message: string } | null {
    const u = this.#unreachable;
    return u === null ? null : { since: u.since, code: u.error.code, message: u.error.message };
  }

  snapshot(): DataPlaneSnapshot {
    const views = new Map<string, RouteView>();
    for (const [name, r] of this.#routes) {
      const dm = r.deadMan;
      views.set(name, {
        split: r.split,
        splitOrigin: r.origin,
        deadMan: dm === null ? null : { safeSplit: dm.safeSplit, timeoutMs: dm.timeoutMs, lastHeartbeat: dm.lastHeartbeat },
      });
    }
    return haproxySnapshot(this.#clock.now(), this.#o.config, views, this.#telemetry.live().state);
  }

  async setSplit(routeName: string, split: Split, reason: string, options: SetSplitOptions = {}): Promise<void> {
    const r = this.#route(routeName);
    const asked = checkSplit(split, r.config, Object.keys(this.#o.config.pools), 'split');
    if (typeof reason !== 'string' || reason.trim() === '') throw invalidSplit('a reason is required to change a split');
    let guard: GuardChange = 'keep';
    let safe: { split: Split; weights: Record<string, number>; timeoutMs: number } | null = null;
    if (options.deadMan === null) guard = 'disarm';
    else if (options.deadMan !== undefined) {
      const t = options.deadMan.timeoutMs;
      if (!Number.isInteger(t) || t < 100 || t > 3_600_000)
        throw invalidSplit(`deadMan.timeoutMs must be an integer from 100 to 3600000, got ${String(t)}`);
      const safeSplit = checkSplit(options.deadMan.safeSplit, r.config, Object.keys(this.#o.config.pools), 'deadMan.safeSplit');
      safe = { split: safeSplit, weights: routeWeights(this.#o.config, r.config, safeSplit), timeoutMs: t };
      guard = { arm: { timeoutMs: t, weights: safe.weights } };
    }
    const weights = routeWeights(this.#o.config, r.config, asked);
    const actor = options.actor ?? 'operator';
    await this.#serial(async () => {
      // The guard's countdown starts when HAProxy takes the arm command: no earlier than this.
      const armedAt = this.#clock.now();
      const applied = await this.#session(() => applySplitSession(this.#client, routeName, weights, guard));
      const from = r.split;
      r.split = reportedSplit(r.config, Object.values(applied.servers));
      r.applied = { asked, weights };
      r.origin = { kind: 'api', at: this.#clock.now() };
      if (guard === 'disarm') r.deadMan = null;
      else if (safe !== null)
        r.deadMan = { safeSplit: safe.split, timeoutMs: safe.timeoutMs, lastHeartbeat: armedAt, weights: safe.weights };
      const deadMan = r.deadMan === null ? null : { safeSplit: r.deadMan.safeSplit, timeoutMs: r.deadMan.timeoutMs };
      this.#log.info({ route: routeName, from, to: r.split, asked, reason, actor }, 'split changed');
      this.#emit('split.changed', routeName, { from, to: r.split, asked, weights: weightsOf(applied.servers), reason, deadMan }, actor);
    });
  }

  heartbeat(routeName: string): void {
    const r = this.#routes.get(routeName);
    if (r === undefined || r.deadMan === null || r.beating || this.#closed) return;
    r.beating = true;
    this.#beats
      .execute([guardBeatCommand(routeName)])
      .then(([out]) => {
        if ((out as string[]).length > 0) throw new PiperError(haproxyErrors.PIPER_HAPROXY_COMMAND_FAILED, (out as string[]).join(' '));
        // Fed once HAProxy answered: the guard had it by then. A millisecond clock may not have
        // moved since the last one; each acknowledged beat still moves it forward.
        const dm = r.deadMan;
        if (dm !== null) dm.lastHeartbeat = Math.max(this.#clock.now(), dm.lastHeartbeat + 1);
        this.#beatFailures = 0;
      })
      .catch((err: unknown) => {
        // The guard reverts on its own if beats stop arriving: log, never throw.
        if (this.#beatFailures++ % 10 === 0)
          this.#log.warn({ err, route: routeName, failures: this.#beatFailures }, 'heartbeat to the dead-man guard failed');
      })
      .finally(() => {
        r.beating = false;
      });
  }

  /** Windows from HAProxy's log lines; the stream fails with PIPER_HAPROXY_UNREACHABLE while the Runtime API does not answer. */
  async *windows(signal?: AbortSignal): AsyncIterable<TelemetryWindow> {
    if (this.#unreachable !== null) throw this.#unreachableError();
    for await (const w of this.#telemetry.windows(signal)) {
      // Without the socket, lost lines cannot be counted and splits cannot be steered: the
      // stream fails as a remote data plane's does, and the controller holds.
      if (this.#unreachable !== null) throw this.#unreachableError();
      yield w;
    }
  }

  inProgress(): InProgressWindow {
    return this.#telemetry.inProgress();
  }

  /** Stops new requests to a backend in every route holding its pool (`set server … state drain`). */
  drain(pool: string, backend: string, actor = 'operator'): Promise<void> {
    return this.#setState(pool, backend, 'drain', actor);
  }

  /** Gives a drained backend traffic again (`state ready`). */
  undrain(pool: string, backend: string, actor = 'operator'): Promise<void> {
    return this.#setState(pool, backend, 'ready', actor);
  }

  /** Stops polling and closes the telemetry. HAProxy keeps its weights and its guards. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#timer?.cancel();
    await this.#queue.catch(() => undefined);
    await this.#telemetry.close();
  }

  // ── polling and reattaching ─────────────────────────────────────────────

  #schedulePoll(): void {
    if (this.#polling || this.#closed) return;
    this.#polling = true;
    void this.#serial(() => this.#poll()).finally(() => {
      this.#polling = false;
    });
  }

  async #poll(): Promise<void> {
    if (this.#closed) return;
    let info: Readonly<Record<string, string>>;
    let servers: ServerState[];
    let guard: GuardReport | null = null;
    try {
      const blocks = await this.#client.execute(['show info', showServersStateCommand(), GUARD_SHOW_COMMAND]);
      info = parseInfo(blocks[0] as string[]);
      servers = parseServersState(blocks[1] as string[]);
      try {
        guard = parseGuardShow(blocks[2] as string[]);
      } catch (err) {
        if (!isPiperError(err, 'PIPER_HAPROXY_NO_GUARD')) throw err;
      }
    } catch (err) {
      this.#markUnreachable(err);
      return;
    }
    if (this.#unreachable !== null) {
      this.#log.info({ since: this.#unreachable.since }, 'HAProxy answers again');
      this.#unreachable = null;
    }
    const pid = info.Pid ?? '';
    const previous = this.#pid;
    this.#pid = pid;
    if (previous !== null && previous !== pid) {
      this.#firedSeen = 0;
      await this.#reattach(previous, pid);
      return;
    }
    if (previous === null) this.#firedSeen = Math.max(0, ...(guard?.fired.map((f) => f.seq) ?? []));
    if (guard !== null) this.#noteFired(guard, servers);
    this.#adopt(servers);
    if (previous === null) this.#firstOrigins(guard, servers);
    if (this.#reattachFrom !== null) await this.#reattach(this.#reattachFrom, pid);
    this.#noteHealth();
  }

  /** Takes each route's split from what HAProxy reports. */
  #adopt(servers: readonly ServerState[]): void {
    for (const [name, r] of this.#routes)
      r.split = reportedSplit(
        r.config,
        servers.filter((s) => s.backend === name),
      );
  }

  /**
   * Why each route has the split HAProxy holds when piper first looks: HAProxy outlives piper, so
   * weights piper set before it restarted, or a guard's revert while it was away, are still there.
   */
  #firstOrigins(guard: GuardReport | null, servers: readonly ServerState[]): void {
    const now = this.#clock.now();
    for (const [name, r] of this.#routes) {
      const own = servers.filter((s) => s.backend === name);
      const fired = guard?.fired.filter((f) => f.route === name).at(-1);
      if (guard?.armed.has(name) === true || own.some((s) => s.weight !== s.initialWeight)) r.origin = { kind: 'api', at: now };
      else if (fired !== undefined) r.origin = { kind: 'dead-man', at: now - fired.agoMs };
    }
  }

  /** Reverts the guard made on its own since the last look: journaled, and the record follows HAProxy. */
  #noteFired(guard: GuardReport, servers: readonly ServerState[]): void {
    for (const f of guard.fired) {
      if (f.seq <= this.#firedSeen) continue;
      this.#firedSeen = f.seq;
      const r = this.#routes.get(f.route);
      if (r === undefined || r.deadMan === null) continue;
      const dm = r.deadMan;
      const from = r.split;
      const to = reportedSplit(
        r.config,
        servers.filter((s) => s.backend === f.route),
      );
      r.deadMan = null;
      r.applied = { asked: dm.safeSplit, weights: dm.weights };
      r.split = to;
      r.origin = { kind: 'dead-man', at: this.#clock.now() - f.agoMs };
      const reason = `dead-man: no heartbeat for ${f.silentMs} ms`;
      this.#log.warn({ route: f.route, from, to, silentMs: f.silentMs }, 'dead-man guard reverted the route in HAProxy');
      this.#emit('split.changed', f.route, { from, to, reason, deadMan: null, safeSplit: dm.safeSplit }, 'haproxy');
      this.#emit(
        'deadman.reverted',
        f.route,
        { from, to, safeSplit: dm.safeSplit, silentMs: f.silentMs, timeoutMs: f.timeoutMs },
        'haproxy',
      );
    }
  }

  /** A new HAProxy worker (restarted, reloaded): the current splits, guards and drains again. */
  async #reattach(previousPid: string, pid: string): Promise<void> {
    const reapplied: DataPlaneEventData['haproxy.reattached']['reapplied'] = {};
    try {
      for (const [name, r] of this.#routes) {
        // A new worker starts on haproxy.cfg: the config's split, unless piper set one to put back.
        if (r.applied === null) {
          r.origin = { kind: 'config', at: this.#clock.now() };
          continue;
        }
        const dm = r.deadMan;
        const guard: GuardChange = dm === null ? 'keep' : { arm: { timeoutMs: dm.timeoutMs, weights: dm.weights } };
        const applied = await applySplitSession(this.#client, name, r.applied.weights, guard);
        r.split = reportedSplit(r.config, Object.values(applied.servers));
        if (dm !== null) dm.lastHeartbeat = this.#clock.now();
        reapplied[name] = {
          split: r.split,
          asked: r.applied.asked,
          guard: dm === null ? null : { timeoutMs: dm.timeoutMs, safeSplit: dm.safeSplit },
        };
      }
      for (const key of this.#drained) {
        const [pool, backend] = key.split('/') as [string, string];
        for (const route of this.#routesHolding(pool)) await this.#client.applyStates(route, { [serverName(pool, backend)]: 'drain' });
      }
    } catch (err) {
      // Retried at the next poll: a change HAProxy did not take is not reported as done.
      this.#reattachFrom = previousPid;
      if (unreachable(err)) this.#markUnreachable(err);
      this.#log.error({ err, pid }, 're-applying the splits to HAProxy failed; retrying');
      return;
    }
    this.#reattachFrom = null;
    this.#log.warn({ previousPid, pid, routes: Object.keys(reapplied) }, 'reattached to HAProxy; splits re-applied');
    this.#emit('haproxy.reattached', 'haproxy', { previousPid, pid, reapplied, drained: [...this.#drained] }, 'haproxy');
  }

  #noteHealth(): void {
    for (const pool of this.snapshot().pools) {
      for (const b of pool.backends) {
        const key = `${pool.name}/${b.name}`;
        const before = this.#health.get(key);
        this.#health.set(key, b.health);
        if (before === undefined || before === b.health) continue;
        if (b.health === 'unhealthy')
          this.#emit('backend.down', key, { pool: pool.name, backend: b.name, from: before, to: b.health, reason: b.reason }, 'haproxy');
        else if (before === 'unhealthy' && b.health === 'healthy')
          this.#emit('backend.up', key, { pool: pool.name, backend: b.name, from: before, to: b.health }, 'haproxy');
      }
    }
  }

  #markUnreachable(err: unknown): void {
    const error = isPiperError(err) ? err : new PiperError(haproxyErrors.PIPER_HAPROXY_BAD_RESPONSE, String(err));
    if (!unreachable(error)) {
      this.#log.error({ err: error }, 'reading HAProxy state failed');
      return;
    }
    if (this.#unreachable === null) {
      this.#log.error({ err: error }, 'HAProxy does not answer on its stats socket');
      this.#unreachable = { since: this.#clock.now(), error };
    }
  }

  // ── helpers ─────────────────────────────────────────────────────────────

  async #setState(pool: string, backend: string, state: 'drain' | 'ready', actor: string): Promise<void> {
    const p = this.#o.config.pools[pool];
    if (p === undefined) throw new PiperError(dataPlaneErrors.PIPER_BALANCER_UNKNOWN_POOL, `no pool named "${pool}"`);
    if (!p.backends.some((b) => b.name === backend)) {
      throw new PiperError(dataPlaneErrors.PIPER_BALANCER_UNKNOWN_BACKEND, `no backend "${backend}" in pool "${pool}"`);
    }
    await this.#serial(async () => {
      for (const route of this.#routesHolding(pool)) {
        await this.#session(() => this.#client.applyStates(route, { [serverName(pool, backend)]: state }));
      }
      const key = `${pool}/${backend}`;
      if (state === 'drain') this.#drained.add(key);
      else this.#drained.delete(key);
      this.#emit(state === 'drain' ? 'backend.drained' : 'backend.undrained', key, { pool, backend }, actor);
    });
    await this.#telemetry.pollNow();
  }

  /** Runs a Runtime API call; a socket failure after the client's retries becomes PIPER_HAPROXY_UNREACHABLE. */
  async #session<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (unreachable(err)) {
        this.#markUnreachable(err);
        throw this.#unreachableError(err);
      }
      throw err;
    }
  }

  #unreachableError(cause: PiperError | undefined = this.#unreachable?.error): PiperError {
    return new PiperError(
      haproxyErrors.PIPER_HAPROXY_UNREACHABLE,
      `HAProxy's Runtime API does not answer: ${cause?.message ?? 'no answer'}`,
      {
        ...(cause === undefined ? {} : { cause }),
        details: { since: this.#unreachable?.since ?? this.#clock.now(), socketCode: cause?.code ?? null },
      },
    );
  }

  #routesHolding(pool: string): string[] {
    return [...this.#routes.values()]
      .filter((r) => routePools(r.config, Object.keys(this.#o.config.pools)).includes(pool))
      .map((r) => r.config.name);
  }

  #route(name: string): RouteRecord {
    const r = this.#routes.get(name);
    if (r === undefined) {
      throw new PiperError(
        dataPlaneErrors.PIPER_BALANCER_UNKNOWN_ROUTE,
        `no route named "${name}" (routes: ${[...this.#routes.keys()].join(', ') || 'none'})`,
      );
    }
    return r;
  }

  #emit<K extends DataPlaneEventKind>(kind: K, subject: string, data: DataPlaneEventData[K], actor: string): void {
    // The parameters are typed per kind; TypeScript cannot relate a generic K to its union member.
    const event = { time: this.#clock.now(), kind, subject, data, actor } as DataPlaneEvent;
    for (const l of this.#listeners) {
      try {
        l(event);
      } catch (err) {
        this.#log.error({ err }, 'event listener failed');
      }
    }
  }

  /** Runs state changes and polls one at a time, so a record always matches what HAProxy last took. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
