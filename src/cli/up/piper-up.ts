import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { type Balancer, balancerApi, type ListeningAddress } from '../../balancer/index.ts';
import { defaultConfig, loadConfigFile, type PiperConfig } from '../../config/index.ts';
import { createControlApp } from '../../control-api/index.ts';
import { type Clock, coreErrors, type Logger, PiperError, type Random } from '../../core/index.ts';
import { EventRing, eventRingApi } from '../../data-plane/index.ts';
import { exportWindowMetrics, MetricsRegistry, processMetrics } from '../../telemetry/index.ts';
import { mismatchPolicy } from '../event-checks.ts';
import { sqliteFiles, undoCreation } from '../undo-creation.ts';
import { assertAdminExposureSafe, authHook } from './admin-auth.ts';
import { AdminServer } from './admin-server.ts';
import { assertTokensUnguessable } from './admin-token-strength.ts';
import { type ControlPlane, startControlPlane } from './control-plane.ts';
import { type Dashboard, startDashboard } from './dashboard-listener.ts';
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
  /**
   * `all` (default): data plane, control plane (journal, on-call, controller) and dashboard.
   * `data`: the data plane and its admin API only, for a control plane elsewhere to steer; its
   * events are kept in memory (`GET /api/v1/events?after=ID`) and nothing is written to disk.
   */
  role?: PiperUpRole;
}

/** What one `piper up` runs (`--role`). */
export type PiperUpRole = 'all' | 'data';

/** A running `piper up`: the data plane, the admin listener and what they are bound to. */
export interface PiperUp<C extends ControlPlane | null = ControlPlane> {
  role: PiperUpRole;
  /** piper's own balancer, when it is the data plane; null on HAProxy. */
  balancer: Balancer | null;
  /** The data plane serving the traffic, as the controller and the admin API drive it. */
  dataPlane: ServedPort;
  dataPlaneKind: 'piper' | 'haproxy';
  logger: Logger;
  registry: MetricsRegistry;
  publicAddresses: readonly ListeningAddress[];
  adminUrl: string;
  /** Null when `dashboard.enabled` is false, and with `--role data`. */
  dashboardUrl: string | null;
  /** Null with `--role data`. */
  controlPlane: C;
  /** With `--role data`, the data plane's events for a control plane elsewhere; null otherwise (they go to the journal). */
  events: EventRing | null;
  /** Re-reads the config file and applies it without dropping connections. */
  reload(actor?: string): Promise<void>;
  /** Drains public listeners (up to `graceMs`), then closes everything. Idempotent. */
  close(graceMs?: number): Promise<void>;
}

/** Loads the config and starts the data plane (piper's balancer or HAProxy), the control plane and the admin listener. */
export function startPiperUp(o: PiperUpOptions & { role?: 'all' }): Promise<PiperUp>;
export function startPiperUp(o: PiperUpOptions): Promise<PiperUp<ControlPlane | null>>;
export async function startPiperUp(o: PiperUpOptions): Promise<PiperUp<ControlPlane | null>> {
  const role = o.role ?? 'all';
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

  // The admin API: the balancer's slice, the event ring's or the control plane's, composed once all are known.
  const plugins: FastifyPluginAsync[] = [balancerApi({ balancer: dataPlane, clock: o.clock, registry, reload })];
  const admin = new AdminServer(config.admin.allowedHosts);
  // Without a control plane here, the data plane's events wait in memory for one elsewhere to read them.
  const events = role === 'data' ? new EventRing({ bootId: randomUUID() }) : null;
  const offRing = events === null ? () => undefined : served.onEvent((e) => events.push(e));
  if (events !== null) plugins.push(eventRingApi(events));
  let controlPlane: ControlPlane | null = null;
  let dashboard: Dashboard | null = null;
  let publicAddresses: ListeningAddress[] = [];
  let adminUrl: string;
  // A piper up that fails to start (a port in use) leaves no journal file behind.
  const undoJournal = undoCreation(config.storage.kind === 'sqlite' ? sqliteFiles(resolve(config.storage.path)) : []);
  try {
    // The admin listener binds first: its URL is the one followers name when this control plane leads.
    adminUrl = await admin.listen(o.adminPort ?? config.admin.port, config.admin.address);
    if (role === 'all') {
      controlPlane = await startControlPlane({ config, served, clock: o.clock, logger: log, adminUrl, onMismatch: mismatchPolicy(o.env) });
      plugins.push(...controlPlane.apiPlugins);
    }
    const api = await createControlApp({ logger: log, plugins, onRequest: authHook(tokens) });
    admin.serve(api);
    publicAddresses = await served.listen();
    if (controlPlane !== null && config.dashboard.enabled) {
      dashboard = await startDashboard({
        config,
        clock: o.clock,
        log,
        tokens,
        api,
        onCall: controlPlane.onCall,
        port: o.dashboardPort,
      });
    }
  } catch (err) {
    offRing();
    await Promise.all([served.close(0), admin.close(), dashboard?.close()]);
    await controlPlane?.close();
    windowMetrics.close();
    dataPlaneMetrics();
    proc.close();
    undoJournal();
    throw err;
  }
  const cp = controlPlane;
  let closing: Promise<void> | null = null;
  return {
    role,
    balancer: served.balancer,
    dataPlane,
    dataPlaneKind: served.kind,
    logger: log,
    registry,
    publicAddresses,
    adminUrl,
    dashboardUrl: dashboard?.url ?? null,
    controlPlane: cp,
    events,
    reload,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        await Promise.all([admin.close(), dashboard?.close()]);
        // The controller stops before the data plane: HAProxy keeps its split and its guard until it stops.
        await cp?.close();
        offRing();
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
        coreErrors.PIPER_CONFIG_INVALID,
        `listeners[${i}].tls: TLS needs dataPlane.kind: haproxy (piper's own balancer serves plain HTTP/1.1), not --data-plane piper`,
        {
          details: { path: `listeners[${i}].tls` },
        },
      );
    }
  }
  return { ...config, dataPlane: { ...config.dataPlane, kind: o.dataPlane } };
}
