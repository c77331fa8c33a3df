// The series a soak run records, once a second, as written to series.json.
import type { TrafficSecond } from './soak-traffic.ts';

/** One second of one process. `t` is seconds since the steady traffic started. */
export interface ProcessSample {
  t: number;
  pid: number;
  rssMiB: number;
  fds: number;
  /** p99 of event-loop delay over the second, ms; null when the scrape failed. */
  loopP99Ms: number | null;
}

/** One second of the balancer's own counters. */
export interface BalancerSample {
  /** Start of the second, as for the traffic. */
  t: number;
  /** Requests refused by admission during the second (all clients, the adversaries' included). */
  shed: number;
  healthyBackends: number | null;
}

/** Something that happened to a process: a kill on purpose, the restarted process listening, a crash. */
export interface SoakEvent {
  t: number;
  kind: 'kill' | 'ready' | 'crash';
  process: string;
  pid: number;
  detail?: string;
}

/** Everything a run recorded. */
export interface SoakSeries {
  /** Planned length of the steady traffic, s. */
  durationS: number;
  /** Samples by process name (`piper-up`, `backend-1`, …; a restarted backend keeps its name). */
  processes: Record<string, ProcessSample[]>;
  /** Names of the processes that run from start to end (judged for growth). */
  longLived: string[];
  traffic: TrafficSecond[];
  balancer: BalancerSample[];
  events: SoakEvent[];
}
