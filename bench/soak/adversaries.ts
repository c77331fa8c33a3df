// The misbehaving clients of a soak run, beside the steady traffic: a fixed number of each slow
// kind always connected (one ends, the next starts), and aborting clients arriving at random
// (Poisson) at a fixed mean rate. How each exchange ended is tallied by kind.
import type { Random } from '../../src/core/index.ts';
import { abortBeforeAnswer, abortMidDownload, abortMidUpload } from './aborting-clients.ts';
import type { ExchangeEnd } from './raw-exchange.ts';
import { type AdversaryClient, slowBody, slowHeaders, slowReader } from './slow-clients.ts';

/** Outcomes by client kind, then by how the exchange ended. */
export type AdversaryTally = Record<string, Partial<Record<ExchangeEnd, number>>>;

/** Options of {@link startAdversaries}. */
export interface AdversaryOptions {
  target: string;
  /** Clients of each slow kind connected at all times. */
  slowClients: number;
  /** Aborting clients started per second (mean). */
  abortRate: number;
  largeFileId: string;
  random: Random;
}

/** Running adversaries; `stop()` makes every client leave and resolves the tally. */
export interface Adversaries {
  tally: AdversaryTally;
  stop(): Promise<AdversaryTally>;
}

/** Starts the slow and the aborting clients against `target`. */
export function startAdversaries(o: AdversaryOptions): Adversaries {
  const target = new URL(o.target);
  const stopper = new AbortController();
  const tally: AdversaryTally = {};
  const running = new Set<Promise<void>>();
  const record = (kind: string, end: ExchangeEnd): void => {
    const t = tally[kind] ?? {};
    t[end] = (t[end] ?? 0) + 1;
    tally[kind] = t;
  };
  const launch = (kind: string, client: AdversaryClient): Promise<void> => {
    const p = client(target, o.random, stopper.signal).then(
      (end) => record(kind, end),
      (err: unknown) => {
        // A fault of this harness, not of the servers: shown, and tallied apart.
        console.error(`${kind}: ${String(err)}`);
        record(kind, 'client error');
      },
    );
    running.add(p);
    void p.finally(() => running.delete(p));
    return p;
  };

  const slow: [string, AdversaryClient][] = [
    ['slow headers', slowHeaders],
    ['slow upload', slowBody],
    ['slow reader', slowReader(o.largeFileId)],
  ];
  for (const [kind, client] of slow) {
    for (let i = 0; i < o.slowClients; i++) {
      // Staggered so the slow clients of one kind do not all start and end together.
      const loop = async (): Promise<void> => {
        await pause(o.random.int(2000), stopper.signal);
        while (!stopper.signal.aborted) {
          await launch(kind, client);
          await pause(100 + o.random.int(400), stopper.signal);
        }
      };
      void loop();
    }
  }

  const aborting: [string, AdversaryClient][] = [
    ['abort mid-upload', abortMidUpload],
    ['abort before answer', abortBeforeAnswer],
    ['abort mid-download', abortMidDownload(o.largeFileId)],
  ];
  if (o.abortRate > 0) {
    const arrivals = async (): Promise<void> => {
      while (!stopper.signal.aborted) {
        // Exponential gaps: arrivals of a Poisson process at the mean rate.
        await pause((-Math.log(1 - o.random.next()) / o.abortRate) * 1000, stopper.signal);
        if (stopper.signal.aborted) break;
        const [kind, client] = aborting[o.random.int(aborting.length)] as [string, AdversaryClient];
        void launch(kind, client);
      }
    };
    void arrivals();
  }

  return {
    tally,
    async stop() {
      stopper.abort();
      while (running.size > 0) await Promise.all([...running]);
      return tally;
    },
  };
}

/** Waits `ms`, or less when the signal aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
