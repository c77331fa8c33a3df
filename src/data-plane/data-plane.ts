import type { InProgressWindow, TelemetryWindow } from '../telemetry/index.ts';

export type { InProgressCounts, InProgressWindow } from '../telemetry/index.ts';

/** A route's traffic split: weight by pool name (integers; shares are proportional). */
export type Split = Readonly<Record<string, number>>;

export type BackendHealth = 'healthy' | 'unhealthy' | 'ejected' | 'draining' | 'unknown';

export interface BackendState {
  name: string;
  url: string;
  weight: number;
  health: BackendHealth;
  /** Why the backend is not healthy (last check error, ejection reason). */
  reason: string | null;
  /** Epoch ms when an ejection ends, or null. */
  ejectedUntil: number | null;
  ejections: number;
  inFlight: number;
  /** The upstream connection pool: sockets open, requests running on them, requests waiting for one. */
  upstream?: { connected: number; running: number; pending: number };
}

export interface PoolState {
  name: string;
  backends: readonly BackendState[];
  healthyBackends: number;
  concurrencyLimit: number;
  inFlight: number;
  queued: number;
}

/**
 * Why a route has its split, and since when: `config`, the data plane (re)started on the split of
 * piper.yaml and nobody set it since; `api`, a `setSplit`; `dead-man`, its guard reverted the
 * route. A controller back after a restart tells a data plane that restarted from one whose guard
 * fired by it: both show the safe split with no guard.
 */
export interface SplitOrigin {
  kind: 'config' | 'api' | 'dead-man';
  at: number;
}

export interface RouteState {
  name: string;
  host: string;
  pathPrefix: string;
  split: Split;
  splitOrigin: SplitOrigin;
  failover: readonly string[];
  /** Set while a dead-man guard is armed on the route (during a migration). */
  deadMan: { safeSplit: Split; timeoutMs: number; lastHeartbeat: number } | null;
  /** A fleet's view: each member's split and guard, so that a disagreement shows (null: unreachable). */
  members?: Readonly<Record<string, { split: Split; deadMan: RouteState['deadMan'] } | null>>;
}

export interface DataPlaneSnapshot {
  at: number;
  routes: readonly RouteState[];
  pools: readonly PoolState[];
  /** The newest leader term the data plane has seen (fencing), absent until a leader announced one. */
  term?: number;
  /** The control plane that sent `term`, or null when its sender gave no name. */
  leader?: string | null;
  /** A fleet's members: each member's reachability (routes list each member's split in `members`). */
  members?: readonly FleetMemberState[];
}

/** One member of a fleet of data planes as the fleet last saw it. */
export interface FleetMemberState {
  name: string;
  reachable: boolean;
  /** Why it is unreachable (the last error), or null. */
  error: string | null;
  term?: number;
}

export interface SetSplitOptions {
  /** Who asked (operator name, `rollout`). */
  actor?: string;
  /**
   * Arms the dead-man guard: if no `heartbeat(route)` arrives for `deadManMs`, the data plane
   * reverts the route to `safeSplit` on its own. Passing null disarms it.
   */
  deadMan?: { safeSplit: Split; timeoutMs: number } | null;
  /**
   * The sending leader's term (fencing): a data plane refuses a split from a term older than the
   * newest it has seen, so a deposed leader cannot undo its successor's work. Absent: an
   * operator's manual split, always taken.
   */
  term?: number;
  /** The leader that sends `term` (named in the refusal a deposed leader gets). */
  leader?: string;
}

/**
 * The port the migration controller drives (DESIGN.md). The in-process balancer implements it;
 * remote balancers and HAProxy's Runtime API can later implement the same port. It lives in a part
 * of its own so that the controller never imports a data plane, only the port.
 */
export interface DataPlane {
  snapshot(): DataPlaneSnapshot;
  /** Atomically replaces a route's split; journaled with the reason. */
  setSplit(route: string, split: Split, reason: string, options?: SetSplitOptions): Promise<void>;
  /**
   * Keeps a route's dead-man guard from firing; never throws. With a term, a heartbeat from a term
   * older than the newest seen is dropped (the guard keeps counting), so a deposed leader cannot hold it.
   */
  heartbeat(route: string, term?: number, leader?: string): void;
  /**
   * Optional: raises the data plane's term without a split (a newly elected leader announces its
   * term to every data plane at once). Rejects with PIPER_SPLIT_STALE_TERM when `term` is older.
   */
  announceTerm?(term: number, leader: string): Promise<void>;
  /**
   * Optional, for an adapter that caches the state `snapshot()` returns (a remote data plane): reads
   * it again now. A controller calls it before it recovers, so that it never judges a route by a
   * snapshot taken before it was paused (it would re-apply a split a dead-man guard reverted since).
   */
  refresh?(): Promise<void>;
  /** One window per second, as they close. Ends when the data plane closes or the signal aborts. */
  windows(signal?: AbortSignal): AsyncIterable<TelemetryWindow>;
  /**
   * Optional: the open window's per-pool counts so far (cheap, synchronous). A controller that
   * finds it polls it several times a window to roll back a hard failure before the window
   * closes; without it, it acts on closed windows only (e.g. over a remote admin API).
   */
  inProgress?(): InProgressWindow;
}
