import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { matchPath, sendJson } from '../core/index.ts';
import { MetricsRegistry } from '../telemetry/index.ts';
import { compressRequest, decompressRequest, handleCompress, handleDecompress } from './codec-api.ts';
import { sendErrorAnswer } from './error-answer.ts';
import { handleDelete, handleDownload, handleList, handleUpload, uploadRequest } from './files-api.ts';
import type { PlatformContext } from './platform-context.ts';
import type { SitePages } from './site-pages.ts';

/** Handles the body of a request whose head was checked. */
export type BodyHandler = (body: Readable) => Promise<void>;

/** A matched route: its template (the `http_route` metric label) and whether admission applies. */
export type RouteMatch = {
  route: string;
  /** Health, readiness and metrics bypass admission: an overloaded server is still alive and observable. */
  admitted: boolean;
  /** Set on requests that change the store beyond adding to it: what they do, for the refusal (see authorizeWrite). */
  guarded?: string;
} & (
  | { handle: () => Promise<void> }
  | {
      /**
       * A route that reads a request body: checks what the head declares (type, length,
       * parameters), throwing before any of the body is read, and returns the body's handler.
       */
      readBody: () => BodyHandler;
    }
);

/** Finds the handler of a request (the phase before admission); undefined means 404. */
export function matchRoute(
  ctx: PlatformContext,
  site: SitePages,
  registry: MetricsRegistry,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): RouteMatch | undefined {
  const method = req.method ?? 'GET';
  const path = url.pathname;
  const read = method === 'GET' || method === 'HEAD';
  if (path === '/healthz' && read) return { route: '/healthz', admitted: false, handle: async () => sendJson(res, 200, { status: 'ok' }) };
  if (path === '/readyz' && read) return { route: '/readyz', admitted: false, handle: () => ready(ctx, req, res) };
  if (path === '/metrics' && read) {
    return {
      route: '/metrics',
      admitted: false,
      handle: async () => {
        const body = registry.render();
        res.writeHead(200, { 'content-type': MetricsRegistry.contentType, 'content-length': Buffer.byteLength(body) }).end(body);
      },
    };
  }
  if (path.startsWith('/api/')) return apiRoute(ctx, method, req, res, url);
  if (read) return { route: path, admitted: true, handle: async () => void (site.serve(req, res, path) || notFound(req, res, path)) };
  return undefined;
}

function apiRoute(ctx: PlatformContext, method: string, req: IncomingMessage, res: ServerResponse, url: URL): RouteMatch | undefined {
  const path = url.pathname;
  const read = method === 'GET' || method === 'HEAD';
  if (path === '/api/v1/compress' && method === 'POST') {
    return {
      route: path,
      admitted: true,
      readBody: () => {
        const request = compressRequest(ctx, req, url);
        return (body) => handleCompress(ctx, body, res, request);
      },
    };
  }
  if (path === '/api/v1/decompress' && method === 'POST') {
    return {
      route: path,
      admitted: true,
      readBody: () => {
        const request = decompressRequest(ctx, req, url);
        return (body) => handleDecompress(ctx, body, res, request);
      },
    };
  }
  if (path === '/api/v1/files' && method === 'POST') {
    return {
      route: path,
      admitted: true,
      ...(ctx.config.auth.requireForUploads ? { guarded: 'uploading a file' } : {}),
      readBody: () => {
        const upload = uploadRequest(ctx, req, url);
        return (body) => handleUpload(ctx, body, res, upload);
      },
    };
  }
  if (path === '/api/v1/files' && read) return { route: path, admitted: true, handle: async () => handleList(ctx, res, url) };
  if (path === '/api/v1/status' && read) return { route: path, admitted: true, handle: async () => status(ctx, res) };
  const file = matchPath('/api/v1/files/:id', path);
  if (file !== null) {
    const id = file.id as string;
    if (read) return { route: '/api/v1/files/:id', admitted: true, handle: () => handleDownload(ctx, req, res, id) };
    if (method === 'DELETE') {
      return { route: '/api/v1/files/:id', admitted: true, guarded: 'deleting a file', handle: () => handleDelete(ctx, res, id) };
    }
  }
  return undefined;
}

async function ready(ctx: PlatformContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const notReady = (message: string): void => sendErrorAnswer(req, res, 503, { code: 'PIPER_PLATFORM_NOT_READY', message });
  if (ctx.closing()) {
    notReady('the server is shutting down');
    return;
  }
  if (ctx.gate.saturated) {
    notReady(
      `shedding every request: all ${ctx.config.maxConcurrency} slots are taken and none has freed for ${ctx.config.queueTimeout} ms`,
    );
    return;
  }
  if (!(await ctx.store.writable())) {
    notReady('the store is not writable');
    return;
  }
  sendJson(res, 200, { status: 'ready' });
}

function status(ctx: PlatformContext, res: ServerResponse): void {
  const totals = ctx.store.totals();
  sendJson(res, 200, {
    status: ctx.closing() ? 'draining' : 'ok',
    version: ctx.version,
    uptimeSeconds: Math.round((ctx.clock.monotonic() - ctx.startedAt) / 1000),
    files: totals.count,
    bytes: totals.size,
    storedBytes: totals.storedSize,
    inFlight: ctx.gate.inFlight,
    queued: ctx.gate.queued,
    receiving: ctx.receiving(),
    maxConcurrency: ctx.config.maxConcurrency,
    capacityRps: ctx.config.capacityRps ?? null,
  });
}

function notFound(req: IncomingMessage, res: ServerResponse, path: string): true {
  sendErrorAnswer(req, res, 404, { code: 'PIPER_PLATFORM_NOT_FOUND', message: `nothing at ${path}` });
  return true;
}
