import { type Clock, type Random, SeededRandom, type TimerHandle } from '../core/index.ts';
import { LatencyHistogram } from '../telemetry/index.ts';
import { type ArrivalProcess, ArrivalSchedule, type ArrivalSlice, type RatePlan } from './arrival-schedule.ts';
import type { GeneratorProbe } from './generator-probe.ts';
import type { IntervalReport } from './interval-report.ts';
import type { RequestMix } from './request-mix.ts';
import type { InFlightRequest, RequestSender, SendErrorKind, SendSink } from './request-sender.ts';

/** Open model: arrivals follow the plan whatever the target does. Closed: N users back to back. */
export type WorkloadModel =
  | {
      kind: 'open';
      plan: RatePlan;
      slice?: ArrivalSlice;
      /** Evenly spaced (default) or Poisson; Poisson gaps are drawn from `arrivalSeed`. */
      arrivals?: ArrivalProcess;
      arrivalSeed?: number;
    }
  | { kind: 'closed'; concurrency: number; durationMs: number };

/** Options of one generator loop (one thread). */
export interface LoadLoopOptions {
  clock: Clock;
  random: Random;
  sender: RequestSender;
  mix: RequestMix;
  model: WorkloadModel;
  /** Requests in flight at most; an arrival finding the cap reached is counted unsent. */
  maxInFlight: number;
  /** A request not answered this long after it was handed to the client is timed out. */
  timeoutMs: number;
  /** Requests due in [tailFromMs, tailUntilMs) and answers then feed the saturation check. */
  tailFromMs?: number;
  tailUntilMs?: number;
  intervalMs?: number;
  probe: GeneratorProbe;
  onInterval: (report: IntervalReport) => void;
  /**
   * Counts, for requests due at or after `fromMs`, how many there were, how many missed the
   * latency bound (slow answers, time-outs, unsent) and how many failed, and keeps the latency
   * histogram of their answers: what a capacity verdict
   * judges, without the start of a trial, when a queue is still filling from empty.
   */
  judge?: JudgedWindow;
  /** Encode histograms in reports (for posting across threads); otherwise hand them over. */
  encodeHistograms?: boolean;
  signal?: AbortSignal;
}

/** The part of a run a verdict judges: requests due from `fromMs`, against a latency bound. */
export interface JudgedWindow {
  fromMs: number;
  boundMs: number;
}

const STATUS_CLASSES = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx'];

// Longest pause between pacer wake-ups: bounds how late a timeout or an interval report can be.
const MAX_SLEEP_MS = 20;

/**
 * One generator loop: a batch catch-up pacer (wake about every millisecond, send everything due;
 * ANCHORS §2.2), exact bookkeeping, timeouts, and one {@link IntervalReport} per interval.
 * Latency is timed from the intended send time; service time from the write on a connection.
 */
export class LoadLoop implements SendSink {
  readonly #o: LoadLoopOptions;
  readonly #intervalMs: number;
  readonly #tailFrom: number;
  readonly #tailUntil: number;
  readonly #schedule: ArrivalSchedule | null;
  readonly #judgeFrom: number;
  readonly #judgeBound: number;
  #t0 = 0;
  #nextDue: number | undefined;
  #interval = 0;
  #inFlight = 0;
  #queue: InFlightRequest[] = [];
  #queueHead = 0;
  #timer: TimerHandle | null = null;
  #stopping = false;
  #finished = false;
  #inSend = false;
  #closedLaunches = 0;
  #inTick = false;
  #lastSampleAt = 0;
  #resolve: () => void = () => {};
  #c = freshCounts();
  #latency = new LatencyHistogram();
  #completedLatency = new LatencyHistogram();
  #service = new LatencyHistogram();
  #sendLag = new LatencyHistogram();
  #judgedLatency = new LatencyHistogram();

  constructor(options: LoadLoopOptions) {
    this.#o = options;
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#tailFrom = options.tailFromMs ?? Number.POSITIVE_INFINITY;
    this.#tailUntil = options.tailUntilMs ?? Number.POSITIVE_INFINITY;
    const m = options.model;
    this.#schedule =
      m.kind === 'open'
        ? new ArrivalSchedule(m.plan, m.slice, m.arrivals === 'poisson' ? new SeededRandom(m.arrivalSeed ?? 1) : null)
        : null;
    this.#judgeFrom = options.judge?.fromMs ?? Number.POSITIVE_INFINITY;
    this.#judgeBound = options.judge?.boundMs ?? Number.POSITIVE_INFINITY;
  }

  /** Runs to the end of the plan and the last answer or timeout; resolves after the last report. */
  run(): Promise<void> {
    return new Promise((resolve) => {
      this.#resolve = resolve;
      this.#t0 = this.#o.clock.monotonic();
      this.#lastSampleAt = this.#t0;
      this.#o.probe.sample();
      this.#o.signal?.addEventListener('abort', () => this.stop(), { once: true });
      if (this.#o.signal?.aborted) this.#stopping = true;
      if (this.#schedule !== null) this.#nextDue = this.#schedule.next();
      else if (!this.#stopping && this.#o.model.kind === 'closed') {
        for (let i = 0; i < this.#o.model.concurrency; i++) this.#launchClosed();
      }
      this.#tick();
    });
  }

  /** Stops scheduling and cancels what is in flight (counted failed, kind `aborted`). */
  stop(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#nextDue = undefined;
    const now = this.#o.clock.monotonic();
    for (let i = this.#queueHead; i < this.#queue.length; i++) {
      const req = this.#queue[i] as InFlightRequest;
      if (!req.done) this.#fail(req, 'aborted', now);
    }
    // From inside a tick (an interval report can trigger the stop), that tick finishes the job.
    if (this.#inTick) return;
    this.#timer?.cancel();
    this.#tick();
  }

  started(_req: InFlightRequest): void {}

  finished(req: InFlightRequest, status: number, error: SendErrorKind | null): void {
    if (req.done) return;
    const now = this.#o.clock.monotonic();
    if (error !== null) {
      this.#fail(req, error, now);
    } else {
      req.done = true;
      this.#inFlight--;
      const c = this.#c;
      const cls = STATUS_CLASSES[Math.floor(status / 100)] ?? 'other';
      c.statuses[cls] = (c.statuses[cls] ?? 0) + 1;
      this.#latency.record(now - req.intendedAt);
      if (!Number.isNaN(req.startedAt)) this.#service.record(now - req.startedAt);
      const ok = status >= 200 && status < 400;
      if (ok) {
        c.completed++;
        this.#completedLatency.record(now - req.intendedAt);
      } else {
        c.failed++;
      }
      if (this.#judged(req)) {
        const latency = now - req.intendedAt;
        this.#judgedLatency.record(latency);
        if (latency > this.#judgeBound) c.judgedSlow++;
        if (!ok) c.judgedErrors++;
      }
      // Any answer counts for saturation: a target failing fast is not falling behind.
      const at = now - this.#t0;
      if (at >= this.#tailFrom && at < this.#tailUntil) c.tailAnswered++;
    }
    if (this.#o.model.kind === 'closed') {
      // A failure reported from inside send() would recurse; the next tick launches it instead.
      if (this.#inSend) this.#closedLaunches++;
      else this.#launchClosed();
    }
  }

  #judged(req: InFlightRequest): boolean {
    return req.intendedAt - this.#t0 >= this.#judgeFrom;
  }

  #fail(req: InFlightRequest, kind: SendErrorKind, now: number): void {
    req.done = true;
    this.#inFlight--;
    const c = this.#c;
    if (kind === 'timeout') c.timedOut++;
    else c.failed++;
    if (this.#judged(req)) {
      // A time-out never met the bound; a failed connection is an error whatever its timing.
      if (kind === 'timeout' || now - req.intendedAt > this.#judgeBound) c.judgedSlow++;
      c.judgedErrors++;
    }
    c.errors[kind] = (c.errors[kind] ?? 0) + 1;
    req.cancel?.abort(new Error(kind === 'timeout' ? 'load generator timeout' : 'load run stopped'));
  }

  #tick = (): void => {
    this.#timer = null;
    if (this.#finished) return;
    this.#inTick = true;
    try {
      this.#step();
    } finally {
      this.#inTick = false;
    }
  };

  #step(): void {
    const clock = this.#o.clock;
    const now = clock.monotonic();
    const elapsed = now - this.#t0;
    if (this.#schedule !== null) {
      while (!this.#stopping && this.#nextDue !== undefined && this.#nextDue <= elapsed) {
        this.#arrive(this.#nextDue, now);
        this.#nextDue = this.#schedule.next();
      }
    } else {
      while (this.#closedLaunches > 0) {
        this.#closedLaunches--;
        this.#launchClosed();
      }
    }
    this.#expire(now);
    this.#sampleInFlight(elapsed);
    while (elapsed >= (this.#interval + 1) * this.#intervalMs) this.#emit();
    const schedulingDone = this.#stopping || (this.#schedule !== null ? this.#nextDue === undefined : this.#closedOver(elapsed));
    if (schedulingDone && this.#inFlight === 0 && this.#closedLaunches === 0) {
      this.#finished = true;
      this.#emit();
      this.#resolve();
      return;
    }
    const untilDue = this.#nextDue === undefined ? MAX_SLEEP_MS : this.#nextDue - elapsed;
    this.#timer = clock.setTimeout(this.#tick, Math.max(0, Math.min(MAX_SLEEP_MS, untilDue)));
  }

  #sampleInFlight(elapsed: number): void {
    if (elapsed < this.#tailFrom || elapsed >= this.#tailUntil) return;
    const c = this.#c;
    if (elapsed < (this.#tailFrom + this.#tailUntil) / 2) {
      c.inFlightEarlySum += this.#inFlight;
      c.inFlightEarlySamples++;
    } else {
      c.inFlightLateSum += this.#inFlight;
      c.inFlightLateSamples++;
    }
  }

  #closedOver(elapsed: number): boolean {
    return this.#o.model.kind === 'closed' && elapsed >= this.#o.model.durationMs;
  }

  #launchClosed(): void {
    const now = this.#o.clock.monotonic();
    if (this.#stopping || this.#closedOver(now - this.#t0)) return;
    this.#arrive(now - this.#t0, now);
  }

  #arrive(dueMs: number, now: number): void {
    const c = this.#c;
    c.scheduled++;
    if (dueMs >= this.#tailFrom && dueMs < this.#tailUntil) c.tailScheduled++;
    const judged = dueMs >= this.#judgeFrom;
    if (judged) c.judgedScheduled++;
    if (this.#inFlight >= this.#o.maxInFlight) {
      c.unsent++;
      if (judged) {
        c.judgedSlow++;
        c.judgedErrors++;
      }
      return;
    }
    const intendedAt = this.#t0 + dueMs;
    const req: InFlightRequest = {
      index: this.#schedule?.index ?? c.scheduled,
      kind: this.#o.mix.pick(this.#o.random),
      intendedAt,
      dispatchedAt: now,
      startedAt: Number.NaN,
      status: 0,
      done: false,
      cancel: null,
    };
    this.#sendLag.record(now - intendedAt);
    this.#inFlight++;
    c.sent++;
    this.#queue.push(req);
    this.#inSend = true;
    try {
      this.#o.sender.send(req, this);
    } finally {
      this.#inSend = false;
    }
  }

  // Requests leave the FIFO in dispatch order, so only the head can be the next to time out.
  #expire(now: number): void {
    const q = this.#queue;
    while (this.#queueHead < q.length) {
      const head = q[this.#queueHead] as InFlightRequest;
      if (!head.done) {
        if (now - head.dispatchedAt < this.#o.timeoutMs) break;
        this.#fail(head, 'timeout', now);
      }
      this.#queueHead++;
    }
    if (this.#queueHead > 4096 && this.#queueHead * 2 > q.length) {
      this.#queue = q.slice(this.#queueHead);
      this.#queueHead = 0;
    }
  }

  #emit(): void {
    const now = this.#o.clock.monotonic();
    const sampled = this.#o.probe.sample();
    // A sliver of an interval (the last one, often) says nothing about the loop's health.
    const health = now - this.#lastSampleAt < this.#intervalMs / 10 ? { loopDelayP99Ms: 0, utilization: 0 } : sampled;
    this.#lastSampleAt = now;
    const c = this.#c;
    const encode = this.#o.encodeHistograms === true;
    const report: IntervalReport = {
      interval: this.#interval,
      ...c,
      inFlight: this.#inFlight,
      latency: encode ? this.#latency.encode() : this.#latency,
      completedLatency: encode ? this.#completedLatency.encode() : this.#completedLatency,
      service: encode ? this.#service.encode() : this.#service,
      sendLag: encode ? this.#sendLag.encode() : this.#sendLag,
      judgedLatency: encode ? this.#judgedLatency.encode() : this.#judgedLatency,
      loopDelayP99Ms: health.loopDelayP99Ms,
      utilization: health.utilization,
    };
    // State moves on before the report leaves: the listener may stop the loop, and what the stop
    // counts belongs to the next interval, never to this one twice.
    if (encode) {
      this.#latency.reset();
      this.#completedLatency.reset();
      this.#service.reset();
      this.#sendLag.reset();
      this.#judgedLatency.reset();
    } else {
      // The report owns the handed-over histograms now.
      this.#latency = new LatencyHistogram();
      this.#completedLatency = new LatencyHistogram();
      this.#service = new LatencyHistogram();
      this.#sendLag = new LatencyHistogram();
      this.#judgedLatency = new LatencyHistogram();
    }
    this.#c = freshCounts();
    this.#interval++;
    this.#o.onInterval(report);
  }
}

function freshCounts() {
  return {
    scheduled: 0,
    sent: 0,
    completed: 0,
    failed: 0,
    timedOut: 0,
    unsent: 0,
    statuses: {} as Record<string, number>,
    errors: {} as Record<string, number>,
    tailScheduled: 0,
    tailAnswered: 0,
    judgedScheduled: 0,
    judgedSlow: 0,
    judgedErrors: 0,
    inFlightEarlySum: 0,
    inFlightEarlySamples: 0,
    inFlightLateSum: 0,
    inFlightLateSamples: 0,
  };
}
