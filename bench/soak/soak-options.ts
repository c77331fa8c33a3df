// The command line of `npm run soak` (bench/soak/soak.ts).
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDuration, parsePercent, parseRate } from '../../src/core/index.ts';

/** What one soak run does. */
export interface SoakOptions {
  durationMs: number;
  /** A fixed rate, or null to take `load` × capacity. */
  rateRps: number | null;
  /** A known capacity of this topology, or null to measure it first (when no rate is given). */
  capacityRps: number | null;
  /** Share of capacity to hold. */
  load: number;
  /** 0: no restarts. */
  restartEveryMs: number;
  backends: number;
  slowClients: number;
  abortRate: number;
  connections: number;
  out: string;
  seed: number;
}

export const USAGE = `Usage: npm run soak -- [options]    (node bench/soak/soak.ts [options])

Holds steady traffic on piper up in front of several piper serve backends, with slow and aborting
clients beside it and one backend killed (SIGKILL) and restarted every --restart-every; samples
RSS, open file descriptors and event-loop delay of every process and the traffic's p99 and errors
once a second; fails (exit 99) on growth. docs/soak.md describes the run and its bounds.

  --duration D        how long the steady traffic runs (default 30m, the published figure)
  --rate R            steady rate, e.g. 400/s (default: --load of the capacity)
  --capacity R        capacity of this topology when already known; measured first otherwise
  --load P            share of capacity to hold (default 50%)
  --restart-every D   kill and restart a backend this often (default 1m; 0: never)
  --backends N        piper serve backends, at least 2; the first is never killed (default 3)
  --slow-clients N    clients of each slow kind connected at all times (default 3)
  --abort-rate R      clients that leave mid-exchange, started per second (default 5/s)
  --connections N     keep-alive connections of the steady traffic (default 64)
  --out DIR           where series.json, summary.md, the charts and the logs go
                      (default bench/results/soak-<time>)
  --seed N            seed of the request mix and the adversaries (default 1)

Exit codes: 0 passed, 99 a bound was exceeded, 1 the run could not be made, 2 usage, 130 interrupted.`;

/** A usage problem: the message names the flag. */
export class UsageError extends Error {}

/** Parses argv (without node and the script); throws UsageError naming the flag at fault. */
export function parseSoakOptions(argv: string[], now: Date): SoakOptions | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        duration: { type: 'string', default: '30m' },
        rate: { type: 'string' },
        capacity: { type: 'string' },
        load: { type: 'string', default: '50%' },
        'restart-every': { type: 'string', default: '1m' },
        backends: { type: 'string', default: '3' },
        'slow-clients': { type: 'string', default: '3' },
        'abort-rate': { type: 'string', default: '5/s' },
        connections: { type: 'string', default: '64' },
        out: { type: 'string' },
        seed: { type: 'string', default: '1' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help === true) return 'help';
  const flag = <T>(name: string, parse: (s: string) => T): T => {
    try {
      return parse(values[name] as string);
    } catch (err) {
      throw new UsageError(`--${name}: ${(err as Error).message}`);
    }
  };
  const integer = (name: string, min: number): number =>
    flag(name, (s) => {
      if (!/^\d+$/.test(s) || Number(s) < min) throw new Error(`an integer ≥ ${min} is needed, got "${s}"`);
      return Number(s);
    });
  const durationMs = flag('duration', parseDuration);
  if (durationMs < 10_000) throw new UsageError('--duration: at least 10s (the verdict fits a line to the second half)');
  const restartEveryMs = flag('restart-every', parseDuration);
  if (restartEveryMs !== 0 && restartEveryMs < 5_000) throw new UsageError('--restart-every: at least 5s, or 0 for no restarts');
  const load = flag('load', parsePercent);
  if (!(load > 0)) throw new UsageError('--load: above 0%');
  const rateRps = values.rate === undefined ? null : flag('rate', parseRate);
  const capacityRps = values.capacity === undefined ? null : flag('capacity', parseRate);
  if (rateRps !== null && capacityRps !== null) throw new UsageError('--rate and --capacity: give one, not both');
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return {
    durationMs,
    rateRps,
    capacityRps,
    load,
    restartEveryMs,
    backends: integer('backends', 2),
    slowClients: integer('slow-clients', 0),
    abortRate: flag('abort-rate', parseRate),
    connections: integer('connections', 1),
    out: typeof values.out === 'string' ? values.out : join('bench', 'results', `soak-${stamp}`),
    seed: integer('seed', 0),
  };
}
