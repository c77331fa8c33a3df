import type { LatencySummary } from '../telemetry/index.ts';
import type { JudgedInterval, LoadCounts, TimelinePoint } from './load-aggregate.ts';
import type { ThresholdResult } from './threshold.ts';

/** Whether the generator kept its schedule; when not, slow answers may be its fault, not the target's. */
export interface GeneratorHealth {
  /** p99 of dispatch time − intended time, ms (the generator's own lateness). */
  sendLagP99Ms: number;
  loopDelayP99MaxMs: number;
  /** Highest event-loop utilization of any generator thread in any interval (0..1). */
  utilizationMax: number;
  /** True when the generator could not keep the schedule: the run measured it, not the target. */
  bottleneck: boolean;
  reasons: string[];
}

/** Signs that the target (not the generator) could not keep up. */
export interface SaturationSignals {
  /** Answers per second ÷ offered per second over the tail of the run (1 when keeping up). */
  achievedRatio: number;
  /** Mean in-flight count over the first and last third of the schedule. */
  inFlightFirst: number;
  inFlightLast: number;
  inFlightGrowing: boolean;
  saturated: boolean;
}

/** Everything a load run measured. */
export interface LoadResult {
  target: string;
  model: 'open' | 'closed';
  workers: number;
  plannedMs: number;
  durationMs: number;
  counts: LoadCounts;
  /** scheduled = completed + failed + timedOut + unsent (checked, never assumed). */
  bookkeepingHolds: boolean;
  offeredRps: number;
  /** HTTP answers (of any status) per second: a refused or reset connection is not an answer. */
  achievedRps: number;
  /** Latency from the intended send time (includes any wait caused by the target). */
  latency: LatencySummary;
  /**
   * Latency of completed answers (2xx/3xx) only, from intended send: what the users who were
   * served saw (k6's http_req_duration{expected_response:true}).
   */
  completedLatency: LatencySummary;
  /** Time from the write on a connection to the last byte (what an actual-send timer sees). */
  service: LatencySummary;
  errorRatio: number;
  generator: GeneratorHealth;
  saturation: SaturationSignals;
  /**
   * With `judge`: requests due in the judged window, those that missed the latency bound
   * (slow, timed out or unsent), those that failed (any error, time-outs and unsent included),
   * the HDR histogram (µs, compressed base64) of the latency of its answers, and counts per
   * interval ([due, slow, errors]: how bunched the misses came).
   */
  judged: { scheduled: number; slow: number; errors: number; latency: string; intervals: JudgedInterval[] } | null;
  thresholds: ThresholdResult[];
  /** Why the run stopped early, or null. */
  aborted: string | null;
  timeline: TimelinePoint[];
  /** Raw HDR histograms (µs, compressed base64) of the whole run. */
  histograms: { latency: string; completedLatency: string; service: string };
}
