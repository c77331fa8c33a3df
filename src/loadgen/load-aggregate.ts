import { LatencyHistogram } from '../telemetry/index.ts';
import { histogramOf, httpAnswers, type IntervalReport, type LoadCounts } from './interval-report.ts';

export type { LoadCounts } from './interval-report.ts';

/** One interval of a judged window: [due, slow, errors]. */
export type JudgedInterval = [number, number, number];

/** One point of the run's timeline (one interval, or several once a long run is coarsened). */
export interface TimelinePoint {
  /** Seconds from the start at the beginning of the point. */
  atS: number;
  spanS: number;
  offeredRps: number;
  /** HTTP answers (of any status) per second: a refused or reset connection is not an answer. */
  achievedRps: number;
  completed: number;
  failed: number;
  timedOut: number;
  unsent: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  serviceP50Ms: number;
  serviceP99Ms: number;
  sendLagP99Ms: number;
  inFlight: number;
  loopDelayP99Ms: number;
  utilization: number;
}

/** Told of each finished interval: its point, merged counts and latency histogram. */
export type IntervalListener = (point: TimelinePoint, counts: IntervalReport, latency: LatencyHistogram) => void;

interface OpenInterval {
  reports: number;
  counts: IntervalReport;
  latency: LatencyHistogram;
  completedLatency: LatencyHistogram;
  service: LatencyHistogram;
  sendLag: LatencyHistogram;
  judgedLatency: LatencyHistogram;
}

/** Timeline points kept at most; a longer run halves its resolution (memory stays bounded). */
const MAX_POINTS = 2000;

/**
 * Merges interval reports from one or more generator loops (worker threads) into run totals
 * and a timeline. An interval is finished once every source has reported it.
 */
export class LoadAggregate {
  readonly #sources: number;
  readonly #intervalMs: number;
  readonly #open = new Map<number, OpenInterval>();
  readonly counts: LoadCounts = { scheduled: 0, sent: 0, completed: 0, failed: 0, timedOut: 0, unsent: 0, statuses: {}, errors: {} };
  readonly latency = new LatencyHistogram();
  /** Whole-run latency of completed (2xx/3xx) answers. */
  readonly completedLatency = new LatencyHistogram();
  readonly service = new LatencyHistogram();
  readonly sendLag = new LatencyHistogram();
  readonly timeline: TimelinePoint[] = [];
  tailScheduled = 0;
  tailAnswered = 0;
  judgedScheduled = 0;
  judgedSlow = 0;
  judgedErrors = 0;
  /** Latency of the judged window's answers (see `LoadLoopOptions.judge`). */
  readonly judgedLatency = new LatencyHistogram();
  /** Per interval with judged requests: [due, slow, errors] (for the dispersion of the counts). */
  readonly judgedIntervals: JudgedInterval[] = [];
  inFlightEarlySum = 0;
  inFlightEarlySamples = 0;
  inFlightLateSum = 0;
  inFlightLateSamples = 0;
  /** Worst interval's generator figures. */
  loopDelayP99MaxMs = 0;
  utilizationMax = 0;
  /** In flight at the end of the latest finished interval, summed over sources. */
  inFlight = 0;
  #pointSpan = 1;
  #onPoint: IntervalListener | undefined;

  constructor(sources: number, intervalMs: number, onPoint?: IntervalListener) {
    this.#sources = sources;
    this.#intervalMs = intervalMs;
    this.#onPoint = onPoint;
  }

  add(report: IntervalReport): void {
    let open = this.#open.get(report.interval);
    if (open === undefined) {
      open = {
        reports: 0,
        counts: {
          ...report,
          statuses: {},
          errors: {},
          scheduled: 0,
          sent: 0,
          completed: 0,
          failed: 0,
          timedOut: 0,
          unsent: 0,
          inFlight: 0,
        },
        latency: new LatencyHistogram(),
        completedLatency: new LatencyHistogram(),
        service: new LatencyHistogram(),
        sendLag: new LatencyHistogram(),
        judgedLatency: new LatencyHistogram(),
      };
      open.counts.tailScheduled = 0;
      open.counts.tailAnswered = 0;
      open.counts.judgedScheduled = 0;
      open.counts.judgedSlow = 0;
      open.counts.judgedErrors = 0;
      open.counts.inFlightEarlySum = 0;
      open.counts.inFlightEarlySamples = 0;
      open.counts.inFlightLateSum = 0;
      open.counts.inFlightLateSamples = 0;
      open.counts.loopDelayP99Ms = 0;
      open.counts.utilization = 0;
      this.#open.set(report.interval, open);
    }
    const c = open.counts;
    c.scheduled += report.scheduled;
    c.sent += report.sent;
    c.completed += report.completed;
    c.failed += report.failed;
    c.timedOut += report.timedOut;
    c.unsent += report.unsent;
    c.inFlight += report.inFlight;
    c.tailScheduled += report.tailScheduled;
    c.tailAnswered += report.tailAnswered;
    c.judgedScheduled += report.judgedScheduled;
    c.judgedSlow += report.judgedSlow;
    c.judgedErrors += report.judgedErrors;
    c.inFlightEarlySum += report.inFlightEarlySum;
    c.inFlightEarlySamples += report.inFlightEarlySamples;
    c.inFlightLateSum += report.inFlightLateSum;
    c.inFlightLateSamples += report.inFlightLateSamples;
    c.loopDelayP99Ms = Math.max(c.loopDelayP99Ms, report.loopDelayP99Ms);
    c.utilization = Math.max(c.utilization, report.utilization);
    addInto(c.statuses, report.statuses);
    addInto(c.errors, report.errors);
    open.latency.merge(histogramOf(report.latency));
    open.completedLatency.merge(histogramOf(report.completedLatency));
    open.service.merge(histogramOf(report.service));
    open.sendLag.merge(histogramOf(report.sendLag));
    open.judgedLatency.merge(histogramOf(report.judgedLatency));
    open.reports++;
    if (open.reports >= this.#sources) this.#finish(report.interval, open);
  }

  /** Finishes intervals some source never reported (it ended early); call once at the end. */
  flush(): void {
    for (const [k, open] of [...this.#open.entries()].sort((a, b) => a[0] - b[0])) this.#finish(k, open);
  }

  /** Whether every scheduled request is accounted for. */
  balanced(): boolean {
    const c = this.counts;
    return c.scheduled === c.completed + c.failed + c.timedOut + c.unsent;
  }

  #finish(k: number, open: OpenInterval): void {
    this.#open.delete(k);
    const c = open.counts;
    const t = this.counts;
    t.scheduled += c.scheduled;
    t.sent += c.sent;
    t.completed += c.completed;
    t.failed += c.failed;
    t.timedOut += c.timedOut;
    t.unsent += c.unsent;
    addInto(t.statuses, c.statuses);
    addInto(t.errors, c.errors);
    this.tailScheduled += c.tailScheduled;
    this.tailAnswered += c.tailAnswered;
    this.judgedScheduled += c.judgedScheduled;
    this.judgedSlow += c.judgedSlow;
    this.judgedLatency.merge(open.judgedLatency);
    if (c.judgedScheduled > 0 || c.judgedSlow > 0 || c.judgedErrors > 0) {
      this.judgedIntervals.push([c.judgedScheduled, c.judgedSlow, c.judgedErrors]);
    }
    this.judgedErrors += c.judgedErrors;
    this.inFlightEarlySum += c.inFlightEarlySum;
    this.inFlightEarlySamples += c.inFlightEarlySamples;
    this.inFlightLateSum += c.inFlightLateSum;
    this.inFlightLateSamples += c.inFlightLateSamples;
    this.loopDelayP99MaxMs = Math.max(this.loopDelayP99MaxMs, c.loopDelayP99Ms);
    this.utilizationMax = Math.max(this.utilizationMax, c.utilization);
    this.inFlight = c.inFlight;
    this.latency.merge(open.latency);
    this.completedLatency.merge(open.completedLatency);
    this.service.merge(open.service);
    this.sendLag.merge(open.sendLag);
    const spanS = this.#intervalMs / 1000;
    const answered = httpAnswers(c);
    const point: TimelinePoint = {
      atS: k * spanS,
      spanS,
      offeredRps: c.scheduled / spanS,
      achievedRps: answered / spanS,
      completed: c.completed,
      failed: c.failed,
      timedOut: c.timedOut,
      unsent: c.unsent,
      latencyP50Ms: open.latency.percentile(50),
      latencyP99Ms: open.latency.percentile(99),
      serviceP50Ms: open.service.percentile(50),
      serviceP99Ms: open.service.percentile(99),
      sendLagP99Ms: open.sendLag.percentile(99),
      inFlight: c.inFlight,
      loopDelayP99Ms: c.loopDelayP99Ms,
      utilization: c.utilization,
    };
    this.#onPoint?.(point, c, open.latency);
    this.#push(point);
  }

  #push(point: TimelinePoint): void {
    const last = this.timeline[this.timeline.length - 1];
    if (this.#pointSpan > 1 && last !== undefined && last.spanS < this.#pointSpan * point.spanS) {
      this.timeline[this.timeline.length - 1] = combine(last, point);
    } else {
      this.timeline.push(point);
    }
    if (this.timeline.length > MAX_POINTS) {
      // Halve the resolution: pairs merge (counts add, rates average, percentiles keep the worse).
      const merged: TimelinePoint[] = [];
      for (let i = 0; i < this.timeline.length; i += 2) {
        const a = this.timeline[i] as TimelinePoint;
        const b = this.timeline[i + 1];
        merged.push(b === undefined ? a : combine(a, b));
      }
      this.timeline.length = 0;
      this.timeline.push(...merged);
      this.#pointSpan *= 2;
    }
  }
}

function combine(a: TimelinePoint, b: TimelinePoint): TimelinePoint {
  const span = a.spanS + b.spanS;
  const w = (x: number, y: number) => (x * a.spanS + y * b.spanS) / span;
  return {
    atS: a.atS,
    spanS: span,
    offeredRps: w(a.offeredRps, b.offeredRps),
    achievedRps: w(a.achievedRps, b.achievedRps),
    completed: a.completed + b.completed,
    failed: a.failed + b.failed,
    timedOut: a.timedOut + b.timedOut,
    unsent: a.unsent + b.unsent,
    latencyP50Ms: w(a.latencyP50Ms, b.latencyP50Ms),
    latencyP99Ms: Math.max(a.latencyP99Ms, b.latencyP99Ms),
    serviceP50Ms: w(a.serviceP50Ms, b.serviceP50Ms),
    serviceP99Ms: Math.max(a.serviceP99Ms, b.serviceP99Ms),
    sendLagP99Ms: Math.max(a.sendLagP99Ms, b.sendLagP99Ms),
    inFlight: b.inFlight,
    loopDelayP99Ms: Math.max(a.loopDelayP99Ms, b.loopDelayP99Ms),
    utilization: Math.max(a.utilization, b.utilization),
  };
}

function addInto(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}
