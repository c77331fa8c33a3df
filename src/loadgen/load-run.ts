import { Worker } from 'node:worker_threads';
import { type Clock, PiperError, type Random } from '../core/index.ts';
import { type ArrivalProcess, planDurationMs, type RatePlan } from './arrival-schedule.ts';
import { EventLoopProbe, type GeneratorProbe } from './generator-probe.ts';
import { createHttpSender, type HttpSenderKind } from './http-sender.ts';
import { httpAnswers, type IntervalReport } from './interval-report.ts';
import { LoadAggregate, type LoadCounts, type TimelinePoint } from './load-aggregate.ts';
import { type JudgedWindow, LoadLoop, type WorkloadModel } from './load-loop.ts';
import type { GeneratorHealth, LoadResult, SaturationSignals } from './load-result.ts';
import type { FromWorker, LoadWorkerData, ToWorker } from './load-worker.ts';
import { RequestMix, type RequestSpec } from './request-mix.ts';
import type { RequestSender } from './request-sender.ts';
import { errorRatio, evaluateThresholds, type Threshold } from './threshold.ts';
import { loadgenErrors } from './loadgen-errors.ts';

/** The workload of a run, before it is split across workers. */
export type LoadModel =
  | { kind: 'open'; plan: RatePlan /** Evenly spaced (default) or Poisson arrivals. */; arrivals?: ArrivalProcess }
  | { kind: 'closed'; concurrency: number; durationMs: number };

/** What the progress callback sees after each interval. */
export interface LoadProgress {
  point: TimelinePoint;
  elapsedMs: number;
  plannedMs: number;
  counts: LoadCounts;
  /** Whole-run latency percentiles so far (from intended send), ms. */
  p50Ms: number;
  p99Ms: number;
}

/** Options of {@link runLoad}. */
export interface RunLoadOptions {
  /** Origin (and optional base path) to load: `http://127.0.0.1:8080`. */
  target: string;
  requests: readonly RequestSpec[];
  model: LoadModel;
  clock: Clock;
  random: Random;
  /** Generator threads; 1 runs in this thread (default). */
  workers?: number;
  /** Keep-alive connections in total (split across workers). Default 128. */
  connections?: number;
  /** Requests in flight at most, in total; beyond it arrivals are counted unsent. Default 10,000. */
  maxInFlight?: number;
  /** Per-request timeout from hand-off to the client. Default 10 s. */
  timeoutMs?: number;
  thresholds?: readonly Threshold[];
  /** Abort when some threshold has been breached in every interval for this long. */
  abortAfterMs?: number;
  /** Counts requests due from `fromMs` against `boundMs` apart (capacity verdicts). */
  judge?: JudgedWindow;
  /** Start of the tail used for the saturation check (ms). Default: a third of the plan. */
  tailFromMs?: number;
  intervalMs?: number;
  signal?: AbortSignal;
  onProgress?: (progress: LoadProgress) => void;
  /** HTTP client: `raw` (default for http://) or `undici` (default for https://). */
  httpSender?: HttpSenderKind;
  /** In-process only: a sender other than HTTP (tests). */
  sender?: RequestSender;
  /** In-process only: a generator probe other than the event loop's (tests on a ManualClock). */
  probe?: GeneratorProbe;
}

/** Answers ÷ offered over the tail below this means the target fell behind (with in-flight growth). */
export const MIN_ACHIEVED_RATIO = 0.97;

/** Send lag p99 beyond which the generator, not the target, set the pace (ANCHORS §2.5). */
const MAX_SEND_LAG_P99_MS = 5;

/**
 * Runs one load test to its end (or an abort) and returns what it measured. Open model by
 * default; latency from intended send; bookkeeping exact; thresholds evaluated at the end and,
 * with `abortAfterMs`, on every interval.
 */
export async function runLoad(options: RunLoadOptions): Promise<LoadResult> {
  const workers = Math.max(1, Math.floor(options.workers ?? 1));
  const intervalMs = options.intervalMs ?? 1000;
  const connections = options.connections ?? 128;
  const maxInFlight = options.maxInFlight ?? 10_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (workers > 1 && (options.sender !== undefined || options.probe !== undefined)) {
    throw new PiperError(loadgenErrors.PIPER_LOADGEN_INVALID_OPTIONS, 'workers: a custom sender or probe works only with workers = 1');
  }
  if (options.requests.length === 0) throw new PiperError(loadgenErrors.PIPER_LOADGEN_INVALID_OPTIONS, 'requests: at least one is needed');
  const plannedMs = options.model.kind === 'open' ? planDurationMs(options.model.plan) : options.model.durationMs;
  const tailFromMs = options.tailFromMs ?? plannedMs / 3;
  const thresholds = options.thresholds ?? [];
  const clock = options.clock;
  let start = clock.monotonic();
  const stopper = new AbortController();
  let aborted: string | null = null;
  const stop = (reason: string): void => {
    if (aborted !== null) return;
    aborted = reason;
    stopper.abort();
  };
  const onOuterAbort = (): void => stop('interrupted');
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (options.signal?.aborted) stop('interrupted');

  let breachSinceMs: number | null = null;
  const aggregate = new LoadAggregate(workers, intervalMs, (point, counts, latency) => {
    if (thresholds.length > 0 && options.abortAfterMs !== undefined && counts.scheduled > 0) {
      const failing = evaluateThresholds(thresholds, counts, latency).filter((r) => !r.passed);
      if (failing.length === 0) breachSinceMs = null;
      else {
        breachSinceMs ??= point.atS * 1000;
        if (point.atS * 1000 + point.spanS * 1000 - breachSinceMs >= options.abortAfterMs) {
          stop(`threshold ${failing.map((f) => f.threshold).join(', ')} breached for ${Math.round(options.abortAfterMs / 1000)}s`);
        }
      }
    }
    options.onProgress?.({
      point,
      elapsedMs: clock.monotonic() - start,
      plannedMs,
      counts: aggregate.counts,
      p50Ms: aggregate.latency.percentile(50),
      p99Ms: aggregate.latency.percentile(99),
    });
  });

  try {
    const common = { maxInFlight, timeoutMs, tailFromMs, tailUntilMs: plannedMs, intervalMs, judge: options.judge };
    if (workers === 1) {
      await runInProcess(options, common, connections, aggregate, stopper.signal);
    } else {
      await runInWorkers(options, common, workers, connections, aggregate, stopper.signal, () => {
        // Thread start-up is not part of the run.
        start = clock.monotonic();
      });
    }
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
  aggregate.flush();
  const durationMs = clock.monotonic() - start;
  return buildResult(options, aggregate, { workers, plannedMs, durationMs, thresholds, aborted });
}

interface CommonLoopOptions {
  maxInFlight: number;
  timeoutMs: number;
  tailFromMs: number;
  tailUntilMs: number;
  intervalMs: number;
  judge: JudgedWindow | undefined;
}

async function runInProcess(
  options: RunLoadOptions,
  common: CommonLoopOptions,
  connections: number,
  aggregate: LoadAggregate,
  signal: AbortSignal,
) {
  const clock = options.clock;
  const sender =
    options.sender ??
    createHttpSender(options.httpSender, {
      origin: options.target,
      requests: options.requests,
      connections,
      timeoutMs: common.timeoutMs,
      monotonic: () => clock.monotonic(),
    });
  const probe = options.probe ?? new EventLoopProbe();
  try {
    const m = options.model;
    const loop = new LoadLoop({
      clock,
      random: options.random,
      sender,
      mix: new RequestMix(options.requests),
      model: m.kind === 'open' ? { kind: 'open', plan: m.plan, ...arrivalsOf(m, options.random) } : m,
      ...withoutUndefined(common),
      probe,
      onInterval: (r) => aggregate.add(r),
      signal,
    });
    await loop.run();
  } finally {
    probe.close();
    if (options.sender === undefined) await sender.close();
  }
}

async function runInWorkers(
  options: RunLoadOptions,
  common: CommonLoopOptions,
  workers: number,
  connections: number,
  aggregate: LoadAggregate,
  signal: AbortSignal,
  onStart: () => void,
): Promise<void> {
  const file = new URL(import.meta.url.endsWith('.ts') ? './load-worker.ts' : './load-worker.js', import.meta.url);
  const threads: Worker[] = [];
  const done: Promise<void>[] = [];
  const ready: Promise<void>[] = [];
  for (let i = 0; i < workers; i++) {
    const m = options.model;
    const model: WorkloadModel =
      m.kind === 'open'
        ? { kind: 'open', plan: m.plan, slice: { offset: i, stride: workers }, ...arrivalsOf(m, options.random) }
        : { kind: 'closed', concurrency: share(m.concurrency, workers, i), durationMs: m.durationMs };
    const data: LoadWorkerData = {
      target: options.target,
      ...(options.httpSender === undefined ? {} : { httpSender: options.httpSender }),
      requests: [...options.requests],
      model,
      connections: Math.max(1, share(connections, workers, i)),
      maxInFlight: Math.max(1, share(common.maxInFlight, workers, i)),
      timeoutMs: common.timeoutMs,
      tailFromMs: common.tailFromMs,
      tailUntilMs: common.tailUntilMs,
      intervalMs: common.intervalMs,
      ...(common.judge === undefined ? {} : { judge: common.judge }),
      seed: options.random.int(2 ** 31),
    };
    const worker = new Worker(file, { workerData: data });
    threads.push(worker);
    let markReady: () => void = () => {};
    ready.push(new Promise((r) => (markReady = r)));
    done.push(
      new Promise((resolve, reject) => {
        worker.on('message', (msg: FromWorker) => {
          if (msg.type === 'ready') markReady();
          else if (msg.type === 'interval') aggregate.add(msg.report as IntervalReport);
          else resolve();
        });
        worker.on('error', (err) =>
          reject(
            new PiperError(loadgenErrors.PIPER_LOADGEN_WORKER_FAILED, `generator worker ${i} failed: ${err.message}`, {
              cause: err,
            }),
          ),
        );
        worker.on('exit', () => resolve());
      }),
    );
  }
  const stopAll = (): void => {
    for (const w of threads) w.postMessage({ type: 'stop' } satisfies ToWorker);
  };
  signal.addEventListener('abort', stopAll, { once: true });
  try {
    await Promise.all(ready);
    const startAt = options.clock.now() + 20;
    onStart();
    for (const w of threads) w.postMessage({ type: 'start', startAt } satisfies ToWorker);
    if (signal.aborted) stopAll();
    await Promise.all(done);
  } finally {
    signal.removeEventListener('abort', stopAll);
    await Promise.all(threads.map((w) => w.terminate()));
  }
}

// Poisson gaps come from a stream of their own (seeded from the run's Random), so the request-mix
// picks and the arrival times are each reproducible from the seed.
function arrivalsOf(model: { arrivals?: ArrivalProcess }, random: RunLoadOptions['random']) {
  return model.arrivals === 'poisson' ? { arrivals: 'poisson' as const, arrivalSeed: random.int(2 ** 31) } : {};
}

function withoutUndefined(common: CommonLoopOptions) {
  const { judge, ...rest } = common;
  return judge === undefined ? rest : { ...rest, judge };
}

function share(total: number, parts: number, i: number): number {
  return Math.floor(total / parts) + (i < total % parts ? 1 : 0);
}

function buildResult(
  options: RunLoadOptions,
  agg: LoadAggregate,
  run: { workers: number; plannedMs: number; durationMs: number; thresholds: readonly Threshold[]; aborted: string | null },
): LoadResult {
  const c = agg.counts;
  const sendLagP99Ms = agg.sendLag.percentile(99);
  const reasons: string[] = [];
  if (sendLagP99Ms > MAX_SEND_LAG_P99_MS) reasons.push(`send lag p99 ${sendLagP99Ms.toFixed(1)} ms > ${MAX_SEND_LAG_P99_MS} ms`);
  if (agg.utilizationMax > 0.9) reasons.push(`event loop ${(agg.utilizationMax * 100).toFixed(0)}% busy`);
  if (agg.loopDelayP99MaxMs > 20) reasons.push(`event-loop delay p99 ${agg.loopDelayP99MaxMs.toFixed(1)} ms`);
  const generator: GeneratorHealth = {
    sendLagP99Ms,
    loopDelayP99MaxMs: agg.loopDelayP99MaxMs,
    utilizationMax: agg.utilizationMax,
    // Only a late schedule proves the generator set the pace; a busy loop alone is a warning.
    bottleneck: sendLagP99Ms > MAX_SEND_LAG_P99_MS,
    reasons,
  };
  const answeredS = run.durationMs / 1000;
  const plannedS = run.plannedMs / 1000;
  return {
    target: options.target,
    model: options.model.kind,
    workers: run.workers,
    plannedMs: run.plannedMs,
    durationMs: run.durationMs,
    counts: c,
    bookkeepingHolds: agg.balanced(),
    offeredRps: plannedS > 0 ? c.scheduled / Math.min(plannedS, answeredS) : 0,
    achievedRps: answeredS > 0 ? httpAnswers(c) / answeredS : 0,
    latency: agg.latency.summary(),
    completedLatency: agg.completedLatency.summary(),
    service: agg.service.summary(),
    errorRatio: errorRatio(c),
    generator,
    saturation: saturation(agg, run.workers),
    judged:
      options.judge === undefined
        ? null
        : {
            scheduled: agg.judgedScheduled,
            slow: agg.judgedSlow,
            latency: agg.judgedLatency.encode(),
            intervals: agg.judgedIntervals,
            errors: agg.judgedErrors,
          },
    thresholds: evaluateThresholds(run.thresholds, c, agg.latency),
    aborted: run.aborted,
    timeline: agg.timeline,
    histograms: { latency: agg.latency.encode(), completedLatency: agg.completedLatency.encode(), service: agg.service.encode() },
  };
}

function saturation(agg: LoadAggregate, sources: number): SaturationSignals {
  const achievedRatio = agg.tailScheduled > 0 ? agg.tailAnswered / agg.tailScheduled : 1;
  // Mean in flight per source, times the sources: the whole generator's in-flight count.
  const inFlightFirst = agg.inFlightEarlySamples > 0 ? (agg.inFlightEarlySum / agg.inFlightEarlySamples) * sources : 0;
  const inFlightLast = agg.inFlightLateSamples > 0 ? (agg.inFlightLateSum / agg.inFlightLateSamples) * sources : 0;
  // Under capacity in flight holds at λ·W (Little's law); over it, the queue grows linearly.
  const inFlightGrowing = inFlightLast > inFlightFirst * 1.1 + 2;
  // Both signs must agree: a generator stall at the window's end can delay counting answers
  // (achieved dips) but takes no in-flight samples while it lasts.
  return { achievedRatio, inFlightFirst, inFlightLast, inFlightGrowing, saturated: achievedRatio < MIN_ACHIEVED_RATIO && inFlightGrowing };
}
