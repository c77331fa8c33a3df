import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ErrorKind } from '../telemetry/index.ts';
import type { BackendRuntime } from './backend-runtime.ts';
import type { PoolRuntime } from './pool-runtime.ts';
import type { RouteRuntime } from './route-runtime.ts';

/**
 * Everything one client request carries through the pipeline's phases; also undici's `opaque`
 * and its abort `signal`: it emits `abort` when the client goes away mid-attempt. An emitter is
 * much cheaper per request than an AbortController, and undici accepts either.
 */
export class Exchange extends EventEmitter {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
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
  /** True while an upstream attempt is running (an `abort` then cancels it). */
  attempting = false;

  constructor(req: IncomingMessage, res: ServerResponse, start: number) {
    super();
    this.req = req;
    this.res = res;
    this.start = start;
    this.socket = req.socket;
    this.bytesReadStart = req.socket.bytesRead;
    this.bytesWrittenStart = req.socket.bytesWritten;
  }
}
