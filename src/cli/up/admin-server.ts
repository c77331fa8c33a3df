import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ApiHandler, httpStatusOf, isPiperError, type Logger, sendError } from '../../core/index.ts';
import { isCrossSite, ListenerHosts } from '../../dashboard/index.ts';
import { type AdminTokens, authorize } from './admin-auth.ts';
import { replyToClientErrors } from './client-error-reply.ts';

/**
 * The admin listener: the Host and cross-site checks and authentication in front, then each
 * part's ApiHandler in turn; the first that answers wins, else 404.
 */
export class AdminServer {
  readonly server: Server;
  #closed: Promise<void> | null = null;

  /** `allowedHosts`: names the listener answers to besides its address (`admin.allowedHosts`). */
  constructor(handlers: () => readonly ApiHandler[], tokens: AdminTokens, logger: Logger, allowedHosts: readonly string[] = []) {
    const handle = createAdminHandler(handlers, tokens, logger);
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
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'http://admin.invalid');
      } catch {
        sendError(res, 400, 'PIPER_BALANCER_BAD_API_REQUEST', 'malformed request target');
        return;
      }
      void handle(req, res, url);
    });
    replyToClientErrors(this.server, {
      malformed: 'PIPER_BALANCER_BAD_API_REQUEST',
      tooLarge: 'PIPER_BALANCER_HEADERS_TOO_LARGE',
      timeout: 'PIPER_BALANCER_REQUEST_TIMEOUT',
    });
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

/**
 * Authentication, then each part's ApiHandler in turn (the first that answers wins, else 404).
 * The admin listener and the dashboard (which forwards with the session's token) share it.
 */
export function createAdminHandler(handlers: () => readonly ApiHandler[], tokens: AdminTokens, logger: Logger): ApiHandler {
  return async (req, res, url) => {
    const denied = authorize(req, tokens);
    if (denied !== null) {
      sendError(
        res,
        denied.status,
        denied.code,
        denied.message,
        denied.status === 401 ? { 'www-authenticate': 'Bearer realm="piper"' } : {},
      );
      return true;
    }
    try {
      for (const handler of handlers()) {
        if (await handler(req, res, url)) return true;
      }
      sendError(res, 404, 'PIPER_BALANCER_API_NOT_FOUND', `no API at ${req.method} ${url.pathname}`);
    } catch (err) {
      // Only what the parts' handlers would not answer themselves reaches here: internal failures,
      // whose messages can name files, tables or hosts. The code says which; the log says why.
      logger.error({ err, method: req.method, path: url.pathname }, 'admin request failed');
      const code = isPiperError(err) ? err.code : 'PIPER_BALANCER_INTERNAL';
      // A status the error carries stays (a read-only journal is 503: try another control plane).
      sendError(
        res,
        isPiperError(err) ? httpStatusOf(err) : 500,
        code,
        `internal error (${code}): the log of this piper process has the reason`,
      );
    }
    return true;
  };
}
