import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { sendError } from '../../core/index.ts';
import { isCrossSite, ListenerHosts } from '../../dashboard/index.ts';
import { replyToClientErrors } from './client-error-reply.ts';

/**
 * The admin listener: the Host and cross-site checks in front, then the control-plane API (whose
 * own hook authenticates). It binds before the API is composed (the control plane names its URL),
 * and answers 503 until `serve` hands it the API.
 */
export class AdminServer {
  readonly server: Server;
  #api: FastifyInstance | null = null;
  #closed: Promise<void> | null = null;

  /** `allowedHosts`: names the listener answers to besides its address (`admin.allowedHosts`). */
  constructor(allowedHosts: readonly string[] = []) {
    const hosts = new ListenerHosts(allowedHosts);
    this.server = createServer({ headersTimeout: 10_000, requestTimeout: 30_000, maxHeaderSize: 16 * 1024 }, (req, res) => {
      // DNS rebinding: a browser sent here by the attacker's name still names it in Host. Any
      // method: reads show the whole state, and GET /api/v1/*/stream holds connections.
      if (!hosts.accepts(req)) {
        sendError(
          res,
          421,
          'PIPER_BALANCER_MISDIRECTED_REQUEST',
          'this listener does not answer to that Host; add the name to admin.allowedHosts',
        );
        return;
      }
      // CSRF: a page elsewhere may send a simple POST here (text/plain, no preflight). Checked
      // with or without a token: a browser never has a reason to change state from another origin.
      if (req.method !== 'GET' && req.method !== 'HEAD' && isCrossSite(req)) {
        sendError(res, 403, 'PIPER_BALANCER_CROSS_SITE', 'a browser request from another origin cannot change anything here');
        return;
      }
      if (!URL.canParse(req.url ?? '/', 'http://admin.invalid')) {
        sendError(res, 400, 'PIPER_BALANCER_BAD_API_REQUEST', 'malformed request target');
        return;
      }
      if (this.#api === null) {
        sendError(res, 503, 'PIPER_BALANCER_STARTING', 'piper is starting; try again in a moment', { 'retry-after': '1' });
        return;
      }
      this.#api.routing(req, res);
    });
    replyToClientErrors(this.server, {
      malformed: 'PIPER_BALANCER_BAD_API_REQUEST',
      tooLarge: 'PIPER_BALANCER_HEADERS_TOO_LARGE',
      timeout: 'PIPER_BALANCER_REQUEST_TIMEOUT',
    });
  }

  /** Serves the composed API from now on. */
  serve(api: FastifyInstance): void {
    this.#api = api;
  }

  listen(port: number, address: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, address, () => {
        this.server.off('error', reject);
        const info = this.server.address() as AddressInfo;
        resolve(`http://${info.family === 'IPv6' ? `[${info.address}]` : info.address}:${info.port}`);
      });
    });
  }

  /** Stops accepting and ends open connections (SSE streams included). Idempotent. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      if (!this.server.listening) {
        resolve();
        return;
      }
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.#closed;
  }
}
