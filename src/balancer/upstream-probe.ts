import type { UpstreamHeaders } from '../http1/index.ts';
import type { UpstreamBodySink, UpstreamCall, UpstreamCallTimeouts, UpstreamCancel } from './upstream-call.ts';
import type { UpstreamRequestHeaders } from './upstream-request-head.ts';

/** A request whose body is read and dropped (health checks). */
export interface UpstreamProbeOptions {
  path: string;
  method?: string;
  headers?: Record<string, string>;
  /** Aborting it destroys the connection the probe runs on. */
  signal?: AbortSignal;
  /** Overrides the pool's response timeouts (ms). */
  timeouts?: UpstreamCallTimeouts;
}

/** What a probe learned: the final status and the response head. */
export interface UpstreamProbeResult {
  statusCode: number;
  headers: UpstreamHeaders;
}

/** A body-less call whose promise settles once the whole response was read (body dropped). */
export class UpstreamProbe implements UpstreamCall {
  readonly method: string;
  readonly path: string;
  readonly headers: UpstreamRequestHeaders;
  readonly headerBlock = null;
  readonly contentLength = -1;
  readonly body = null;
  readonly ownConnection = false;
  readonly callTimeouts: UpstreamCallTimeouts;
  upstream: UpstreamCancel | null = null;
  readonly #signal: AbortSignal | null;
  #status = 0;
  #headers: UpstreamHeaders = {};
  #resolve: (r: UpstreamProbeResult) => void = () => undefined;
  #reject: (err: Error) => void = () => undefined;

  constructor(o: UpstreamProbeOptions, poolTimeouts: UpstreamCallTimeouts) {
    this.method = o.method ?? 'GET';
    this.path = o.path;
    this.headers = o.headers ?? {};
    this.callTimeouts = o.timeouts ?? poolTimeouts;
    this.#signal = o.signal ?? null;
  }

  run(pool: { dispatch(call: UpstreamCall): void }): Promise<UpstreamProbeResult> {
    return new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
      const signal = this.#signal;
      if (signal?.aborted) {
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        return;
      }
      signal?.addEventListener('abort', this.#onAbort, { once: true });
      pool.dispatch(this);
    });
  }

  onUpstreamHead(status: number, headers: UpstreamHeaders): UpstreamBodySink | null {
    this.#status = status;
    this.#headers = headers;
    return null;
  }

  onUpstreamEnd(): void {
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#resolve({ statusCode: this.#status, headers: this.#headers });
  }

  onUpstreamError(err: Error): void {
    this.#signal?.removeEventListener('abort', this.#onAbort);
    const reason = this.#signal?.aborted === true ? this.#signal.reason : undefined;
    this.#reject(reason instanceof Error ? reason : err);
  }

  #onAbort = (): void => {
    this.upstream?.cancel(this);
  };
}
