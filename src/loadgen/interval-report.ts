import { LatencyHistogram } from '../telemetry/index.ts';

/** A histogram as it travels in a report: encoded across threads, as is within one. */
export type HistogramPayload = string | LatencyHistogram;

/** The histogram of a payload (decoded if it came encoded). */
export function histogramOf(payload: HistogramPayload): LatencyHistogram {
  return typeof payload === 'string' ? LatencyHistogram.decode(payload) : payload;
}

/**
 * What one generator loop did in one interval (normally one second). Plain data, so worker
 * threads post it to the coordinator, which merges reports of the same interval index.
 * Counts follow the bookkeeping rule: every scheduled request ends in exactly one of
 * completed, failed, timedOut or unsent (possibly in a later interval than it was scheduled).
 */
/** Bookkeeping counts of a run: scheduled = completed + failed + timedOut + unsent once it ends. */
export interface LoadCounts {
  scheduled: number;
  /** Handed to the HTTP client. */
  sent: number;
  /** Answered with an expected status (200–399). */
  completed: number;
  /** Answered with another status, or ended by a connection error. */
  failed: number;
  timedOut: number;
  /** Not sent: the in-flight cap was reached when it fell due. */
  unsent: number;
  /** Responses by status class (`2xx`, …) and failures by kind (`connect`, `reset`, …). */
  statuses: Record<string, number>;
  errors: Record<string, number>;
}

export interface IntervalReport extends LoadCounts {
  /** Interval number since the run's start (0-based). */
  interval: number;
  /** Requests in flight at the end of the interval. */
  inFlight: number;
  /**
   * HDR histograms (µs): latency from intended send, service time, dispatch lag. Base64 when the
   * report crosses threads; the histogram itself in process (encoding costs ~ms per interval).
   */
  latency: HistogramPayload;
  /** Latency (from intended send) of completed answers only: 2xx and 3xx. */
  completedLatency: HistogramPayload;
  service: HistogramPayload;
  sendLag: HistogramPayload;
  /** For saturation checks: requests due at or after the tail start, and completions there. */
  tailScheduled: number;
  tailAnswered: number;
  /**
   * The judged window (see `LoadLoopOptions.judge`): requests due in it, those over the bound,
   * failed ones, and the latency (from intended send) of its answers.
   */
  judgedScheduled: number;
  judgedSlow: number;
  judgedErrors: number;
  judgedLatency: HistogramPayload;
  /**
   * In-flight count sampled at each pacer wake-up in the first and second half of the tail (sum
   * and number of samples). A stalled loop takes no samples, so its own hiccups barely move them.
   */
  inFlightEarlySum: number;
  inFlightEarlySamples: number;
  inFlightLateSum: number;
  inFlightLateSamples: number;
  /** Generator health of the loop that produced the report. */
  loopDelayP99Ms: number;
  /** Event-loop utilization 0..1 (busy fraction) of that loop. */
  utilization: number;
}

/** A report with every count at zero, for merging into. */
/** Requests that got an HTTP answer, of any status: a refused or reset connection answered nothing. */
export function httpAnswers(c: Pick<LoadCounts, 'statuses'>): number {
  let n = 0;
  for (const count of Object.values(c.statuses)) n += count;
  return n;
}

export function emptyIntervalCounts(): Omit<IntervalReport, 'latency' | 'completedLatency' | 'service' | 'sendLag' | 'judgedLatency'> {
  return {
    interval: 0,
    scheduled: 0,
    sent: 0,
    completed: 0,
    failed: 0,
    timedOut: 0,
    unsent: 0,
    statuses: {},
    errors: {},
    inFlight: 0,
    tailScheduled: 0,
    tailAnswered: 0,
    judgedScheduled: 0,
    judgedSlow: 0,
    judgedErrors: 0,
    inFlightEarlySum: 0,
    inFlightEarlySamples: 0,
    inFlightLateSum: 0,
    inFlightLateSamples: 0,
    loopDelayP99Ms: 0,
    utilization: 0,
  };
}
