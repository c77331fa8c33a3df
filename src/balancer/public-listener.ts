import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:net';
import type { Clock, TimerHandle } from '../core/index.ts';
import {
  DownstreamConnection,
  type DownstreamOwner,
  type ListenerTimeouts,
  type RequestBodyLimits,
  type RequestHandler,
} from './downstream-connection.ts';

export type { ListenerTimeouts, RequestBodyLimits } from './downstream-connection.ts';

/** The config's defaults: 64 KiB read ahead; at least 1 KiB/s over 10 s while a body holds a slot. */
const DEFAULT_BODY_LIMITS: RequestBodyLimits = { buffer: 64 * 1024, minRate: 1024, rateWindow: 10_000 };

/**
 * One public listener: a TCP server whose connections speak HTTP/1.1 through piper's own parser
 * and response writer (`DownstreamConnection`) instead of node:http's server, which cost a third
 * of the balancer's CPU per request. Timeouts (head, whole request, keep-alive idle) are deadlines
 * on each connection, checked by one sweep per listener.
 */
export class PublicListener implements DownstreamOwner {
  readonly name: string;
  readonly server: Server;
  readonly clock: Clock;
  readonly handler: RequestHandler;
  timeouts: ListenerTimeouts;
  /** Applies to requests that start after it is set (reload). */
  bodyLimits: RequestBodyLimits;
  draining = false;
  readonly #connections = new Set<DownstreamConnection>();
  #sweep: TimerHandle | null = null;
  #closed: Promise<void> | null = null;
  #dateSecond = -1;
  #date = '';

  constructor(
    name: string,
    handler: RequestHandler,
    timeouts: ListenerTimeouts,
    maxConnections: number,
    clock: Clock,
    bodyLimits: RequestBodyLimits = DEFAULT_BODY_LIMITS,
  ) {
    this.name = name;
    this.handler = handler;
    this.clock = clock;
    this.timeouts = { ...timeouts };
    this.bodyLimits = { ...bodyLimits };
    // Half-open, so that a client's FIN reaches the connection, which ends the exchange at once.
    this.server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      this.#connections.add(new DownstreamConnection(this, socket));
    });
    this.server.maxConnections = maxConnections;
  }

  /** Applies timeouts to the running listener (reload keeps connections, changes limits). */
  applyTimeouts(t: ListenerTimeouts): void {
    this.timeouts = { ...t };
    this.#sweep?.cancel();
    this.#sweep = this.server.listening ? this.clock.setInterval(this.#onSweep, sweepInterval(t)) : null;
  }

  listen(port: number, address: string): Promise<{ name: string; url: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, address, () => {
        this.server.off('error', reject);
        this.#sweep = this.clock.setInterval(this.#onSweep, sweepInterval(this.timeouts));
        const info = this.server.address() as AddressInfo;
        const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
        resolve({ name: this.name, url: `http://${host}:${info.port}`, port: info.port });
      });
    });
  }

  /** The HTTP date, formatted once per second. */
  date(): string {
    const now = this.clock.now();
    const second = Math.floor(now / 1000);
    if (second !== this.#dateSecond) {
      this.#dateSecond = second;
      this.#date = new Date(now).toUTCString();
    }
    return this.#date;
  }

  gone(conn: DownstreamConnection): void {
    this.#connections.delete(conn);
  }

  /** Open client connections (for tests and the admin API). */
  get connections(): number {
    return this.#connections.size;
  }

  /**
   * Stops accepting, lets in-flight requests finish for up to `graceMs` (waited on `sleep`, which
   * is aborted once the last connection has closed, so an idle listener closes at once), then cuts
   * what is left. Idle connections close at once; busy ones after their response. Idempotent.
   */
  close(graceMs: number, sleep: (ms: number, signal: AbortSignal) => Promise<void>): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      if (!this.server.listening) {
        this.#sweep?.cancel();
        resolve();
        return;
      }
      this.draining = true;
      const drained = new AbortController();
      this.server.close(() => {
        this.#sweep?.cancel();
        drained.abort();
        resolve();
      });
      for (const c of [...this.#connections]) c.drain();
      sleep(graceMs, drained.signal).then(
        () => {
          for (const c of [...this.#connections]) c.destroy();
        },
        () => undefined,
      );
    });
    return this.#closed;
  }

  #onSweep = (): void => {
    const now = this.clock.monotonic();
    for (const c of this.#connections) {
      if (c.deadline !== 0 && now >= c.deadline) c.expire();
    }
  };
}

/** Often enough that a 408 comes near its deadline, rarely enough to cost nothing (100 ms – 1 s). */
function sweepInterval(t: ListenerTimeouts): number {
  return Math.max(100, Math.min(1_000, Math.floor(t.headers / 4)));
}
