import { type EventLoopUtilization, monitorEventLoopDelay, performance } from 'node:perf_hooks';

type IntervalHistogram = ReturnType<typeof monitorEventLoopDelay>;

/** The generator's own health over the last interval. */
export interface GeneratorSample {
  /** p99 event-loop delay in ms: how late timers and I/O callbacks ran. */
  loopDelayP99Ms: number;
  /** Busy fraction of the event loop, 0..1 (1 = the generator's thread was saturated). */
  utilization: number;
}

/** Measures the health of the thread it runs on; `sample()` covers the time since the last call. */
export interface GeneratorProbe {
  sample(): GeneratorSample;
  close(): void;
}

/** Probe on `perf_hooks`: event-loop delay histogram and event-loop utilization of this thread. */
export class EventLoopProbe implements GeneratorProbe {
  readonly #delay: IntervalHistogram;
  #elu: EventLoopUtilization;
  #closed = false;

  constructor() {
    this.#delay = monitorEventLoopDelay({ resolution: 10 });
    this.#delay.enable();
    this.#elu = performance.eventLoopUtilization();
  }

  sample(): GeneratorSample {
    const loopDelayP99Ms = this.#delay.count > 0 ? this.#delay.percentile(99) / 1e6 : 0;
    this.#delay.reset();
    const now = performance.eventLoopUtilization();
    const utilization = performance.eventLoopUtilization(now, this.#elu).utilization;
    this.#elu = now;
    return { loopDelayP99Ms, utilization };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#delay.disable();
  }
}

/** A probe that reports an idle generator (for tests whose clock is not the real one). */
export class IdleProbe implements GeneratorProbe {
  sample(): GeneratorSample {
    return { loopDelayP99Ms: 0, utilization: 0 };
  }

  close(): void {}
}
