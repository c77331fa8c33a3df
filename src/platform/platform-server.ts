import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { PlatformConfig } from '../config/index.ts';
import { type Clock, httpStatusOf, isPiperError, type Logger, PiperError, SystemClock, silentLogger } from '../core/index.ts';
import { MetricsRegistry } from '../telemetry/index.ts';
import { AdmissionGate } from './admission-gate.ts';
import { warmCodecs } from './auto-codec.ts';
import { ContentStore } from './content-store.ts';
import { sendErrorAnswer } from './error-answer.ts';
import type { PlatformContext } from './platform-context.ts';
import { type PlatformMetrics, platformMetrics } from './platform-metrics.ts';
import { type BodyHandler, matchRoute } from './platform-routes.ts';
import { type BodyPace, RequestBody } from './request-body.ts';
import { SitePages } from './site-pages.ts';
import { authorizeWrite } from './write-access.ts';
import { platformErrors } from './platform-errors.ts';

/** What {@link startPlatformServer} needs; `config` is the parsed `platform` section of piper.yaml. */
export interface PlatformServerOptions {
  config: PlatformConfig;
  /** Overrides config.port (0 picks a free port). */
  port?: number;
  /** Overrides config.address. */
  address?: string;
  /** Overrides config.dataDir. */
  dataDir?: string;
  clock?: Clock;
  logger?: Logger;
  /** Where the server's metrics go; a private registry when absent. */
  metrics?: MetricsRegistry;
  /** Shown on the status page. */
  version?: string;
}

/** A running platform server. */
export interface PlatformServer {
  /** `http://host:port`, with the port actually bound. */
  url: string;
  port: number;
  metrics: MetricsRegistry;
  /** Requests admitted and running, waiting for a slot, and receiving their body before admission, now. */
  readonly admission: { readonly inFlight: number; readonly queued: number; readonly receiving: number };
  /** Stops accepting, fails readiness, drains requests in flight (up to drainTimeout), then releases everything. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the compression platform: the streaming codec API, the content-addressed file store and
 * the website, behind admission (maxConcurrency, capacityRps, bounded queue).
 */
export async function startPlatformServer(options: PlatformServerOptions): Promise<PlatformServer> {
  const config: PlatformConfig = { ...options.config, ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }) };
  const clock = options.clock ?? new SystemClock();
  const log = (options.logger ?? silentLogger()).child({ part: 'platform' });
  const registry = options.metrics ?? new MetricsRegistry();
  const store = await ContentStore.open(config.dataDir, clock, log, config.maxStoreSize);
  const site = await SitePages.load();
  await warmCodecs(clock);
  const gate = new AdmissionGate({
    maxConcurrency: config.maxConcurrency,
    capacityRps: config.capacityRps,
    queueSize: config.queueSize,
    queueTimeoutMs: config.queueTimeout,
    clock,
  });
  let metrics: PlatformMetrics;
  try {
    metrics = platformMetrics(
      registry,
      () => gate,
      () => store,
    );
  } catch (err) {
    store.close();
    throw err;
  }
  let closing: Promise<void> | undefined;
  const receiving = new Set<RequestBody>();
  const ctx: PlatformContext = {
    config,
    store,
    gate,
    clock,
    log,
    metrics,
    autoPolicy: { objective: config.auto.objective, minRelativeSpeed: config.auto.minRelativeSpeed, minRatio: config.auto.minRatio },
    version: options.version ?? 'dev',
    startedAt: clock.monotonic(),
    closing: () => closing !== undefined,
    receiving: () => receiving.size,
  };
  const pace: BodyPace = {
    clock,
    minRate: config.minBodyRate,
    windowMs: config.minBodyRateWindow,
    timeoutMs: config.requestTimeout,
    highWaterMark: Math.max(64 * 1024, config.admissionBodyBytes),
  };
  const bodies: Bodies = { open: (req) => new RequestBody(req, pace), receiving };
  const active = new Set<ServerResponse>();

  const server = createServer(
    { maxHeaderSize: config.maxHeaderSize, headersTimeout: config.headersTimeout, requestTimeout: 0 },
    (req, res) => {
      active.add(res);
      res.once('close', () => active.delete(res));
      void handle(ctx, site, registry, bodies, req, res);
    },
  );
  // Inactivity between body chunks (or on an idle keep-alive connection) closes the socket: a
  // stalled upload is abandoned and its temporary file removed.
  server.setTimeout(config.bodyTimeout, (socket: Socket) => socket.destroy());
  server.keepAliveTimeout = 5_000;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => clientError(err, socket));

  const address = options.address ?? config.address;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? config.port, address, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: unknown) => {
    metrics.close();
    store.close();
    throw err;
  });
  const port = (server.address() as AddressInfo).port;
  const host = address.includes(':') ? `[${address}]` : address;
  log.info({ port, dataDir: config.dataDir, capacityRps: config.capacityRps, maxConcurrency: config.maxConcurrency }, 'platform listening');

  const close = (): Promise<void> => {
    closing ??= (async () => {
      gate.close();
      // Requests still receiving their body were never admitted: refused like the admission queue.
      for (const body of receiving) body.destroy(shuttingDown());
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = clock.monotonic() + config.drainTimeout;
      while (active.size > 0 && clock.monotonic() < deadline) await clock.sleep(20);
      if (active.size > 0) log.warn({ inFlight: active.size }, 'drain timeout: closing connections with requests in flight');
      server.closeAllConnections();
      await closed;
      metrics.close();
      store.close();
      log.info({}, 'platform closed');
    })();
    return closing;
  };
  const admission = {
    get inFlight() {
      return gate.inFlight;
    },
    get queued() {
      return gate.queued;
    },
    get receiving() {
      return receiving.size;
    },
  };
  return { url: `http://${host}:${port}`, port, metrics: registry, admission, close };
}

/** Opens request bodies at the server's pace; `receiving` holds those arriving before admission. */
interface Bodies {
  open(req: IncomingMessage): RequestBody;
  receiving: Set<RequestBody>;
}

function shuttingDown(): PiperError {
  return new PiperError(platformErrors.PIPER_PLATFORM_OVERLOADED, 'the server is shutting down');
}

/**
 * One request, through its phases: match the route, authorize a guarded write, check what the
 * head declares, receive the first bytes of a body, take an admission slot, handle. A body is
 * received before admission, so a client that sends it slowly holds no slot meanwhile.
 */
async function handle(
  ctx: PlatformContext,
  site: SitePages,
  registry: MetricsRegistry,
  bodies: Bodies,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const started = ctx.clock.monotonic();
  let route = 'unmatched';
  res.once('close', () => {
    ctx.metrics.requestDuration.observe(
      { http_request_method: req.method ?? 'GET', http_route: route, http_response_status_code: String(res.statusCode) },
      (ctx.clock.monotonic() - started) / 1000,
    );
  });
  let release: (() => void) | undefined;
  let body: RequestBody | undefined;
  try {
    const url = new URL(req.url ?? '/', 'http://platform');
    const match = matchRoute(ctx, site, registry, req, res, url);
    if (match === undefined) {
      sendErrorAnswer(req, res, 404, { code: 'PIPER_PLATFORM_NOT_FOUND', message: `no ${req.method} ${url.pathname}` });
      req.resume();
      return;
    }
    route = match.route.startsWith('/api/') || !match.admitted ? match.route : 'site';
    // Before admission and before any of the body is read: a refused writer costs nothing.
    if (match.guarded !== undefined) authorizeWrite(ctx.config.auth, req, match.guarded);
    let handleBody: BodyHandler | undefined;
    if ('readBody' in match) {
      handleBody = match.readBody();
      body = bodies.open(req);
      bodies.receiving.add(body);
      try {
        await body.arrived(ctx.config.admissionBodyBytes);
      } finally {
        bodies.receiving.delete(body);
      }
    }
    if (match.admitted) {
      release = await ctx.gate.acquire();
      // A client that gave up while queued has already closed: its 'close' will not come again,
      // and a slot held for it would be lost for good.
      if (res.closed || res.destroyed) {
        release();
        return;
      }
      res.once('close', release);
    }
    if (body !== undefined && handleBody !== undefined) {
      // The body may have failed its pace while the request waited for a slot.
      if (body.errored !== null) throw body.errored;
      await handleBody(body);
    } else if ('handle' in match) {
      await match.handle();
    }
  } catch (err) {
    if (isPiperError(err, 'PIPER_PLATFORM_OVERLOADED')) ctx.metrics.refused.inc();
    // Stop reading the body for the handler: what is left of it is drained and the connection closed.
    body?.destroy();
    answerError(ctx, req, res, err);
  }
}

function answerError(ctx: PlatformContext, req: IncomingMessage, res: ServerResponse, err: unknown): void {
  if (res.headersSent || res.destroyed) {
    // Mid-body failure: cutting the connection is the only honest signal left.
    if (!isPiperError(err, 'PIPER_PLATFORM_CLIENT_CLOSED')) ctx.log.warn({ err, url: req.url }, 'response aborted mid-body');
    res.destroy();
    return;
  }
  const status = httpStatusOf(err);
  if (isPiperError(err)) {
    if (status >= 500 && err.code !== 'PIPER_PLATFORM_OVERLOADED') ctx.log.error({ err, url: req.url }, 'request failed');
    const headers: Record<string, string> = {};
    if (err.code === 'PIPER_PLATFORM_OVERLOADED') headers['retry-after'] = '1';
    // RFC 9110 §11.6.1: a 401 names the scheme it wants (RFC 6750 §3 for bearer tokens).
    if (status === 401) headers['www-authenticate'] = 'Bearer realm="piper platform"';
    // Unread body bytes would be parsed as the next request: close the connection instead.
    if (!req.complete) headers.connection = 'close';
    sendErrorAnswer(req, res, status, err, headers);
  } else {
    ctx.log.error({ err, url: req.url }, 'unexpected error');
    sendErrorAnswer(
      req,
      res,
      500,
      { code: 'PIPER_PLATFORM_INTERNAL', message: 'internal error' },
      req.complete ? {} : { connection: 'close' },
    );
  }
  if (!req.complete) req.resume();
}

/** Malformed requests and protocol-level limits answer with a JSON error and close, as the API does. */
function clientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const [status, code, text] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'PIPER_PLATFORM_HEADERS_TOO_LARGE', 'request headers are too large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'PIPER_PLATFORM_REQUEST_TIMEOUT', 'request headers took too long']
        : [400, 'PIPER_PLATFORM_BAD_REQUEST', `malformed HTTP request (${err.code ?? 'parse error'})`];
  const body = JSON.stringify({ error: { code, message: text } });
  const reason = status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
