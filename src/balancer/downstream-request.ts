import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { Http1Headers } from './http1-parser.ts';

/** What a request body needs from the connection it arrives on. */
export interface BodySource {
  /** The body's reader wants more: read the socket again (and send `100 Continue` if asked for). */
  wantBody(): void;
}

/**
 * A client's request body as a stream: the connection pushes the parser's slices in, and pauses
 * its socket when the reader (the upstream connection) falls behind, so an upload moves at the
 * backend's pace with at most one stream buffer held here.
 */
export class RequestBody extends Readable {
  readonly #source: BodySource;

  constructor(source: BodySource) {
    super({ highWaterMark: 64 * 1024 });
    this.#source = source;
    // A body nobody reads (its request was shed) may still break off when the client leaves:
    // that must not become an uncaught 'error'. Readers add their own listener.
    this.on('error', noop);
  }

  override _read(): void {
    this.#source.wantBody();
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

  constructor(
    method: string,
    url: string,
    headers: Http1Headers,
    socket: Socket,
    http10: boolean,
    body: RequestBody | null,
    contentLength: number,
  ) {
    this.contentLength = contentLength;
    this.method = method;
    this.url = url;
    this.headers = headers;
    this.socket = socket;
    this.http10 = http10;
    this.body = body;
  }
}

function noop(): void {}
