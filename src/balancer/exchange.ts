import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { UpstreamHeaders } from '../http1/index.ts';
import type { ErrorKind } from '../telemetry/index.ts';
import type { BackendRuntime } from './backend-runtime.ts';
import type { BodyReadyListener, DownstreamRequest } from './downstream-request.ts';
import type { DownstreamResponse, ResponseCloseListener } from './downstream-response.ts';
import type { KeptBody } from './kept-body.ts';
import type { PoolRuntime } from './pool-runtime.ts';
import { downstreamResponseHeaderBlock } from './proxy-headers.ts';
import type { RouteRuntime } from './route-runtime.ts';
import type { UpstreamBodySink, UpstreamCall, UpstreamCancel } from './upstream-call.ts';
import type { UpstreamPool } from './upstream-pool.ts';
import type { UpstreamRequestHeaders } from './upstream-request-head.ts';

const NO_HEADERS: UpstreamRequestHeaders = {};

/** What an exchange calls back into the pipeline that owns it: one object per pipeline, not per request. */
export interface ExchangeHooks {
  /** Once per attempt, with the error that ended it or null. */
  attemptEnded(ex: Exchange, err: Error | null): void;
  /** Once, when the response closes (finished, or the client left). */
  closed(ex: Exchange): void;
  /** Once, when the request body read ahead of admission may go on to admission. */
  bodyReady(ex: Exchange): void;
  /** When the client's socket is full while the response streams (the backend's read is paused). */
  clientBehind(ex: Exchange): void;
}

/**
 * Everything one client request carries through the pipeline's phases. It is also the upstream
 * call of each attempt (the pool calls back into it), the sink its response body streams through
 * (to the client's response), the listener of its response's close and of its body's read-ahead,
 * so a request allocates no handler objects or closures of its own.
 */
export class Exchange implements UpstreamCall, UpstreamBodySink, ResponseCloseListener, BodyReadyListener {
  readonly req: DownstreamRequest;
  readonly res: DownstreamResponse;
  readonly start: number;
  readonly socket: Socket;
  readonly bytesReadStart: number;
  readonly bytesWrittenStart: number;
  route: RouteRuntime | null = null;
  pool: PoolRuntime | null = null;
  backend: BackendRuntime | null = null;
  /** The pool whose admission refused this request before the route's failover pool took it. */
  spilledFrom: PoolRuntime | null = null;
  errorKind: ErrorKind | null = null;
  retries = 0;
  /**
   * Holds a pool admission slot: released once, when the backend's part is done (the response
   * received, or the client's socket full), or else when the response closes.
   */
  admitted = false;
  admittedAt = 0;
  inFlightAtStart = 0;
  /** Set when the response closed (finished or aborted). */
  finished = false;
  /** Set when the client went away before the response finished. */
  clientGone = false;
  /** A 502/503/504 from a backend that is being discarded in favour of a retry. */
  discardedStatus = 0;
  /** The current attempt's Retry-After from the backend, if it sent one. */
  upstreamRetryAfter: string | null = null;
  /** Whether the current attempt may be replaced by a retry (decided before the attempt). */
  mayRetry = false;
  /** True while an upstream attempt is running (the client leaving then cancels it). */
  attempting = false;
  /** Set once a backend's response head was handed to the client (`writeHead`). */
  responseStarted = false;
  /** True while the pipeline itself ends the running attempt (a rollback's rescue), not the client or the backend. */
  withdrawing = false;

  // UpstreamCall: what every attempt sends.
  readonly method: string;
  readonly path: string;
  headers: UpstreamRequestHeaders = NO_HEADERS;
  headerBlock: string | null = null;
  readonly contentLength: number;
  body: Readable | null = null;
  readonly ownConnection: boolean;
  readonly callTimeouts = null;
  upstream: UpstreamCancel | null = null;
  // Attempts: the pipeline's retry loop, kept here so that it runs on callbacks, not promises.
  /** Whether a failed attempt may be sent again (idempotent method; no body, or one kept whole). */
  safe = false;
  /** The body, kept for attempts after the first; null when there is none or it streams once. */
  kept: KeptBody | null = null;
  maxAttempts = 1;
  attemptNo = 0;
  /** The backend of the last failed attempt (the next one avoids it). */
  previous: BackendRuntime | null = null;
  lastKind: ErrorKind | null = null;
  /** Holds a slot of the route's retry budget for the running attempt. */
  retrySlot = false;
  readonly #hooks: ExchangeHooks;

  constructor(req: DownstreamRequest, res: DownstreamResponse, start: number, hooks: ExchangeHooks) {
    this.#hooks = hooks;
    this.req = req;
    this.res = res;
    this.start = start;
    this.socket = req.socket;
    this.bytesReadStart = req.socket.bytesRead;
    this.bytesWrittenStart = req.socket.bytesWritten;
    this.method = req.method;
    this.path = req.url;
    this.contentLength = req.contentLength;
    this.ownConnection = req.first;
    res.onClose = this;
  }

  /** Runs one attempt on a backend's pool; its end comes through `attemptEnded`. */
  attempt(pool: UpstreamPool): void {
    pool.dispatch(this);
  }

  /** The client left: the running attempt's upstream connection is dropped. */
  abortUpstream(): void {
    this.upstream?.cancel(this);
  }

  onUpstreamHead(status: number, headers: UpstreamHeaders, contentLength: number): UpstreamBodySink | null {
    const retryAfter = headers['retry-after'];
    this.upstreamRetryAfter = typeof retryAfter === 'string' ? retryAfter : null;
    // The client already has an answer (the balancer's own, e.g. a 408): this one is dropped.
    if (this.finished) return null;
    if (this.mayRetry && (status === 502 || status === 503 || status === 504)) {
      // Another backend gets the request; this answer is read and dropped.
      this.discardedStatus = status;
      return null;
    }
    this.res.writeHeadBlock(status, downstreamResponseHeaderBlock(headers), contentLength);
    this.responseStarted = true;
    return this;
  }

  // UpstreamBodySink: the client's response, watched for the moment the client falls behind.

  write(chunk: Buffer): boolean {
    if (this.res.write(chunk)) return true;
    if (this.admitted) this.#hooks.clientBehind(this);
    return false;
  }

  end(chunk?: Buffer): void {
    this.res.end(chunk);
  }

  retains(): boolean {
    return this.res.retains();
  }

  once(event: 'drain', listener: () => void): this {
    this.res.once(event, listener);
    return this;
  }

  removeListener(event: 'drain', listener: () => void): this {
    this.res.removeListener(event, listener);
    return this;
  }

  onUpstreamEnd(): void {
    this.#hooks.attemptEnded(this, null);
  }

  onUpstreamError(err: Error): void {
    this.#hooks.attemptEnded(this, err);
  }

  responseClosed(): void {
    this.#hooks.closed(this);
  }

  bodyReady(): void {
    this.#hooks.bodyReady(this);
  }
}
