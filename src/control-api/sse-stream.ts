import type { ServerResponse } from 'node:http';
import { type Clock, PiperError, type TimerHandle } from '../core/index.ts';
import { controlApiErrors } from './control-api-errors.ts';

export interface SseStreamOptions {
  clock: Clock;
  /** A comment line is sent this often so proxies and browsers keep the connection (default 15 s). */
  heartbeatMs?: number;
  /** The client is dropped once this many bytes wait unsent in its socket buffer (default 1 MiB). */
  maxBufferedBytes?: number;
  /** Reconnection delay the browser is told to use, in ms (default 2000). */
  retryMs?: number;
}

/** Why a stream ended: the client went away, it fell too far behind, or the server closed it. */
export type SseCloseReason = 'client' | 'overflow' | 'server';

/**
 * Server-sent events (WHATWG HTML "Server-sent events") on one response. Every event's data is
 * JSON. A client that reads slower than events are produced is disconnected once its unsent
 * buffer passes `maxBufferedBytes`, so a slow dashboard can never grow the server's memory; the
 * browser reconnects on its own after `retry` ms.
 */
export class SseStream {
  readonly #res: ServerResponse;
  readonly #maxBufferedBytes: number;
  readonly #heartbeat: TimerHandle;
  readonly #closeListeners: Array<(reason: SseCloseReason) => void> = [];
  #closed = false;
  #reason: SseCloseReason = 'server';

  constructor(res: ServerResponse, options: SseStreamOptions) {
    this.#res = res;
    this.#maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      // nginx buffers proxied responses unless told not to; events would arrive in bursts.
      'x-accel-buffering': 'no',
    });
    this.#heartbeat = options.clock.setInterval(() => this.#write(': heartbeat\n\n'), options.heartbeatMs ?? 15_000);
    // The client may be gone before the first byte; 'close' would then never fire again.
    if (res.destroyed) {
      this.#end('client');
      return;
    }
    res.on('close', () => this.#end('client'));
    res.write(`retry: ${options.retryMs ?? 2000}\n\n`);
  }

  /** True once the stream has ended, for whatever reason. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends one event with `data` as JSON. Returns false when the stream is closed (or was just
   * closed because the client fell behind). Event names and ids must not hold line breaks.
   */
  send(event: string, data: unknown, id?: string): boolean {
    if (this.#closed) return false;
    checkField('event', event);
    let frame = `event: ${event}\n`;
    if (id !== undefined) {
      checkField('id', id);
      frame += `id: ${id}\n`;
    }
    // JSON.stringify escapes line breaks inside strings, so the data always fits on one line.
    frame += `data: ${JSON.stringify(data) ?? 'null'}\n\n`;
    return this.#write(frame);
  }

  /** Calls `cb` once when the stream ends (immediately if it already has). */
  onClose(cb: (reason: SseCloseReason) => void): void {
    if (this.#closed) cb(this.#reason);
    else this.#closeListeners.push(cb);
  }

  /** Ends the response (idempotent). */
  close(): void {
    this.#end('server');
  }

  #write(frame: string): boolean {
    if (this.#closed) return false;
    if (this.#res.writableLength + Buffer.byteLength(frame) > this.#maxBufferedBytes) {
      this.#end('overflow');
      return false;
    }
    this.#res.write(frame);
    return true;
  }

  #end(reason: SseCloseReason): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#reason = reason;
    this.#heartbeat.cancel();
    // A client that fell behind would take its whole backlog first: cut it off instead.
    if (reason === 'overflow') this.#res.destroy();
    else if (reason === 'server') this.#res.end();
    for (const cb of this.#closeListeners.splice(0)) cb(reason);
  }
}

function checkField(name: string, value: string): void {
  if (/[\r\n\0]/.test(value)) {
    throw new PiperError(controlApiErrors.PIPER_CONTROL_API_INVALID_SSE_FIELD, `SSE ${name} must not contain CR, LF or NUL`, {
      details: { field: name },
    });
  }
}
