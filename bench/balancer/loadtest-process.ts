// One open-model `piper loadtest --json` run as a child process, and what the balancer benchmarks
// read from its result.
import type { LoadResult } from '../../src/loadgen/index.ts';
import { LatencyHistogram } from '../../src/telemetry/index.ts';
import { PIPER_BIN, type ProcessGroup } from './process-group.ts';

/** An open-model constant-rate run. */
export interface LoadtestOptions {
  url: string;
  rate: number;
  durationS: number;
  connections: number;
  cpu: string;
}

/** Runs `piper loadtest URL --rate R/s --duration Ds --json` and parses its LoadResult. */
export async function runLoadtest(group: ProcessGroup, o: LoadtestOptions): Promise<LoadResult> {
  const args = [
    PIPER_BIN,
    'loadtest',
    o.url,
    '--rate',
    `${o.rate}/s`,
    '--duration',
    `${o.durationS}s`,
    '--connections',
    String(o.connections),
    '--timeout',
    '5s',
    '--json',
  ];
  // Exit 99 is a failed threshold; none are set, but a run is data whatever its verdict.
  const out = await group.run(process.execPath, args, o.cpu, [0, 99]);
  return JSON.parse(out) as LoadResult;
}

/** The exact command line of a run, for the report. */
export function loadtestCommand(o: LoadtestOptions): string {
  return `piper loadtest ${o.url} --rate ${o.rate}/s --duration ${o.durationS}s --connections ${o.connections} --timeout 5s --json`;
}

/** Answers with a status class (e.g. '2xx') per second of the planned run. */
export function perSecond(r: LoadResult, cls: string): number {
  return (r.counts.statuses[cls] ?? 0) / (r.plannedMs / 1000);
}

/** The run's latency histogram (from intended send, every HTTP answer whatever its status). */
export function latencyHistogram(r: LoadResult): LatencyHistogram {
  return LatencyHistogram.decode(r.histograms.latency);
}
