/** A handle to a scheduled callback; `cancel()` is idempotent. */
export interface TimerHandle {
  cancel(): void;
}

/**
 * Time, injected. Domain code reads time and schedules work only through a Clock, so tests
 * drive time by hand with {@link ManualClock} and never sleep.
 */
export interface Clock {
  /** Wall-clock milliseconds since the epoch (for records and journals). */
  now(): number;
  /** Monotonic milliseconds with sub-millisecond precision (for durations). */
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  setInterval(fn: () => void, ms: number): TimerHandle;
  /** Resolves after `ms`; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock of the process. Timers are unref'd so they never keep a process alive alone. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  monotonic(): number {
    return performance.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t = globalThis.setTimeout(fn, ms);
    t.unref();
    return { cancel: () => globalThis.clearTimeout(t) };
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    const t = globalThis.setInterval(fn, ms);
    t.unref();
    return { cancel: () => globalThis.clearInterval(t) };
  }

  /**
   * Unlike the timers above, an awaited sleep keeps the process alive: it is work in progress
   * (a drain loop, a backoff). Unref'd, a process whose last handle closed mid-drain would end
   * with its top-level await unsettled (exit code 13).
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn({ setTimeout: refTimeout }, ms, signal);
  }
}

function refTimeout(fn: () => void, ms: number): TimerHandle {
  const t = globalThis.setTimeout(fn, ms);
  return { cancel: () => globalThis.clearTimeout(t) };
}

interface ManualTimer {
  id: number;
  at: number;
  every: number | null;
  fn: () => void;
}

/**
 * A clock that moves only when a test calls `advance`. Timers fire in time order, each seeing
 * `now()` equal to its due time, as they would on a real clock with no delay.
 */
export class ManualClock implements Clock {
  #now: number;
  #start: number;
  #nextId = 1;
  #timers: ManualTimer[] = [];

  constructor(startMs = Date.UTC(2017, 2, 31, 21, 50, 0)) {
    this.#now = startMs;
    this.#start = startMs;
  }

  now(): number {
    return this.#now;
  }

  monotonic(): number {
    return this.#now - this.#start;
  }

  /** Number of timers waiting to fire. */
  get pending(): number {
    return this.#timers.length;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.#add(fn, Math.max(0, ms), null);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.#add(fn, Math.max(1, ms), Math.max(1, ms));
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      const next = this.#earliest();
      if (next === undefined || next.at > target) break;
      this.#now = next.at;
      if (next.every === null) {
        this.#timers = this.#timers.filter((t) => t !== next);
      } else {
        next.at += next.every;
      }
      next.fn();
    }
    this.#now = target;
  }

  /** Moves time forward and lets promise continuations run between timers. */
  async tick(ms: number, stepMs = ms): Promise<void> {
    let left = ms;
    while (left > 0) {
      const step = Math.min(stepMs, left);
      this.advance(step);
      left -= step;
      await flushMicrotasks();
    }
  }

  #earliest(): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const t of this.#timers) {
      if (best === undefined || t.at < best.at || (t.at === best.at && t.id < best.id)) best = t;
    }
    return best;
  }

  #add(fn: () => void, ms: number, every: number | null): TimerHandle {
    const timer: ManualTimer = { id: this.#nextId++, at: this.#now + ms, every, fn };
    this.#timers.push(timer);
    return {
      cancel: () => {
        this.#timers = this.#timers.filter((t) => t !== timer);
      },
    };
  }
}

function sleepOn(clock: Pick<Clock, 'setTimeout'>, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      handle.cancel();
      reject(signal?.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Lets queued promise callbacks run (several turns, for chains of awaits). */
export async function flushMicrotasks(turns = 10): Promise<void> {
  for (let i = 0; i < turns; i++) await Promise.resolve();
}
