import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Balancer, createBalancerApi, type ListeningAddress } from '../../balancer/index.ts';
import { defaultConfig, loadConfigFile, type PiperConfig } from '../../config/index.ts';
import { type ApiHandler, type Clock, type Logger, PiperError, type Random, sendJson } from '../../core/index.ts';
import { createDashboardHandler, type DashboardHandler } from '../../dashboard/index.ts';
import { renderStatusPageHtml } from '../../journal/index.ts';
import { exportWindowMetrics, MetricsRegistry, processMetrics } from '../../telemetry/index.ts';
import { mismatchPolicy } from '../event-checks.ts';
import { assertAdminExposureSafe } from './admin-auth.ts';
import { AdminServer, createAdminHandler } from './admin-server.ts';
import { assertTokensUnguessable } from './admin-token-strength.ts';
import { replyToClientErrors } from './client-error-reply.ts';
import { type ControlPlane, startControlPlane } from './control-plane.ts';
import { fencedDataPlane } from './fenced-port.ts';
import { haproxyDataPlane, nodeBalancer, type ServedDataPlane, type ServedPort } from './served-data-plane.ts';

export interface PiperUpOptions {
  /** Path of piper.yaml; null runs on the defaults. */
  configFile: string | null;
  env: Readonly<Record<string, string | undefined>>;
  clock: Clock;
  random: Random;
  /** Makes the process logger at a level: `logLevel` when given, else the config's `logging.level`. */
  makeLogger: (level: string) => Logger;
  logLevel?: string;
  /** Replaces the first public listener's port (0 = any free port). */
  port?: number;
  /** Replaces the admin listener's port (0 = any free port). */
  adminPort?: number;
  /** Replaces the dashboard listener's port (0 = any free port). */
  dashboardPort?: number;
  /** Replaces `dataPlane.kind`: piper's own balancer, or HAProxy (`--data-plane`). */
  dataPlane?: 'piper' | 'haproxy';
  /** Relative paths of the config are resolved against it (default: the process's working directory). */
  cwd?: string;
}

/** A running `piper up`: the data plane, the admin listener and what they are bound to. */
export interface PiperUp {
  /** piper's own balancer, when it is the data plane; null on HAProxy. */
  balancer: Balancer | null;
  /** The data plane serving the traffic, as the controller and the admin API drive it. */
  dataPlane: ServedPort;
  dataPlaneKind: 'piper' | 'haproxy';
  logger: Logger;
  registry: MetricsRegistry;
  publicAddresses: readonly ListeningAddress[];
  adminUrl: string;
  /** Null when `dashboard.enabled` is false. */
  dashboardUrl: string | null;
  controlPlane: ControlPlane;
  /**
   * The admin API, in the order tried. The balancer's slice is first; the journal's and the
   * rollout controller's ApiHandlers are appended here by the composition that owns them.
   */
  apiHandlers: ApiHandler[];
  /** Re-reads the config file and applies it without dropping connections. */
  reload(actor?: string): Promise<void>;
  /** Drains public listeners (up to `graceMs`), then closes everything. Idempotent. */
  close(graceMs?: number): Promise<void>;
}

/** Loads the config and starts the data plane (piper's balancer or HAProxy), the control plane and the admin listener. */
export async function startPiperUp(o: PiperUpOptions): Promise<PiperUp> {
  const config = await readConfig(o);
  const tokens = { admin: config.admin.token, read: config.admin.readToken };
  assertAdminExposureSafe(config.admin.address, tokens);
  assertTokensUnguessable(tokens);
  const log = o.makeLogger(o.logLevel ?? config.logging.level);
  const servedOptions = {
    config,
    clock: o.clock,
    random: o.random,
    logger: log,
    port: o.port,
    cwd: o.cwd ?? process.cwd(),
    source: o.configFile ?? 'the built-in defaults',
    searchPath: o.env.PATH,
  };
  // HAProxy first: it refuses to start (not installed, a port in use) before anything else is bound.
  const served: ServedDataPlane = fencedDataPlane(
    config.dataPlane.kind === 'haproxy' ? await haproxyDataPlane(servedOptions) : nodeBalancer(servedOptions),
    o.clock,
  );
  const dataPlane = served.port;
  const registry = new MetricsRegistry();
  const proc = processMetrics(registry);
  const windowMetrics = exportWindowMetrics(registry, dataPlane.telemetry);
  const dataPlaneMetrics = served.exportMetrics(registry);

  let reloading: Promise<void> | null = null;
  const reload = (actor = 'operator'): Promise<void> => {
    // Two reloads at once would race on the swap; the second waits for the first.
    const run = async (): Promise<void> => {
      const next = await readConfig(o);
      await served.reload(next, actor);
      log.info({ actor }, 'config reloaded');
    };
    reloading = (reloading ?? Promise.resolve()).catch(() => undefined).then(run);
    return reloading;
  };

  const apiHandlers: ApiHandler[] = [createBalancerApi({ balancer: dataPlane, clock: o.clock, registry, reload })];
  const admin = new AdminServer(() => apiHandlers, tokens, log, config.admin.allowedHosts);
  let controlPlane: ControlPlane | null = null;
  let dashboard: { handler: DashboardHandler; server: Server } | null = null;
  let publicAddresses: ListeningAddress[] = [];
  let adminUrl: string;
  let dashboardUrl: string | null = null;
  try {
    controlPlane = await startControlPlane({ config, served, clock: o.clock, logger: log, onMismatch: mismatchPolicy(o.env) });
    apiHandlers.push(...controlPlane.apiHandlers);
    publicAddresses = await served.listen();
    adminUrl = await admin.listen(o.adminPort ?? config.admin.port, config.admin.address);
    if (config.dashboard.enabled) {
      // The dashboard forwards API calls with the signed-in session's token, through the same
      // authentication and handlers as the admin listener.
      const handler = createDashboardHandler({
        api: createAdminHandler(() => apiHandlers, tokens, log),
        tokens,
        clock: o.clock,
        allowedHosts: config.dashboard.allowedHosts,
        onError: (err, what) => log.error({ err, part: 'dashboard' }, what),
      });
      const onCall = controlPlane.onCall;
      // The public status page needs no sign-in: it shows states and incident titles, no numbers.
      const serve = (req: IncomingMessage, res: ServerResponse): void => {
        const path = (req.url ?? '/').split('?')[0];
        if ((req.method === 'GET' || req.method === 'HEAD') && (path === '/status' || path === '/status.json')) {
          const page = onCall.statusPage();
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
      dashboard = { handler, server: createServer({ headersTimeout: 10_000, requestTimeout: 30_000, maxHeaderSize: 16 * 1024 }, serve) };
      replyToClientErrors(dashboard.server, {
        malformed: 'PIPER_DASHBOARD_BAD_REQUEST',
        tooLarge: 'PIPER_DASHBOARD_BAD_REQUEST',
        timeout: 'PIPER_DASHBOARD_BAD_REQUEST',
      });
      dashboardUrl = await listenOn(dashboard.server, o.dashboardPort ?? config.dashboard.port, config.dashboard.address);
    }
  } catch (err) {
    await Promise.all([served.close(0), admin.close(), dashboard ? closeServer(dashboard.server) : undefined]);
    await controlPlane?.close();
    windowMetrics.close();
    dataPlaneMetrics();
    proc.close();
    throw err;
  }
  const cp = controlPlane;
  let closing: Promise<void> | null = null;
  return {
    balancer: served.balancer,
    dataPlane,
    dataPlaneKind: served.kind,
    logger: log,
    registry,
    publicAddresses,
    adminUrl,
    dashboardUrl,
    controlPlane: cp,
    apiHandlers,
    reload,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        dashboard?.handler.close();
        await Promise.all([admin.close(), dashboard ? closeServer(dashboard.server) : undefined]);
        // The controller stops before the data plane: HAProxy keeps its split and its guard until it stops.
        await cp.close();
        await served.close(graceMs);
        windowMetrics.close();
        dataPlaneMetrics();
        proc.close();
      })();
      return closing;
    },
  };
}

async function readConfig(o: PiperUpOptions): Promise<PiperConfig> {
  const config = o.configFile === null ? defaultConfig() : await loadConfigFile(o.configFile, { env: o.env });
  if (o.dataPlane === undefined || o.dataPlane === config.dataPlane.kind) return config;
  if (o.dataPlane === 'piper') {
    const i = config.listeners.findIndex((l) => l.tls !== undefined);
    if (i >= 0) {
      throw new PiperError(
        'PIPER_CONFIG_INVALID',
        `listeners[${i}].tls: TLS needs dataPlane.kind: haproxy (piper's own balancer serves plain HTTP/1.1), not --data-plane piper`,
        {
          source: 'config',
          details: { path: `listeners[${i}].tls` },
        },
      );
    }
  }
  return { ...config, dataPlane: { ...config.dataPlane, kind: o.dataPlane } };
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
