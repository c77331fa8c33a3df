import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ApiHandler, type Logger, sendError } from '../../core/index.ts';
import { type AdminTokens, authorize } from './admin-auth.ts';

/**
 * The admin listener: authentication in front, then each part's ApiHandler in turn; the first
 * that answers wins, else 404.
 */
export class AdminServer {
  readonly server: Server;
  #closed: Promise<void> | null = null;

  constructor(handlers: () => readonly ApiHandler[], tokens: AdminTokens, logger: Logger) {
    const handle = createAdminHandler(handlers, tokens, logger);
    this.server = createServer({ headersTimeout: 10_000, requestTimeout: 30_000, maxHeaderSize: 16 * 1024 }, (req, res) => {
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'http://admin.invalid');
      } catch {
        sendError(res, 400, 'PIPER_BALANCER_BAD_API_REQUEST', 'malformed request target');
        return;
      }
      void handle(req, res, url);
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
      logger.error({ err }, 'admin request failed');
      sendError(res, 500, 'PIPER_BALANCER_INTERNAL', 'internal error');
    }
    return true;
  };
}
