import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { ErrorKind } from '../telemetry/index.ts';
import type { BackendRuntime } from './backend-runtime.ts';
import type { DownstreamRequest } from './downstream-request.ts';
import type { DownstreamResponse } from './downstream-response.ts';
import type { UpstreamHeaders } from './http1-parser.ts';
import type { PoolRuntime } from './pool-runtime.ts';
import { downstreamResponseHeaderBlock } from './proxy-headers.ts';
import type { RouteRuntime } from './route-runtime.ts';
import type { UpstreamBodySink, UpstreamCall, UpstreamCancel } from './upstream-call.ts';
import type { UpstreamPool } from './upstream-pool.ts';
import type { UpstreamRequestHeaders } from './upstream-request-head.ts';

const NO_HEADERS: UpstreamRequestHeaders = {};

/**
 * Everything one client request carries through the pipeline's phases. It is also the upstream
 * call of each attempt (the pool calls back into it), so forwarding a request allocates no
 * handler objects of its own.
 */
export class Exchange implements UpstreamCall {
  readonly req: DownstreamRequest;
  readonly res: DownstreamResponse;
  readonly start: number;
  readonly socket: Socket;
  readonly bytesReadStart: number;
  readonly bytesWrittenStart: number;
  route: RouteRuntime | null = null;
  pool: PoolRuntime | null = null;
  backend: BackendRuntime | null = null;
  errorKind: ErrorKind | null = null;
  retries = 0;
  /** Holds a pool admission slot (released once, when the response closes). */
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

  // UpstreamCall: what every attempt sends.
  readonly method: string;
  readonly path: string;
  headers: UpstreamRequestHeaders = NO_HEADERS;
  headerBlock: string | null = null;
  body: Readable | null = null;
  readonly callTimeouts = null;
  upstream: UpstreamCancel | null = null;
  #resolve: () => void = noop;
  #reject: (err: Error) => void = noop;

  constructor(req: DownstreamRequest, res: DownstreamResponse, start: number) {
    this.req = req;
    this.res = res;
    this.start = start;
    this.socket = req.socket;
    this.bytesReadStart = req.socket.bytesRead;
    this.bytesWrittenStart = req.socket.bytesWritten;
    this.method = req.method;
    this.path = req.url;
  }

  /** Runs one attempt on a backend's pool: resolves once the response was delivered (or discarded). */
  attempt(pool: UpstreamPool): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
      pool.dispatch(this);
    });
  }

  /** The client left: the running attempt's upstream connection is dropped. */
  abortUpstream(): void {
    this.upstream?.cancel(this);
  }

  onUpstreamHead(status: number, headers: UpstreamHeaders): UpstreamBodySink | null {
    const retryAfter = headers['retry-after'];
    this.upstreamRetryAfter = typeof retryAfter === 'string' ? retryAfter : null;
    // The client already has an answer (the balancer's own, e.g. a 408): this one is dropped.
    if (this.finished) return null;
    if (this.mayRetry && (status === 502 || status === 503 || status === 504)) {
      // Another backend gets the request; this answer is read and dropped.
      this.discardedStatus = status;
      return null;
    }
    this.res.writeHeadBlock(status, downstreamResponseHeaderBlock(headers), headers['content-length'] !== undefined);
    this.responseStarted = true;
    return this.res;
  }

  onUpstreamEnd(): void {
    const resolve = this.#resolve;
    this.#resolve = noop;
    this.#reject = noop;
    resolve();
  }

  onUpstreamError(err: Error): void {
    const reject = this.#reject;
    this.#resolve = noop;
    this.#reject = noop;
    reject(err);
  }
}

function noop(): void {}
