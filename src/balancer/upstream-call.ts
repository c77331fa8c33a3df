import type { Readable } from 'node:stream';
import type { UpstreamHeaders } from '../http1/index.ts';
import type { UpstreamRequestHeaders } from './upstream-request-head.ts';

/** Upstream timeouts in ms (0: none). */
export interface UpstreamCallTimeouts {
  /** From the request written (or its body's last progress) to the response head. */
  headers: number;
  /** Longest silence between response body chunks. */
  body: number;
}

/** Where a response body goes: the client's `ServerResponse` (or anything with its backpressure). */
export interface UpstreamBodySink {
  write(chunk: Buffer): boolean;
  end(chunk?: Buffer): unknown;
  once(event: 'drain', listener: () => void): unknown;
  removeListener(event: 'drain', listener: () => void): unknown;
  /**
   * Whether a chunk given to the last `write` or `end` may still be referenced (queued, not yet
   * copied out). Chunks are slices of the connection's read buffer, reused for the next read
   * unless this says so; a sink without the method is taken to keep every chunk.
   */
  retains?(): boolean;
}

/** Cancels a call that is queued or running: a running one loses its connection (never reused). */
export interface UpstreamCancel {
  cancel(call: UpstreamCall): void;
}

/**
 * One request to send upstream and the one who gets its response. The pipeline's `Exchange`
 * implements it, so a request costs no extra objects; callbacks come in order: `onUpstreamHead`
 * once, then `onUpstreamEnd` or `onUpstreamError` once.
 */
export interface UpstreamCall {
  readonly method: string;
  readonly path: string;
  readonly headers: UpstreamRequestHeaders;
  /**
   * The header lines already serialized (`name: value\r\n` each, Host included, no framing or
   * Connection fields), sent in place of `headers`.
   * A proxied request carries its forwarded headers this way: one string built in one pass.
   */
  readonly headerBlock: string | null;
  /**
   * The body's length, written as `content-length` (0 for a request that declared an empty body),
   * or -1: none, or unknown (a body then goes chunked). Framing fields in `headers` are never sent:
   * the head carries only the framing the body is actually written by.
   */
  readonly contentLength: number;
  /** Streamed after the head with backpressure. */
  readonly body: Readable | null;
  /**
   * Sent on a connection no other call used before, while the pool is under its cap (HAProxy's
   * `http-reuse safe`): a client's first request. Bytes a backend sends late, after an answer it
   * already ended, then never reach a client that did not ask on that connection.
   */
  readonly ownConnection: boolean;
  /** This call's timeouts; null: the pool's. */
  readonly callTimeouts: UpstreamCallTimeouts | null;
  /** Set by the pool while the call is queued or running: the way to abort it. */
  upstream: UpstreamCancel | null;
  /**
   * The final response head (status ≥ 200) and its Content-Length as parsed (-1: none; the only
   * length to pass on). Returns where the body goes, or null to drop it.
   */
  onUpstreamHead(status: number, headers: UpstreamHeaders, contentLength: number): UpstreamBodySink | null;
  /** The response was read in full and its sink ended. */
  onUpstreamEnd(): void;
  /** The call failed (before or during the response), or was cancelled. */
  onUpstreamError(err: Error): void;
}
