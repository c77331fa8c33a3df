import type { Clock } from '../../core/index.ts';
import type { DataPlaneEvent } from '../../data-plane/index.ts';
import {
  type DataPlaneSnapshot,
  type InProgressWindow,
  type RefusedCommand,
  type SetSplitOptions,
  type Split,
  TermFence,
} from '../../data-plane/index.ts';
import type { TelemetryWindow } from '../../telemetry/index.ts';
import type { ServedDataPlane, ServedPort } from './served-data-plane.ts';

/**
 * Any data plane `piper up` serves with (its balancer or HAProxy), fenced by leader term on the
 * control path: splits, heartbeats and term announcements from an older term are refused with
 * PIPER_SPLIT_STALE_TERM before they reach the data plane. The request path is not touched.
 */
export class FencedPort implements ServedPort {
  readonly #inner: ServedPort;
  readonly #fence: TermFence;
  /** Splits are fenced and applied one at a time, so an older term's split cannot land after a newer one's. */
  #splits: Promise<unknown> = Promise.resolve();
  readonly telemetry: ServedPort['telemetry'];
  readonly inProgress?: () => InProgressWindow;

  constructor(inner: ServedPort, onRefused: (refused: RefusedCommand, sender: string | undefined) => void) {
    this.#inner = inner;
    this.#fence = new TermFence(onRefused);
    this.telemetry = inner.telemetry;
    const open = inner.inProgress;
    if (open !== undefined) this.inProgress = () => open.call(inner);
  }

  snapshot(): DataPlaneSnapshot {
    const s = this.#inner.snapshot();
    const term = this.#fence.term;
    return term === undefined ? s : { ...s, term, leader: this.#fence.leader };
  }

  setSplit(route: string, split: Split, reason: string, options: SetSplitOptions = {}): Promise<void> {
    const run = this.#splits.then(async () => {
      this.#fence.admitSplit(route, split, options.term, options.leader);
      await this.#inner.setSplit(route, split, reason, options);
    });
    this.#splits = run.catch(() => undefined);
    return run;
  }

  /**
   * A deposed leader's heartbeat does not reach the guard, which keeps counting. The port's
   * heartbeat never throws: the refusal is reported as `split.refused`, and the admin API answers
   * it with 409 from the term the snapshot shows.
   */
  heartbeat(route: string, term?: number, leader?: string): void {
    try {
      this.#fence.admitHeartbeat(route, term, leader);
    } catch {
      return;
    }
    this.#inner.heartbeat(route);
  }

  async announceTerm(term: number, leader: string): Promise<void> {
    this.#fence.announce(term, leader);
  }

  windows(signal?: AbortSignal): AsyncIterable<TelemetryWindow> {
    return this.#inner.windows(signal);
  }

  drain(pool: string, backend: string, actor?: string): void | Promise<void> {
    return this.#inner.drain(pool, backend, actor);
  }

  undrain(pool: string, backend: string, actor?: string): void | Promise<void> {
    return this.#inner.undrain(pool, backend, actor);
  }
}

/**
 * The same data plane with its port fenced by leader term (FencedPort): what `piper up` hands to
 * the admin API and the controller. A refusal is a `split.refused` event, actor the deposed sender.
 */
export function fencedDataPlane(served: ServedDataPlane, clock: Clock): ServedDataPlane {
  const listeners = new Set<(e: DataPlaneEvent) => void>();
  const port = new FencedPort(served.port, (refused, sender) => {
    const e: DataPlaneEvent = {
      time: clock.now(),
      kind: 'split.refused',
      subject: refused.route ?? 'term',
      data: refused,
      actor: sender ?? 'unknown',
    };
    for (const l of listeners) l(e);
  });
  return {
    ...served,
    port,
    onEvent(listener) {
      listeners.add(listener);
      const off = served.onEvent(listener);
      return () => {
        listeners.delete(listener);
        off();
      };
    },
  };
}
