import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { Http1Headers } from '../http1/index.ts';
import type { BodyBufferBudget } from './body-buffer-budget.ts';

/** What a request body needs from the connection it arrives on. */
export interface BodySource {
  /** The body's reader wants more: read the socket again (and send `100 Continue` if asked for). */
  wantBody(): void;
  /** The body's request took a backend slot: from now on the body is held to the minimum rate. */
  slotTaken(): void;
}

/** Told once when a body read ahead may go to admission: it arrived in full, or it will not be held any longer. */
export interface BodyReadyListener {
  bodyReady(): void;
}

/** The stream buffer of a body, at least: what flows to the backend between two pauses of the client's socket. */
const STREAM_HIGH_WATER_MARK = 64 * 1024;

/**
 * A client's request body as a stream: the connection pushes the parser's slices in (`receive`), and
 * pauses its socket when the reader (the upstream connection) falls behind, so an upload moves at
 * the backend's pace with at most one stream buffer held here.
 *
 * Before its request asks for a pool slot, the pipeline reads the body ahead (`readAhead`): up to
 * `aheadLimit` bytes are received with nobody reading them, so that a body which fits arrives in
 * full before it takes a backend slot. The time a client takes to send it is then its own, not a
 * backend's: three uploads dribbling a byte a second no longer hold three slots of the pool.
 */
export class RequestBody extends Readable {
  /** The whole body arrived (its last byte was pushed). */
  complete = false;
  /** Monotonic ms when the last byte arrived (0 until then). */
  completedAt = 0;
  readonly #source: BodySource;
  readonly #aheadLimit: number;
  #ready: BodyReadyListener | null = null;
  #budget: BodyBufferBudget | null = null;
  /** Bytes counted against the budget while reading ahead. */
  #counted = 0;

  /** `aheadLimit`: bytes read ahead of admission at most (0: none; the body streams from its head). */
  constructor(source: BodySource, aheadLimit: number) {
    super({ highWaterMark: Math.max(aheadLimit, STREAM_HIGH_WATER_MARK) });
    this.#source = source;
    this.#aheadLimit = aheadLimit;
    // A body nobody reads (its request was shed) may still break off when the client leaves:
    // that must not become an uncaught 'error'. Readers add their own listener.
    this.on('error', noop);
  }

  /**
   * Receives the body with nobody reading it (and invites it: `100 Continue`) until it is complete,
   * or `aheadLimit` bytes wait, or the budget of all bodies read ahead is spent; then tells
   * `listener` (at once when there is nothing to read ahead). A body that breaks off first tells
   * nobody: its response closes instead.
   */
  readAhead(budget: BodyBufferBudget, listener: BodyReadyListener): void {
    if (this.complete || this.#aheadLimit === 0 || this.readableLength >= this.#aheadLimit) {
      listener.bodyReady();
      return;
    }
    this.#budget = budget;
    this.#ready = listener;
    this.#source.wantBody();
  }

  /**
   * The request took a backend slot while its body still arrives: from now on a body slower than
   * the listener's minimum rate is cut with 408, so that a trickling upload cannot hold the slot.
   */
  slotTaken(): void {
    if (!this.complete && !this.destroyed) this.#source.slotTaken();
  }

  /** A slice of the body arrived; false when the stream buffer is full (pause the socket). */
  receive(chunk: Buffer): boolean {
    const room = this.push(chunk);
    if (this.#ready !== null) {
      this.#counted += chunk.length;
      const withinBudget = (this.#budget as BodyBufferBudget).take(chunk.length);
      if (!withinBudget || !room || this.readableLength >= this.#aheadLimit) this.#goAhead();
    }
    return room;
  }

  /** The last byte arrived at `at` (monotonic ms). */
  finish(at: number): void {
    this.complete = true;
    this.completedAt = at;
    this.push(null);
    if (this.#ready !== null) this.#goAhead();
  }

  override _read(): void {
    this.#source.wantBody();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.#ready = null;
    this.#uncount();
    callback(err);
  }

  #goAhead(): void {
    const listener = this.#ready as BodyReadyListener;
    this.#ready = null;
    // From here the body waits on admission and then flows to a backend: the memory it holds is
    // bounded by the pool's queue and slots, no longer by the read-ahead budget.
    this.#uncount();
    listener.bodyReady();
  }

  #uncount(): void {
    if (this.#counted === 0) return;
    (this.#budget as BodyBufferBudget).give(this.#counted);
    this.#counted = 0;
  }
}

/**
 * One client request as the balancer's pipeline sees it: the part of node:http's
 * `IncomingMessage` it used (method, url, headers, socket), plus the body as a stream when there
 * is one.
 */
export class DownstreamRequest {
  readonly method: string;
  /** The request-target in origin form (`/path?query`); an absolute-form target is reduced to it. */
  readonly url: string;
  readonly headers: Http1Headers;
  readonly socket: Socket;
  readonly http10: boolean;
  /** The body, or null when the request has none (no length, or a length of 0). */
  readonly body: RequestBody | null;
  /** The Content-Length the body is read by; -1 when there is none (chunked, or no body). */
  readonly contentLength: number;
  /** The first request on its client connection. */
  readonly first: boolean;

  constructor(
    method: string,
    url: string,
    headers: Http1Headers,
    socket: Socket,
    http10: boolean,
    body: RequestBody | null,
    contentLength: number,
    first: boolean,
  ) {
    this.contentLength = contentLength;
    this.first = first;
    this.method = method;
    this.url = url;
    this.headers = headers;
    this.socket = socket;
    this.http10 = http10;
    this.body = body;
  }
}

function noop(): void {}
