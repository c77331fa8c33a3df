import { type Clock, isPiperError, type Logger, PiperError, silentLogger, type TimerHandle } from '../core/index.ts';
import type { TelemetryWindow } from '../telemetry/index.ts';
import type { DataPlane, DataPlaneSnapshot, SetSplitOptions, Split } from './data-plane.ts';
import { dataPlaneErrors } from './data-plane-errors.ts';

export interface HttpDataPlaneOptions {
  /** Base URL of a balancer's admin API, e.g. `http://127.0.0.1:9901`. */
  adminUrl: string;
  /** Admin bearer token (needed for PUT split and heartbeats when the balancer has one). */
  token?: string;
  clock: Clock;
  logger?: Logger;
  /** How often the cached state is refreshed (default 1 s). */
  pollMs?: number;
  /** Time limit of each admin call (default 2 s: a rollback must not wait on a hung socket). */
  requestTimeoutMs?: number;
}

/**
 * The DataPlane port over a remote balancer's admin API (docs/api.md, "Balancer"): GET state,
 * PUT split, POST heartbeat, and the SSE window stream. `snapshot()` is synchronous in the port,
 * so the adapter keeps the last state it fetched (refreshed every second and after each split).
 */
export class HttpDataPlane implements DataPlane {
  readonly #base: string;
  readonly #headers: Record<string, string>;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #timeoutMs: number;
  readonly #abort = new AbortController();
  #state: DataPlaneSnapshot;
  #poll: TimerHandle | undefined;
  #heartbeatFailures = 0;
  #lastError: PiperError | null = null;
  #closed = false;

  private constructor(options: HttpDataPlaneOptions, state: DataPlaneSnapshot) {
    this.#base = options.adminUrl.replace(/\/+$/, '');
    this.#headers = options.token ? { authorization: `Bearer ${options.token}` } : {};
    this.#clock = options.clock;
    this.#log = (options.logger ?? silentLogger()).child({ part: 'rollout', dataPlane: this.#base });
    this.#timeoutMs = options.requestTimeoutMs ?? 2000;
    this.#state = state;
  }

  /** Connects (fetches the state once, so a wrong URL or token fails here) and starts polling. */
  static async connect(options: HttpDataPlaneOptions): Promise<HttpDataPlane> {
    const probe = new HttpDataPlane(options, { at: 0, routes: [], pools: [] });
    probe.#state = await probe.#fetchState();
    probe.#startPolling(options.pollMs ?? 1000);
    return probe;
  }

  /**
   * Connects to a balancer that may be down now (a fleet member while its control plane starts):
   * the state is empty and `lastError` says why until a poll reaches it. Only what may pass is
   * waited for (unreachable, a 5xx while it starts); a wrong token still fails here, since no wait
   * would mend it.
   */
  static async connectOrWait(options: HttpDataPlaneOptions): Promise<HttpDataPlane> {
    try {
      return await HttpDataPlane.connect(options);
    } catch (err) {
      if (!isPiperError(err) || !err.retryable) throw err;
      const waiting = new HttpDataPlane(options, { at: 0, routes: [], pools: [] });
      waiting.#lastError = err;
      waiting.#startPolling(options.pollMs ?? 1000);
      return waiting;
    }
  }

  /** Why the last state poll failed, or null when it succeeded. */
  get lastError(): PiperError | null {
    return this.#lastError;
  }

  #startPolling(pollMs: number): void {
    this.#poll = this.#clock.setInterval(() => {
      this.refresh().catch((err: unknown) => {
        // Logged when it starts failing, not every second while it is down.
        if (this.#lastError === null) this.#log.warn({ err }, 'refreshing data-plane state failed');
        this.#lastError = err instanceof PiperError ? err : unreachable(`GET ${this.#base}/api/v1/state`, err);
      });
    }, pollMs);
  }

  snapshot(): DataPlaneSnapshot {
    return this.#state;
  }

  /** Re-reads the balancer's state now. */
  async refresh(): Promise<void> {
    if (this.#closed) return;
    this.#state = await this.#fetchState();
    this.#lastError = null;
  }

  async setSplit(route: string, split: Split, reason: string, options: SetSplitOptions = {}): Promise<void> {
    const body: Record<string, unknown> = { split, reason };
    if (options.actor !== undefined) body.actor = options.actor;
    if (options.deadMan !== undefined) body.deadMan = options.deadMan;
    if (options.term !== undefined) body.term = options.term;
    if (options.leader !== undefined) body.leader = options.leader;
    await this.#call('PUT', `/api/v1/routes/${encodeURIComponent(route)}/split`, body);
    // Reading back keeps snapshot() truthful right after our own change.
    await this.refresh().catch((err: unknown) => this.#log.warn({ err }, 'state refresh after split failed'));
  }

  heartbeat(route: string, term?: number, leader?: string): void {
    this.#call('POST', `/api/v1/routes/${encodeURIComponent(route)}/heartbeat`, fenceBody(term, leader)).then(
      () => {
        this.#heartbeatFailures = 0;
      },
      (err: unknown) => {
        // Logged on the first failure and every 10th after, not once a second forever.
        if (this.#heartbeatFailures++ % 10 === 0) this.#log.warn({ err, route, failures: this.#heartbeatFailures }, 'heartbeat failed');
      },
    );
  }

  /** Raises the balancer's term (`POST /api/v1/term`); rejects with PIPER_SPLIT_STALE_TERM when a newer leader is known there. */
  async announceTerm(term: number, leader: string): Promise<void> {
    await this.#call('POST', '/api/v1/term', { term, leader });
  }

  /**
   * The balancer's windows over SSE. A connection refused or cut mid-stream fails the iteration
   * with `PIPER_ROLLOUT_DATA_PLANE_UNREACHABLE` (the reader reconnects); an abort ends it.
   */
  async *windows(signal?: AbortSignal): AsyncIterable<TelemetryWindow> {
    const both = signal === undefined ? this.#abort.signal : AbortSignal.any([signal, this.#abort.signal]);
    const what = `GET ${this.#base}/api/v1/windows/stream`;
    let res: Response;
    try {
      res = await fetch(`${this.#base}/api/v1/windows/stream`, {
        headers: { ...this.#headers, accept: 'text/event-stream' },
        signal: both,
      });
    } catch (err) {
      if (both.aborted) return;
      throw unreachable(what, err);
    }
    if (!res.ok || res.body === null) throw await this.#error(res, 'GET /api/v1/windows/stream');
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const w = parseWindowFrame(frame);
          if (w !== null) yield w;
          end = buffer.indexOf('\n\n');
        }
      }
    } catch (err) {
      if (both.aborted) return;
      throw unreachable(what, err);
    }
  }

  /** Stops polling and ends window streams. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#poll?.cancel();
    this.#abort.abort(new Error('data plane closed'));
  }

  async #fetchState(): Promise<DataPlaneSnapshot> {
    return (await this.#call('GET', '/api/v1/state')) as DataPlaneSnapshot;
  }

  async #call(method: string, path: string, body?: unknown): Promise<unknown> {
    const ctl = new AbortController();
    const timer = this.#clock.setTimeout(() => ctl.abort(new Error(`timed out after ${this.#timeoutMs} ms`)), this.#timeoutMs);
    try {
      const res = await fetch(`${this.#base}${path}`, {
        method,
        headers: { ...this.#headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.any([ctl.signal, this.#abort.signal]),
      });
      if (!res.ok) throw await this.#error(res, `${method} ${path}`);
      return (await res.json()) as unknown;
    } catch (err) {
      if (err instanceof PiperError) throw err;
      throw unreachable(`${method} ${this.#base}${path}`, err);
    } finally {
      timer.cancel();
    }
  }

  async #error(res: Response, what: string): Promise<PiperError> {
    let detail = `HTTP ${res.status}`;
    let code: string | undefined;
    try {
      const body = (await res.json()) as { error?: { code?: string; message?: string } };
      code = body.error?.code;
      if (body.error?.message) detail += ` ${code ?? ''}: ${body.error.message}`;
    } catch {
      // Not JSON: the status is all there is to report.
    }
    // A deposed leader must learn it is deposed (and stop), not take it for a balancer's fault.
    if (code === 'PIPER_SPLIT_STALE_TERM') {
      return new PiperError(dataPlaneErrors.PIPER_SPLIT_STALE_TERM, `${what} on ${this.#base}: ${detail}`);
    }
    return new PiperError(dataPlaneErrors.PIPER_ROLLOUT_DATA_PLANE_REFUSED, `${what} on ${this.#base}: ${detail}`, {
      retryable: res.status >= 500,
      details: { upstreamStatus: res.status },
    });
  }
}

/** A heartbeat's body: the leader's term and name, or none (an operator's, or a controller without election). */
function fenceBody(term: number | undefined, leader: string | undefined): Record<string, unknown> | undefined {
  if (term === undefined) return undefined;
  return leader === undefined ? { term } : { term, leader };
}

/** The balancer could not be reached, or the connection broke: retryable, the data plane may be back. */
function unreachable(what: string, err: unknown): PiperError {
  // fetch says only "fetch failed" or "terminated"; the cause says why (ECONNREFUSED, a reset).
  const cause = (err as { cause?: { message?: unknown } }).cause?.message;
  const why = typeof cause === 'string' && cause !== '' ? `${(err as Error).message} (${cause})` : (err as Error).message;
  return new PiperError(dataPlaneErrors.PIPER_ROLLOUT_DATA_PLANE_UNREACHABLE, `${what} failed: ${why}`, {
    cause: err,
  });
}

/** Parses one SSE frame; only `event: window` frames carry a window. */
function parseWindowFrame(frame: string): TelemetryWindow | null {
  let event = 'message';
  const data: string[] = [];
  for (const line of frame.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  if (event !== 'window' || data.length === 0) return null;
  try {
    return JSON.parse(data.join('\n')) as TelemetryWindow;
  } catch {
    return null;
  }
}
