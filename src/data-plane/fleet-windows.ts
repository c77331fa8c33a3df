import { type Clock, type Logger, silentLogger, type TimerHandle } from '../core/index.ts';
import type { TelemetryWindow } from '../telemetry/index.ts';
import type { DataPlane } from './data-plane.ts';

/** A named data plane of a fleet. */
export interface FleetMember {
  name: string;
  dataPlane: DataPlane;
}

/**
 * Merges one second's windows of several members (telemetry's `mergeWindows`, handed in by the
 * composition: this part names telemetry's types but runs none of its code).
 */
export type WindowMerge = (windows: readonly TelemetryWindow[], missing: readonly string[]) => TelemetryWindow;

export interface FleetWindowsOptions {
  members: readonly FleetMember[];
  merge: WindowMerge;
  clock: Clock;
  logger?: Logger;
  /**
   * How long after a second ends its window waits for a member that has not sent its own
   * (default 1.5 s: a remote member's window crosses the network after it closes).
   */
  graceMs?: number;
  /** Pause before a member's broken window stream is opened again (default 1 s). */
  reconnectMs?: number;
}

/** The windows of one second, as they arrive from the members. */
interface OpenSecond {
  byMember: Map<string, TelemetryWindow>;
  timer: TimerHandle;
}

/** Merged windows kept for a subscriber that lags, at most (as WindowAggregator keeps). */
const LAG_LIMIT = 300;

/**
 * The members' window streams merged per second (`mergeWindows`): a second is handed on as soon
 * as every member sent its window, or `graceMs` after it ended with the ones that came, marked
 * incomplete and naming who sent none. Seconds go out in order; a window that comes after its
 * second went out is dropped. A member's stream that breaks (a remote member unreachable) is
 * opened again every `reconnectMs`. The streams are opened on the first subscriber.
 */
export class FleetWindows {
  readonly #members: readonly FleetMember[];
  readonly #merge: WindowMerge;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #graceMs: number;
  readonly #reconnectMs: number;
  readonly #abort = new AbortController();
  readonly #open = new Map<number, OpenSecond>();
  readonly #listeners = new Set<(w: TelemetryWindow) => void>();
  /** The newest second handed on: anything at or before it is late. */
  #sent = Number.NEGATIVE_INFINITY;
  #started = false;

  constructor(o: FleetWindowsOptions) {
    this.#members = o.members;
    this.#merge = o.merge;
    this.#clock = o.clock;
    this.#log = (o.logger ?? silentLogger()).child({ part: 'fleet' });
    this.#graceMs = o.graceMs ?? 1500;
    this.#reconnectMs = o.reconnectMs ?? 1000;
  }

  /** Calls `fn` with each merged window; returns the unsubscribe function. */
  onWindow(fn: (w: TelemetryWindow) => void): () => void {
    this.#listeners.add(fn);
    this.#start();
    return () => this.#listeners.delete(fn);
  }

  /** The merged windows as they go out; ends when the signal aborts or the fleet closes. A reader that lags loses the oldest. */
  async *windows(signal?: AbortSignal): AsyncIterable<TelemetryWindow> {
    const stop = signal === undefined ? this.#abort.signal : AbortSignal.any([signal, this.#abort.signal]);
    const queue: TelemetryWindow[] = [];
    let wake = (): void => undefined;
    const off = this.onWindow((w) => {
      queue.push(w);
      if (queue.length > LAG_LIMIT) queue.shift();
      wake();
    });
    const onStop = (): void => wake();
    stop.addEventListener('abort', onStop);
    try {
      while (!stop.aborted) {
        const w = queue.shift();
        if (w !== undefined) yield w;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      off();
      stop.removeEventListener('abort', onStop);
    }
  }

  /** Ends the members' streams and every subscriber's iteration. Idempotent. */
  close(): void {
    this.#abort.abort(new Error('fleet closed'));
    for (const second of this.#open.values()) second.timer.cancel();
    this.#open.clear();
  }

  #start(): void {
    if (this.#started || this.#abort.signal.aborted) return;
    this.#started = true;
    for (const m of this.#members) void this.#pump(m);
  }

  async #pump(member: FleetMember): Promise<void> {
    const signal = this.#abort.signal;
    let failures = 0;
    while (!signal.aborted) {
      try {
        for await (const w of member.dataPlane.windows(signal)) {
          failures = 0;
          this.#arrive(member.name, w);
        }
      } catch (err) {
        // Logged when the stream first breaks and every minute after, not once a second.
        if (failures++ % 60 === 0) this.#log.warn({ err, member: member.name }, 'window stream of a data plane broke');
      }
      if (signal.aborted) return;
      await this.#clock.sleep(this.#reconnectMs, signal).catch(() => undefined);
    }
  }

  #arrive(member: string, w: TelemetryWindow): void {
    if (w.start <= this.#sent) {
      this.#log.debug({ member, start: w.start }, 'window came after its second was merged');
      return;
    }
    let second = this.#open.get(w.start);
    if (second === undefined) {
      const wait = Math.max(0, w.start + w.durationMs + this.#graceMs - this.#clock.now());
      const start = w.start;
      second = { byMember: new Map(), timer: this.#clock.setTimeout(() => this.#flushThrough(start), wait) };
      this.#open.set(w.start, second);
    }
    second.byMember.set(member, w);
    if (second.byMember.size === this.#members.length) this.#flushThrough(w.start);
  }

  /** Hands on every open second up to `start`, oldest first: a later second never overtakes an earlier one. */
  #flushThrough(start: number): void {
    const due = [...this.#open.keys()].filter((s) => s <= start).sort((a, b) => a - b);
    for (const s of due) {
      const second = this.#open.get(s) as OpenSecond;
      this.#open.delete(s);
      second.timer.cancel();
      const missing = this.#members.filter((m) => !second.byMember.has(m.name)).map((m) => m.name);
      const merged = this.#merge(
        this.#members.flatMap((m) => second.byMember.get(m.name) ?? []),
        missing,
      );
      this.#sent = s;
      for (const fn of this.#listeners) fn(merged);
    }
  }
}
