import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { type Clock, PiperError, type TimerHandle } from '../core/index.ts';
import { platformErrors } from './platform-errors.ts';

/** How long a client may take over its request body. */
export interface BodyPace {
  clock: Clock;
  /** Bytes per second the body must arrive at while the server waits for it; 0 judges no rate. */
  minRate: number;
  /** The window the rate is judged over (and the grace before it is first judged). */
  windowMs: number;
  /** Longest time, from the headers, for the whole body to arrive; 0 sets no deadline. */
  timeoutMs: number;
  /** Bytes buffered ahead of the reader; at least what {@link RequestBody.arrived} waits for. */
  highWaterMark: number;
}

interface ArrivalWaiter {
  bytes: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Ticks per window: the rate is judged over the last this many ticks spent waiting on the client. */
const TICKS = 10;

/**
 * The body of a request as the handlers read it, fed from the request with backpressure. It holds
 * the client to a pace, the way Apache's mod_reqtimeout (`MinRate`) and nginx's
 * `client_body_timeout` do: over any window in which the server was waiting for it (it had read
 * everything sent and was not holding back), at least `minRate` bytes per second must arrive,
 * else PIPER_PLATFORM_BODY_TOO_SLOW; and all of it within `timeoutMs`, else
 * PIPER_PLATFORM_REQUEST_TIMEOUT (both 408). Time the server itself spends not reading (a busy
 * codec, a full socket) never counts against the client.
 *
 * On such an error the request itself is left alone (only this stream fails), so a 408 can
 * still be written; the caller closes the connection, since the rest of the body is unread.
 */
export class RequestBody extends Readable {
  readonly #req: IncomingMessage;
  readonly #pace: BodyPace;
  readonly #ticks: number[] = [];
  readonly #timers: TimerHandle[] = [];
  readonly #arrivalWaiters: ArrivalWaiter[] = [];
  #sinceTick = 0;
  #paused = false;
  #ended = false;
  /** Body bytes received so far. */
  received = 0;

  constructor(req: IncomingMessage, pace: BodyPace) {
    super({ highWaterMark: pace.highWaterMark });
    this.#req = req;
    this.#pace = pace;
    // A pace failure may come while nothing reads the body yet (waiting for its first bytes or
    // for a slot): it is reported through arrived(), `errored` and the pipeline that reads it.
    this.on('error', () => undefined);
    req.on('data', this.#onData);
    req.on('end', this.#onEnd);
    req.on('close', this.#onClose);
    req.on('error', this.#onClose);
    if (pace.minRate > 0) this.#timers.push(pace.clock.setInterval(() => this.#tick(), pace.windowMs / TICKS));
    if (pace.timeoutMs > 0) {
      this.#timers.push(
        pace.clock.setTimeout(() => {
          this.destroy(
            new PiperError(platformErrors.PIPER_PLATFORM_REQUEST_TIMEOUT, `the request body did not arrive within ${pace.timeoutMs} ms`, {
              details: { received: this.received },
            }),
          );
        }, pace.timeoutMs),
      );
    }
  }

  /** True once the whole body has arrived. */
  get complete(): boolean {
    return this.#ended;
  }

  /**
   * Resolves once `bytes` of the body (or all of it, if shorter) have arrived and wait unread,
   * without consuming them; rejects if the body fails first.
   */
  arrived(bytes: number): Promise<void> {
    const want = Math.min(bytes, this.readableHighWaterMark);
    if (this.#ended || this.readableLength >= want) return Promise.resolve();
    if (this.destroyed) return Promise.reject(this.errored ?? new Error('the request body was closed'));
    return new Promise((resolve, reject) => this.#arrivalWaiters.push({ bytes: want, resolve, reject }));
  }

  override _read(): void {
    if (this.#paused) {
      this.#paused = false;
      this.#req.resume();
    }
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.#stop();
    for (const w of this.#arrivalWaiters.splice(0)) w.reject(err ?? new Error('the request body was closed'));
    done(err);
  }

  readonly #onData = (chunk: Buffer): void => {
    this.received += chunk.length;
    this.#sinceTick += chunk.length;
    if (!this.push(chunk)) {
      this.#paused = true;
      this.#req.pause();
    }
    this.#wake();
  };

  readonly #onEnd = (): void => {
    this.#ended = true;
    this.#stop();
    this.push(null);
    this.#wake();
  };

  readonly #onClose = (): void => {
    if (this.#ended || this.destroyed) return;
    this.destroy(
      new PiperError(platformErrors.PIPER_PLATFORM_CLIENT_CLOSED, 'the client closed the connection before its request body ended'),
    );
  };

  #wake(): void {
    for (let i = this.#arrivalWaiters.length - 1; i >= 0; i--) {
      const w = this.#arrivalWaiters[i] as ArrivalWaiter;
      if (this.#ended || this.readableLength >= w.bytes) {
        this.#arrivalWaiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  #tick(): void {
    const got = this.#sinceTick;
    this.#sinceTick = 0;
    // Only time spent waiting on the client is judged: everything it sent has been taken from the
    // request, and this stream is not holding the request back because its reader is slow.
    const waiting = !this.#paused && this.#req.readableLength === 0;
    if (!waiting) return;
    this.#ticks.push(got);
    if (this.#ticks.length > TICKS) this.#ticks.shift();
    if (this.#ticks.length < TICKS) return;
    const bytes = this.#ticks.reduce((a, b) => a + b, 0);
    const needed = (this.#pace.minRate * this.#pace.windowMs) / 1000;
    if (bytes < needed) {
      this.destroy(
        new PiperError(
          platformErrors.PIPER_PLATFORM_BODY_TOO_SLOW,
          `the request body arrived at ${Math.round((bytes * 1000) / this.#pace.windowMs)} bytes/s over ${this.#pace.windowMs} ms, under the minimum of ${this.#pace.minRate}`,
          { details: { received: this.received } },
        ),
      );
    }
  }

  #stop(): void {
    for (const t of this.#timers.splice(0)) t.cancel();
    this.#req.off('data', this.#onData);
    this.#req.off('end', this.#onEnd);
    this.#req.off('close', this.#onClose);
    this.#req.off('error', this.#onClose);
  }
}
