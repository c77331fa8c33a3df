import type { Dispatcher } from 'undici';
import { Pool } from 'undici';
import { PiperError } from '../core/index.ts';
import type { RequestSpec } from './request-mix.ts';
import type { InFlightRequest, RequestSender, SendErrorKind, SendSink } from './request-sender.ts';
import { loadgenErrors } from './loadgen-errors.ts';

/** Options of the HTTP sender. */
export interface UndiciSenderOptions {
  /** Origin to load, e.g. `http://127.0.0.1:8080`. */
  origin: string;
  requests: readonly RequestSpec[];
  /** Keep-alive connections opened at most. */
  connections: number;
  /** Backstop for undici's own header/body timeouts; the runner enforces the real timeout. */
  timeoutMs: number;
  /** Clock read when a request goes onto a connection. */
  monotonic: () => number;
}

/**
 * HTTP sender on an undici Pool through `dispatch()`, the cheapest path undici offers (no
 * promise, stream or response object per request; ANCHORS §2.3). Bodies are read and dropped.
 */
export class UndiciSender implements RequestSender {
  readonly #pool: Pool;
  readonly #opts: Dispatcher.DispatchOptions[];
  readonly #monotonic: () => number;
  #closed = false;

  constructor(options: UndiciSenderOptions) {
    let url: URL;
    try {
      url = new URL(options.origin);
    } catch (err) {
      throw new PiperError(loadgenErrors.PIPER_LOADGEN_INVALID_TARGET, `target: "${options.origin}" is not a URL`, { cause: err });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new PiperError(loadgenErrors.PIPER_LOADGEN_INVALID_TARGET, `target: "${options.origin}" must be http:// or https://`);
    }
    this.#monotonic = options.monotonic;
    const backstop = options.timeoutMs + 1000;
    this.#pool = new Pool(url.origin, { connections: options.connections, pipelining: 1, headersTimeout: backstop, bodyTimeout: backstop });
    const basePath = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
    // Options are built once per kind of request: the hot path allocates only the handler.
    this.#opts = options.requests.map((r) => ({
      path: basePath + r.path + (r.path.includes('?') || url.search === '' ? '' : url.search),
      method: r.method as Dispatcher.HttpMethod,
      headers: r.headers,
      body: r.body,
    }));
  }

  send(req: InFlightRequest, sink: SendSink): void {
    this.#pool.dispatch(this.#opts[req.kind] as Dispatcher.DispatchOptions, new RequestHandler(req, sink, this.#monotonic));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.destroy();
  }
}

/** Maps undici and socket errors onto the generator's error kinds. */
export function classifyError(error: Error): SendErrorKind {
  const code = (error as { code?: string }).code ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'ETIMEDOUT') return 'timeout';
  if (
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'ECONNREFUSED' ||
    code === 'EHOSTUNREACH' ||
    code === 'ENETUNREACH' ||
    code === 'ENOTFOUND'
  ) {
    return 'connect';
  }
  if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_CLOSED') return 'reset';
  if (code === 'UND_ERR_ABORTED' || code === 'UND_ERR_DESTROYED' || error.name === 'AbortError') return 'aborted';
  return 'protocol';
}

/**
 * undici's handler for one request: one object with prototype methods, so the hot path allocates
 * no closures (ANCHORS §1.4, hot-path allocation).
 */
class RequestHandler implements Dispatcher.DispatchHandler {
  readonly #req: InFlightRequest;
  readonly #sink: SendSink;
  readonly #monotonic: () => number;

  constructor(req: InFlightRequest, sink: SendSink, monotonic: () => number) {
    this.#req = req;
    this.#sink = sink;
    this.#monotonic = monotonic;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    const req = this.#req;
    req.cancel = controller;
    if (req.done) {
      controller.abort(new Error('timed out before it was sent'));
      return;
    }
    req.startedAt = this.#monotonic();
    this.#sink.started(req);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.#req.status = statusCode;
  }

  onResponseData(): void {}

  onResponseEnd(): void {
    this.#sink.finished(this.#req, this.#req.status, null);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#sink.finished(this.#req, this.#req.status, classifyError(error));
  }
}
