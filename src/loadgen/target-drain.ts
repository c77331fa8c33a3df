import type { Clock, Random } from '../core/index.ts';
import type { HttpSenderKind } from './http-sender.ts';
import type { runLoad } from './load-run.ts';
import type { RequestSpec } from './request-mix.ts';

/** Options of {@link drainTarget}. */
export interface DrainOptions {
  target: string;
  requests: readonly RequestSpec[];
  clock: Clock;
  random: Random;
  run: typeof runLoad;
  /** Latency bound of the SLO, ms: a probe well under it means no backlog worth the name. */
  boundMs: number;
  /** Give up waiting after this long (the next trial then starts anyway). */
  maxMs: number;
  httpSender?: HttpSenderKind;
  signal?: AbortSignal;
}

/** One probe round: one request at a time for this long. */
const ROUND_MS = 300;

/**
 * Waits until the target has worked off the queue a trial left behind: a server that keeps
 * serving requests whose clients gave up (most do) still holds an overloaded trial's backlog
 * when the next trial starts, and fails it for the previous one's sake. Probes one request at a
 * time (a closed model adds no backlog) in rounds of 300 ms; done when the median probe answers
 * under a quarter of the bound, or stops getting faster (no backlog left to drain, the target is
 * just that slow), or after `maxMs`. Returns how long it waited, ms.
 */
export async function drainTarget(o: DrainOptions): Promise<number> {
  const start = o.clock.monotonic();
  let previous = Number.POSITIVE_INFINITY;
  while (o.signal?.aborted !== true && o.clock.monotonic() - start < o.maxMs) {
    const r = await o.run({
      target: o.target,
      requests: o.requests,
      model: { kind: 'closed', concurrency: 1, durationMs: ROUND_MS },
      clock: o.clock,
      random: o.random,
      connections: 1,
      timeoutMs: Math.max(1000, o.maxMs),
      ...(o.httpSender === undefined ? {} : { httpSender: o.httpSender }),
      ...(o.signal === undefined ? {} : { signal: o.signal }),
    });
    const p50 = r.counts.completed + r.counts.failed > 0 ? r.latency.p50 : Number.POSITIVE_INFINITY;
    if (p50 < o.boundMs / 4) break;
    if (p50 < o.boundMs && p50 > 0.8 * previous) break;
    previous = p50;
  }
  return o.clock.monotonic() - start;
}
