import { type Clock, isPiperError, type Logger, PiperError, silentLogger, type TimerHandle } from '../core/index.ts';
import type { TelemetryWindow } from '../telemetry/index.ts';
import type { DataPlane, DataPlaneSnapshot, FleetMemberState, PoolState, RouteState, SetSplitOptions, Split } from './data-plane.ts';
import type { DataPlaneEvent, DataPlaneEventData } from './data-plane-event.ts';
import { type FleetMember, FleetWindows, type WindowMerge } from './fleet-windows.ts';
import { dataPlaneErrors } from './data-plane-errors.ts';

/** Each member's answer to one split: what `split.acknowledged` journals. */
export type SplitAcks = DataPlaneEventData['split.acknowledged']['members'];

export interface FleetDataPlaneOptions {
  members: readonly FleetMember[];
  clock: Clock;
  merge: WindowMerge;
  logger?: Logger;
  /** How often a split a member missed is sent to it again (default 1 s). */
  retryMs?: number;
  /** How long a second's window waits for a member's (default 1.5 s after the second ends). */
  windowGraceMs?: number;
  /** Why a member is unreachable now (a remote member's last failed poll), or null. */
  reachability?: (member: string) => string | null;
}

/** The split a route was last asked for, while some member has not taken it. */
interface PendingSplit {
  split: Split;
  reason: string;
  options: SetSplitOptions;
  acks: SplitAcks;
  timer: TimerHandle;
  /** A retry is on its way (a member's call may take up to its time limit, longer than `retryMs`). */
  sending: boolean;
  /** Members whose refusal is not retryable (an unknown route, an invalid split): sending again would not mend it. */
  refused: Set<string>;
}

/** Whether sending the split again may land where this failure did not: asked of the error, not of a list of codes. */
function mayPass(err: Error): boolean {
  return !isPiperError(err) || err.retryable;
}

/**
 * Several data planes serving the same routes, driven as one through the port (docs/data-plane.md,
 * "A fleet of data planes"). A split goes to every member at once, with the same term, and
 * resolves only when each acknowledged it; otherwise it fails with PIPER_FLEET_SPLIT_INCOMPLETE
 * (retryable) naming who did not, and the members that missed it get it again every `retryMs`
 * for as long as it is the newest split asked for the route, so a rollback reaches a member that
 * was unreachable for a while. Each split's acknowledgements are a `split.acknowledged` event.
 * Windows are merged per second across members (FleetWindows).
 */
export class FleetDataPlane implements DataPlane {
  readonly #members: readonly FleetMember[];
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #retryMs: number;
  readonly #reachability: (member: string) => string | null;
  readonly #windows: FleetWindows;
  readonly #pending = new Map<string, PendingSplit>();
  readonly #acks = new Map<string, SplitAcks>();
  /** The last error of each member's last call, cleared by its next success. */
  readonly #errors = new Map<string, string>();
  /** Splits to one member for one route go one after another, so an older one cannot land after a newer one. */
  readonly #queues = new Map<string, Promise<unknown>>();
  readonly #listeners = new Set<(e: DataPlaneEvent) => void>();
  /** What the last `split.acknowledged` of each route said (split, term, guard, who took it). */
  readonly #reported = new Map<string, string>();
  #closed = false;

  constructor(o: FleetDataPlaneOptions) {
    if (o.members.length === 0) throw new RangeError('a fleet needs at least one data plane');
    this.#members = o.members;
    this.#clock = o.clock;
    this.#log = (o.logger ?? silentLogger()).child({ part: 'fleet' });
    this.#retryMs = o.retryMs ?? 1000;
    this.#reachability = o.reachability ?? (() => null);
    this.#windows = new FleetWindows({
      members: o.members,
      merge: o.merge,
      clock: o.clock,
      logger: this.#log,
      ...(o.windowGraceMs !== undefined ? { graceMs: o.windowGraceMs } : {}),
    });
  }

  /** Subscribes to the fleet's events (`split.acknowledged`); returns the unsubscribe function. */
  onEvent(listener: (e: DataPlaneEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Each member's acknowledgement of the route's last split, or undefined before any. */
  lastAcks(route: string): SplitAcks | undefined {
    return this.#acks.get(route);
  }

  async setSplit(route: string, split: Split, reason: string, options: SetSplitOptions = {}): Promise<void> {
    // A newer split replaces the retries of an older one: only the newest asked may still land.
    this.#pending.get(route)?.timer.cancel();
    this.#pending.delete(route);
    const acks: SplitAcks = {};
    const results = await Promise.all(this.#members.map((m) => this.#send(m, route, split, reason, options)));
    this.#members.forEach((m, i) => {
      const err = results[i] ?? null;
      acks[m.name] = err === null ? { ok: true, at: this.#clock.now() } : { ok: false, at: this.#clock.now(), error: err.message };
    });
    const stale = results.find((err) => isPiperError(err, 'PIPER_SPLIT_STALE_TERM'));
    this.#acks.set(route, acks);
    const complete = results.every((e) => e === null);
    this.#emitAcks(route, split, reason, options, acks, complete);
    // A member that follows a newer leader: this one is deposed, and retrying would be refused forever.
    if (stale !== undefined) throw stale;
    if (complete) return;
    const refused = new Set(this.#members.filter((_, i) => results[i] != null && !mayPass(results[i] as Error)).map((m) => m.name));
    const again = this.#members.filter((m, i) => results[i] != null && !refused.has(m.name)).length > 0;
    if (again && !this.#closed && !this.#pending.has(route)) {
      const timer = this.#clock.setInterval(() => void this.#retry(route), this.#retryMs);
      this.#pending.set(route, { split, reason, options, acks, timer, sending: false, refused });
    }
    const missed = this.#members.filter((_, i) => results[i] !== null).map((m) => `${m.name} (${acks[m.name]?.error})`);
    throw new PiperError(
      dataPlaneErrors.PIPER_FLEET_SPLIT_INCOMPLETE,
      `split of ${route} not acknowledged by ${missed.join(', ')}; ${again ? `it is sent to those that may take it again every ${this.#retryMs} ms while it is the newest` : 'none of them would take it if sent again'}`,
      { details: { route, members: acks } },
    );
  }

  heartbeat(route: string, term?: number, leader?: string): void {
    for (const m of this.#members) m.dataPlane.heartbeat(route, term, leader);
  }

  /**
   * Announces a newly elected leader's term to every member. Rejects with PIPER_SPLIT_STALE_TERM
   * when a member already follows a newer term; a member that cannot be reached gets the term
   * with the next split or heartbeat instead.
   */
  async announceTerm(term: number, leader: string): Promise<void> {
    const results = await Promise.allSettled(this.#members.map(async (m) => m.dataPlane.announceTerm?.(term, leader)));
    results.forEach((r, i) => {
      if (r.status === 'rejected') this.#log.warn({ err: r.reason, member: this.#members[i]?.name, term }, 'term announcement failed');
    });
    const stale = results.find((r) => r.status === 'rejected' && isPiperError(r.reason, 'PIPER_SPLIT_STALE_TERM'));
    if (stale !== undefined) throw (stale as PromiseRejectedResult).reason;
  }

  /** Re-reads every member's state now; a member that cannot be reached stays as it was last seen. */
  async refresh(): Promise<void> {
    await Promise.allSettled(this.#members.map(async (m) => m.dataPlane.refresh?.()));
  }

  /**
   * The routes and pools as the first reachable member sees them, each route with every member's
   * split and guard (`members`, null for one unreachable) so that a disagreement shows; pools'
   * in-flight counts summed over the members; `members` says who is reachable.
   */
  snapshot(): DataPlaneSnapshot {
    const views = this.#members.map((m) => ({ member: m, error: this.#reachability(m.name), state: m.dataPlane.snapshot() }));
    const base = views.find((v) => v.error === null && v.state.routes.length > 0) ?? views.find((v) => v.error === null) ?? views[0];
    const state = (base as (typeof views)[number]).state;
    const reachable = views.filter((v) => v.error === null);
    const routes: RouteState[] = state.routes.map((r) => ({
      ...r,
      members: Object.fromEntries(
        views.map((v) => {
          const mine = v.error === null ? v.state.routes.find((x) => x.name === r.name) : undefined;
          return [v.member.name, mine === undefined ? null : { split: mine.split, deadMan: mine.deadMan }];
        }),
      ),
    }));
    const pools: PoolState[] = state.pools.map((p) => {
      const same = reachable.map((v) => v.state.pools.find((x) => x.name === p.name)).filter((x) => x !== undefined);
      return { ...p, inFlight: same.reduce((n, x) => n + x.inFlight, 0), queued: same.reduce((n, x) => n + x.queued, 0) };
    });
    const members: FleetMemberState[] = views.map((v) => ({
      name: v.member.name,
      reachable: v.error === null,
      error: v.error ?? this.#errors.get(v.member.name) ?? null,
      ...(v.state.term !== undefined ? { term: v.state.term } : {}),
    }));
    const terms = reachable.flatMap((v) => (v.state.term === undefined ? [] : [{ term: v.state.term, leader: v.state.leader ?? null }]));
    const newest = terms.sort((a, b) => b.term - a.term)[0];
    return { at: this.#clock.now(), routes, pools, members, ...(newest !== undefined ? newest : {}) };
  }

  windows(signal?: AbortSignal): AsyncIterable<TelemetryWindow> {
    return this.#windows.windows(signal);
  }

  /** Each merged window as it goes out (what `piper up` feeds its alerts and metrics with); returns the unsubscribe function. */
  onWindow(fn: (w: TelemetryWindow) => void): () => void {
    return this.#windows.onWindow(fn);
  }

  /** Stops retries and window streams; the members themselves are their owners' to close. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of this.#pending.values()) p.timer.cancel();
    this.#pending.clear();
    this.#windows.close();
  }

  /** Sends a split to one member after the ones before it; resolves its error, or null when it took it. */
  #send(m: FleetMember, route: string, split: Split, reason: string, options: SetSplitOptions): Promise<Error | null> {
    const key = `${m.name}\u0000${route}`;
    const run = (this.#queues.get(key) ?? Promise.resolve()).then(() => m.dataPlane.setSplit(route, split, reason, options));
    const settled = run.then(
      () => {
        this.#errors.delete(m.name);
        return null;
      },
      (err: unknown) => {
        const e = err instanceof Error ? err : new Error(String(err));
        this.#errors.set(m.name, e.message);
        return e;
      },
    );
    this.#queues.set(key, settled);
    void settled.then(() => {
      if (this.#queues.get(key) === settled) this.#queues.delete(key);
    });
    return settled;
  }

  /** Sends the route's newest split again to the members that have not taken it. */
  async #retry(route: string): Promise<void> {
    const p = this.#pending.get(route);
    if (p === undefined || p.sending) return;
    const missing = this.#members.filter((m) => p.acks[m.name]?.ok !== true && !p.refused.has(m.name));
    p.sending = true;
    const results = await Promise.all(missing.map((m) => this.#send(m, route, p.split, p.reason, p.options)));
    p.sending = false;
    // A newer split replaced this one meanwhile: its own acknowledgements are what counts now.
    if (this.#pending.get(route) !== p) return;
    let changed = false;
    missing.forEach((m, i) => {
      const err = results[i];
      if (err === null) {
        p.acks[m.name] = { ok: true, at: this.#clock.now() };
        changed = true;
        this.#log.info({ member: m.name, route }, 'a data plane took the split it had missed');
      } else if (isPiperError(err, 'PIPER_SPLIT_STALE_TERM')) {
        // A newer leader steers that member: this split must not land there.
        p.timer.cancel();
        this.#pending.delete(route);
      } else if (err !== undefined && !mayPass(err)) {
        p.refused.add(m.name);
      }
    });
    // Nothing left that a retry could land: every member took it, or refused it for good.
    if (this.#members.every((m) => p.acks[m.name]?.ok === true || p.refused.has(m.name))) {
      p.timer.cancel();
      this.#pending.delete(route);
    }
    if (!changed) return;
    this.#emitAcks(
      route,
      p.split,
      p.reason,
      p.options,
      p.acks,
      this.#members.every((m) => p.acks[m.name]?.ok === true),
    );
  }

  /**
   * Reports a split's acknowledgements, unless they say what the route's last report said: a
   * controller re-sends a split each second while a member is away, and the journal needs the
   * change, not one event a second.
   */
  #emitAcks(route: string, split: Split, reason: string, options: SetSplitOptions, acks: SplitAcks, complete: boolean): void {
    const took = Object.keys(acks).filter((name) => acks[name]?.ok === true);
    const outcome = JSON.stringify([split, options.term ?? null, options.deadMan ?? null, took]);
    if (this.#reported.get(route) === outcome) return;
    this.#reported.set(route, outcome);
    const e: DataPlaneEvent<'split.acknowledged'> = {
      time: this.#clock.now(),
      kind: 'split.acknowledged',
      subject: route,
      actor: options.actor ?? 'operator',
      data: { split, term: options.term ?? null, reason, complete, members: structuredClone(acks) },
    };
    for (const l of this.#listeners) l(e);
  }
}
