import type { Clock, TimerHandle } from '../core/index.ts';
import type { UpstreamCall, UpstreamCallTimeouts, UpstreamCancel } from './upstream-call.ts';
import { type ConnectionOwner, UpstreamConnection } from './upstream-connection.ts';
import { UpstreamErrorCode, upstreamError } from './upstream-error.ts';
import { UpstreamProbe, type UpstreamProbeOptions, type UpstreamProbeResult } from './upstream-probe.ts';

/** How one backend's pool connects and how long it waits. */
export interface UpstreamPoolOptions {
  /** The backend's URL; only its origin is used (http:// only). */
  url: string;
  clock: Clock;
  /** Most connections open at once (connecting ones included). */
  connections: number;
  /** Idle time after which a kept-alive connection is closed (ms), when the backend gives no shorter hint. */
  keepAliveTimeout: number;
  /** Time to connect (ms; 0: none). */
  connect: number;
  /** Time to the response head and between body chunks (ms; 0: none). */
  timeouts: UpstreamCallTimeouts;
}

/** Connections and calls of one pool, as the admin API shows them. */
export interface UpstreamPoolStats {
  /** Sockets connected (idle or busy). */
  connected: number;
  /** Calls on a connection (connecting, sending or receiving). */
  running: number;
  /** Calls waiting for a connection. */
  pending: number;
}

/**
 * The balancer's HTTP/1.1 client for one backend, in place of undici's `Pool`: at most
 * `connections` keep-alive connections, the most recently used idle one first (LIFO keeps few
 * sockets warm and lets the rest expire), calls beyond that wait in a FIFO. A call that asks for
 * a connection of its own (a client's first request) gets a new one while the pool is under its
 * cap, as HAProxy's default `http-reuse safe` does; at the cap it shares like any other. Timeouts (connect,
 * response head, body silence, keep-alive idle) are deadlines on each connection checked by one
 * coarse sweep per pool on the injected clock: no timer per request, and a sweep of a few hundred
 * numbers costs less than re-arming timers on every chunk. The sweep runs only while the pool
 * has connections and fires up to one sweep interval late.
 */
export class UpstreamPool implements ConnectionOwner, UpstreamCancel {
  readonly origin: string;
  readonly hostHeader: string;
  readonly clock: Clock;
  readonly connectTimeout: number;
  readonly callTimeouts: UpstreamCallTimeouts;
  readonly keepAliveTimeout: number;
  /** Time between sweeps of the deadlines (ms). */
  readonly sweepInterval: number;
  readonly #host: string;
  readonly #port: number;
  readonly #max: number;
  readonly #all = new Set<UpstreamConnection>();
  readonly #idle: UpstreamConnection[] = [];
  #pending: (UpstreamCall | null)[] = [];
  #pendingHead = 0;
  #pendingCount = 0;
  #sweep: TimerHandle | null = null;
  #closing: Promise<void> | null = null;
  #final = false;
  #drained: (() => void) | null = null;

  constructor(o: UpstreamPoolOptions) {
    const url = new URL(o.url);
    this.origin = url.origin;
    this.hostHeader = url.host;
    this.#host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.#port = url.port === '' ? 80 : Number(url.port);
    this.clock = o.clock;
    this.#max = Math.max(1, o.connections);
    this.keepAliveTimeout = o.keepAliveTimeout;
    this.connectTimeout = o.connect;
    this.callTimeouts = o.timeouts;
    const shortest = Math.min(...[o.connect, o.timeouts.headers, o.timeouts.body, o.keepAliveTimeout].filter((t) => t > 0));
    this.sweepInterval = Math.max(10, Math.min(100, Math.floor(shortest / 10)));
  }

  get stats(): UpstreamPoolStats {
    let connected = 0;
    let running = 0;
    for (const c of this.#all) {
      if (c.isConnected && !c.socket.destroyed) connected++;
      if (c.busy) running++;
    }
    return { connected, running, pending: this.#pendingCount };
  }

  /** Sends a call on an idle connection, a new one, or queues it. Its outcome comes through its callbacks. */
  dispatch(call: UpstreamCall): void {
    if (this.#closing !== null) {
      call.onUpstreamError(upstreamError(UpstreamErrorCode.poolClosed, `the connection pool of ${this.origin} is closed`, this.origin));
      return;
    }
    this.#send(call);
  }

  #send(call: UpstreamCall): void {
    if (call.ownConnection && this.#all.size < this.#max) {
      this.#open().assign(call);
      return;
    }
    let conn = this.#idle.pop();
    // One closed by a sweep or by the backend may sit here until its 'close' event.
    while (conn?.socket.destroyed === true) conn = this.#idle.pop();
    if (conn !== undefined) {
      conn.assign(call);
    } else if (this.#all.size < this.#max) {
      this.#open().assign(call);
    } else {
      this.#pending.push(call);
      this.#pendingCount++;
      call.upstream = this;
    }
  }

  /** A GET (or other body-less request) whose body is read and dropped: for health checks. */
  request(options: UpstreamProbeOptions): Promise<UpstreamProbeResult> {
    return new UpstreamProbe(options, this.callTimeouts).run(this);
  }

  /** Drops a queued call (the pool is its cancel handle while it waits). */
  cancel(call: UpstreamCall): void {
    const at = this.#pending.indexOf(call, this.#pendingHead);
    if (at === -1) return;
    this.#pending[at] = null;
    this.#pendingCount--;
    call.upstream = null;
    call.onUpstreamError(upstreamError(UpstreamErrorCode.aborted, 'the request was aborted', this.origin));
  }

  /**
   * Closes the pool; idempotent. `final`: every connection is destroyed and every call fails now.
   * Otherwise (a reload) new calls are refused, idle connections close, and running and queued
   * calls finish first. A final close after a graceful one cuts it short.
   */
  close(final = true): Promise<void> {
    if (final && !this.#final) {
      this.#final = true;
      this.#closing ??= this.#whenDrained();
      const err = upstreamError(UpstreamErrorCode.poolClosed, `the connection pool of ${this.origin} was closed`, this.origin);
      for (const call of this.#takePending()) {
        call.upstream = null;
        call.onUpstreamError(err);
      }
      for (const c of [...this.#all]) c.destroy();
    } else if (this.#closing === null) {
      this.#closing = this.#whenDrained();
      for (const c of this.#idle.splice(0)) c.destroy();
    }
    this.#checkDrained();
    return this.#closing;
  }

  // --- ConnectionOwner ---

  released(conn: UpstreamConnection): void {
    const next = this.#nextPending();
    if (next !== null) {
      conn.assign(next);
    } else if (this.#closing !== null) {
      conn.destroy();
    } else {
      this.#idle.push(conn);
    }
  }

  gone(conn: UpstreamConnection): void {
    this.#all.delete(conn);
    const at = this.#idle.lastIndexOf(conn);
    if (at !== -1) this.#idle.splice(at, 1);
    // A freed slot serves the oldest waiting call.
    while (this.#pendingCount > 0 && this.#all.size < this.#max && !this.#final) {
      const next = this.#nextPending();
      if (next === null) break;
      this.#open().assign(next);
    }
    if (this.#all.size === 0) {
      this.#sweep?.cancel();
      this.#sweep = null;
    }
    this.#checkDrained();
  }

  retry(call: UpstreamCall): void {
    // A call already accepted runs on through a graceful close; only a final close refuses it.
    if (this.#final)
      call.onUpstreamError(upstreamError(UpstreamErrorCode.poolClosed, `the connection pool of ${this.origin} was closed`, this.origin));
    else this.#send(call);
  }

  // --- internals ---

  #open(): UpstreamConnection {
    const conn = new UpstreamConnection(this, this.#host, this.#port);
    this.#all.add(conn);
    this.#sweep ??= this.clock.setInterval(this.#onSweep, this.sweepInterval);
    return conn;
  }

  #onSweep = (): void => {
    const now = this.clock.monotonic();
    for (const c of this.#all) {
      if (c.deadline !== 0 && now >= c.deadline) c.expire();
    }
  };

  #nextPending(): UpstreamCall | null {
    while (this.#pendingHead < this.#pending.length) {
      const call = this.#pending[this.#pendingHead];
      this.#pending[this.#pendingHead++] = null;
      if (this.#pendingHead > 1024 && this.#pendingHead * 2 > this.#pending.length) {
        this.#pending = this.#pending.slice(this.#pendingHead);
        this.#pendingHead = 0;
      }
      if (call !== null && call !== undefined) {
        this.#pendingCount--;
        call.upstream = null;
        return call;
      }
    }
    this.#pending.length = 0;
    this.#pendingHead = 0;
    return null;
  }

  #takePending(): UpstreamCall[] {
    const out: UpstreamCall[] = [];
    for (let c = this.#nextPending(); c !== null; c = this.#nextPending()) out.push(c);
    return out;
  }

  #whenDrained(): Promise<void> {
    return new Promise((resolve) => {
      this.#drained = resolve;
    });
  }

  #checkDrained(): void {
    if (this.#closing === null || this.#all.size > 0 || this.#pendingCount > 0) return;
    this.#sweep?.cancel();
    this.#sweep = null;
    this.#drained?.();
    this.#drained = null;
  }
}
