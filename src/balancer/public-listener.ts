import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** Largest request head accepted; beyond it the client gets 431 (Node's own default, made explicit). */
export const MAX_HEADER_SIZE = 16 * 1024;

export interface ListenerTimeouts {
  /** All request headers within this (slowloris guard → 408). */
  headers: number;
  /** The whole request within this. */
  request: number;
  /** Keep-alive idle time. */
  idle: number;
}

/** One public listener: a node:http server with the configured limits and clean error answers. */
export class PublicListener {
  readonly name: string;
  readonly server: Server;
  #closed: Promise<void> | null = null;

  constructor(
    name: string,
    handler: (req: IncomingMessage, res: ServerResponse) => void,
    timeouts: ListenerTimeouts,
    maxConnections: number,
  ) {
    this.name = name;
    this.server = createServer(
      {
        keepAlive: true,
        maxHeaderSize: MAX_HEADER_SIZE,
        requireHostHeader: true,
        // Never accept ambiguous framing (CL with TE, bad chunking): request smuggling (RFC 9112 §6.3).
        insecureHTTPParser: false,
        // Timeouts are enforced by a sweep; run it often enough that 408 comes near the deadline.
        connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(timeouts.headers / 4))),
      },
      handler,
    );
    this.applyTimeouts(timeouts);
    this.server.maxConnections = maxConnections;
    this.server.on('clientError', onClientError);
  }

  /** Applies timeouts to the running server (reload keeps connections, changes limits). */
  applyTimeouts(t: ListenerTimeouts): void {
    const request = Math.max(t.request, t.headers);
    this.server.requestTimeout = request;
    this.server.headersTimeout = Math.min(t.headers, request);
    this.server.keepAliveTimeout = t.idle;
  }

  listen(port: number, address: string): Promise<{ name: string; url: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, address, () => {
        this.server.off('error', reject);
        const info = this.server.address() as AddressInfo;
        const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
        resolve({ name: this.name, url: `http://${host}:${info.port}`, port: info.port });
      });
    });
  }

  /**
   * Stops accepting, lets in-flight requests finish for up to `graceMs` (waited on `sleep`), then
   * cuts what is left. Idempotent.
   */
  close(graceMs: number, sleep: (ms: number) => Promise<void>): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      if (!this.server.listening) {
        resolve();
        return;
      }
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
      void sleep(graceMs).then(() => this.server.closeAllConnections());
    });
    return this.#closed;
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Content Too Large',
  431: 'Request Header Fields Too Large',
};

/** Answers a request the parser refused with a proper status and a JSON error, then closes. */
function onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  const code = err.code ?? '';
  if (code === 'ECONNRESET' || !socket.writable || (socket as Socket & { _httpMessage?: unknown })._httpMessage) {
    socket.destroy();
    return;
  }
  let status = 400;
  let piperCode = 'PIPER_BALANCER_BAD_REQUEST';
  if (code === 'HPE_HEADER_OVERFLOW') {
    status = 431;
    piperCode = 'PIPER_BALANCER_HEADERS_TOO_LARGE';
  } else if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    status = 408;
    piperCode = 'PIPER_BALANCER_REQUEST_TIMEOUT';
  } else if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') {
    status = 413;
  }
  const body = JSON.stringify({ error: { code: piperCode, message: err.message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
