import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { PiperConfig } from '../../config/index.ts';
import { type Clock, type Logger, sendJson } from '../../core/index.ts';
import { createDashboardHandler } from '../../dashboard/index.ts';
import { type OnCall, renderStatusPageHtml } from '../../journal/index.ts';
import type { AdminTokens } from './admin-auth.ts';
import { replyToClientErrors } from './client-error-reply.ts';

/** The dashboard listener and the public status page, over the same API as the admin listener. */
export interface Dashboard {
  url: string;
  close(): Promise<void>;
}

export interface DashboardOptions {
  config: PiperConfig;
  clock: Clock;
  log: Logger;
  tokens: AdminTokens;
  /** The control-plane API, its authentication hook included. */
  api: FastifyInstance;
  onCall: OnCall;
  port: number | undefined;
}

export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const { config, log, tokens } = o;
  // The dashboard forwards API calls with the signed-in session's token, through the same
  // authentication and routes as the admin listener.
  const handler = createDashboardHandler({
    api: async (req, res) => {
      // fastify answers every request itself, its 404 and its failures included.
      o.api.routing(req, res);
      return true;
    },
    tokens,
    clock: o.clock,
    allowedHosts: config.dashboard.allowedHosts,
    onError: (err, what) => log.error({ err, part: 'dashboard' }, what),
  });
  // The public status page needs no sign-in: it shows states and incident titles, no numbers.
  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    if ((req.method === 'GET' || req.method === 'HEAD') && (path === '/status' || path === '/status.json')) {
      const page = o.onCall.statusPage();
      if (path === '/status.json') sendJson(res, 200, page, { 'cache-control': 'no-store' });
      else {
        const html = renderStatusPageHtml(page, 'piper status');
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'content-length': Buffer.byteLength(html),
          'cache-control': 'no-store',
        });
        res.end(req.method === 'HEAD' ? undefined : html);
      }
      return;
    }
    handler(req, res);
  };
  const server = createServer({ headersTimeout: 10_000, requestTimeout: 30_000, maxHeaderSize: 16 * 1024 }, serve);
  replyToClientErrors(server, {
    malformed: 'PIPER_DASHBOARD_BAD_REQUEST',
    tooLarge: 'PIPER_DASHBOARD_BAD_REQUEST',
    timeout: 'PIPER_DASHBOARD_BAD_REQUEST',
  });
  const close = async (): Promise<void> => {
    handler.close();
    await closeServer(server);
  };
  try {
    return { url: await listenOn(server, o.port ?? config.dashboard.port, config.dashboard.address), close };
  } catch (err) {
    await close();
    throw err;
  }
}

function listenOn(server: Server, port: number, address: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      const info = server.address() as AddressInfo;
      resolve(`http://${info.family === 'IPv6' ? `[${info.address}]` : info.address}:${info.port}`);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
