import type { TelemetryWindow } from './telemetry-window.ts';

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * One consumer of `WindowAggregator.windows()`: a bounded queue of closed windows read as an
 * async iterator. When the consumer lags by more than `limit` windows, the oldest are dropped,
 * so a stalled reader never grows memory.
 */
export class WindowSubscription implements AsyncIterator<TelemetryWindow, undefined> {
  readonly #limit: number;
  readonly #queue: TelemetryWindow[] = [];
  readonly #signal: AbortSignal | undefined;
  readonly #onEnd: () => void;
  #waiter: ((r: IteratorResult<TelemetryWindow, undefined>) => void) | null = null;
  #ended = false;
  readonly #onAbort = (): void => this.end();

  constructor(limit: number, signal: AbortSignal | undefined, onEnd: () => void) {
    this.#limit = limit;
    this.#signal = signal;
    this.#onEnd = onEnd;
    if (signal?.aborted) this.end();
    else signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  push(w: TelemetryWindow): void {
    if (this.#ended) return;
    if (this.#waiter !== null) {
      const resolve = this.#waiter;
      this.#waiter = null;
      resolve({ done: false, value: w });
      return;
    }
    this.#queue.push(w);
    if (this.#queue.length > this.#limit) this.#queue.shift();
  }

  /** Ends the iteration: windows already queued are still delivered, then `done`. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#onEnd();
    if (this.#waiter !== null) {
      const resolve = this.#waiter;
      this.#waiter = null;
      resolve(DONE);
    }
  }

  next(): Promise<IteratorResult<TelemetryWindow, undefined>> {
    const w = this.#queue.shift();
    if (w !== undefined) return Promise.resolve({ done: false, value: w });
    if (this.#ended) return Promise.resolve(DONE);
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  /** Called by `break` in a for-await loop. */
  return(): Promise<IteratorResult<TelemetryWindow, undefined>> {
    this.#queue.length = 0;
    this.end();
    return Promise.resolve(DONE);
  }
}
