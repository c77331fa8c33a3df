import { type Clock, isPiperError, type Logger, silentLogger, type TimerHandle } from '../core/index.ts';
import { type HaproxyLiveState, liveStateOf } from './haproxy-live-state.ts';
import type { RuntimeApiClient } from './runtime-api-client.ts';

export interface StatsPollerOptions {
  client: RuntimeApiClient;
  clock: Clock;
  /** Between polls, in ms (default 1000: one per window). */
  intervalMs?: number;
  /** Called with the number of log lines newly lost: HAProxy's DroppedLogs and the socket's kernel drops since the last poll. */
  onLost?: (lines: number) => void;
  /** The receiving socket's drop counter, if it can be read (SyslogReceiver.kernelDrops). */
  kernelDrops?: () => Promise<number | null>;
  logger?: Logger;
}

/** The last poll that failed, for the snapshot: the state shown is older than `at`. */
export interface PollFailure {
  at: number;
  code: string;
  message: string;
}

/**
 * Polls `show info` + `show stat` (one session) once a second for what HAProxy's log lines cannot
 * tell: queues, current sessions, server status and health checks, and the counters of lines that
 * never reached piper. Polls never overlap: a slow socket delays the next one instead.
 */
export class StatsPoller {
  readonly #o: StatsPollerOptions;
  readonly #log: Logger;
  #timer: TimerHandle | null = null;
  #running: Promise<void> | null = null;
  #live: HaproxyLiveState | null = null;
  #failure: PollFailure | null = null;
  #polls = 0;
  #failures = 0;
  /** HAProxy's DroppedLogs at the last poll (null before the first: drops before piper attached are not piper's loss). */
  #droppedLogs: number | null = null;
  /** The socket's drop counter starts at 0 when it opens. */
  #kernelDrops = 0;
  #closed = false;

  constructor(options: StatsPollerOptions) {
    this.#o = options;
    this.#log = options.logger ?? silentLogger();
  }

  /** Polls now, then every `intervalMs`. */
  start(): Promise<void> {
    if (this.#timer === null && !this.#closed) {
      this.#timer = this.#o.clock.setInterval(() => {
        void this.poll();
      }, this.#o.intervalMs ?? 1000);
    }
    return this.poll();
  }

  /** One poll (or the one under way). Never rejects: a failure is kept in `failure` and logged. */
  poll(): Promise<void> {
    this.#running ??= this.#poll().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  /** The last state read, or null before the first successful poll. */
  get live(): HaproxyLiveState | null {
    return this.#live;
  }

  /** The last failed poll, or null once a poll succeeds again. */
  get failure(): PollFailure | null {
    return this.#failure;
  }

  get counts(): { polls: number; failures: number } {
    return { polls: this.#polls, failures: this.#failures };
  }

  /** Stops polling; a poll under way finishes. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = null;
  }

  async #poll(): Promise<void> {
    if (this.#closed) return;
    this.#polls++;
    try {
      const { info, stat } = await this.#o.client.showInfoAndStat();
      const live = liveStateOf(this.#o.clock.now(), info, stat);
      let lost = increase(this.#droppedLogs, live.droppedLogs);
      this.#droppedLogs = live.droppedLogs;
      const kernel = (await this.#o.kernelDrops?.()) ?? null;
      if (kernel !== null) {
        lost += increase(this.#kernelDrops, kernel);
        this.#kernelDrops = kernel;
      }
      this.#live = live;
      if (this.#failure !== null) this.#log.info({ failedSince: this.#failure.at }, 'stats socket answers again');
      this.#failure = null;
      if (lost > 0) {
        this.#log.warn({ lost }, 'log lines lost before reaching piper');
        this.#o.onLost?.(lost);
      }
    } catch (err) {
      this.#failures++;
      const code = isPiperError(err) ? err.code : 'PIPER_HAPROXY_BAD_RESPONSE';
      if (this.#failure === null) this.#log.error({ err }, 'stats socket poll failed; live state is stale');
      this.#failure = { at: this.#o.clock.now(), code, message: err instanceof Error ? err.message : String(err) };
    }
  }
}

/** How much a counter grew; a counter that went back (HAProxy restarted) grew by its new value. */
function increase(before: number | null, now: number): number {
  if (before === null) return 0;
  return now >= before ? now - before : now;
}
