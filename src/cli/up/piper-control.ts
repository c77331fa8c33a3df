import { balancerApi } from '../../balancer/index.ts';
import { defaultConfig, loadConfigFile, type PiperConfig } from '../../config/index.ts';
import { createControlApp } from '../../control-api/index.ts';
import { type Clock, coreErrors, type Logger, PiperError } from '../../core/index.ts';
import { exportWindowMetrics, MetricsRegistry, processMetrics } from '../../telemetry/index.ts';
import { mismatchPolicy } from '../event-checks.ts';
import { assertAdminExposureSafe, authHook } from './admin-auth.ts';
import { AdminServer } from './admin-server.ts';
import { assertTokensUnguessable } from './admin-token-strength.ts';
import { type ControlPlane, startControlPlane } from './control-plane.ts';
import { type Dashboard, startDashboard } from './dashboard-listener.ts';
import { fleetApiTarget } from './fleet-target.ts';
import { cliErrors } from '../cli-errors.ts';

export interface PiperControlOptions {
  /** Path of piper.yaml; null runs on the defaults (which list no remote data plane, so it fails). */
  configFile: string | null;
  env: Readonly<Record<string, string | undefined>>;
  clock: Clock;
  makeLogger: (level: string) => Logger;
  logLevel?: string;
  /** Replaces the admin listener's port (0 = any free port). */
  adminPort?: number;
  /** Replaces the dashboard listener's port (0 = any free port). */
  dashboardPort?: number;
}

/** A running `piper control`: a control plane with no data plane of its own, steering `dataPlanes`. */
export interface PiperControl {
  logger: Logger;
  registry: MetricsRegistry;
  adminUrl: string;
  /** Null when `dashboard.enabled` is false. */
  dashboardUrl: string | null;
  controlPlane: ControlPlane;
  close(): Promise<void>;
}

/**
 * Starts a control plane alone (`piper control`): the journal (PostgreSQL to share it with other
 * control planes), the campaign for the leader lease, on-call, the migration controller while it
 * leads, the admin API and the dashboard, over the remote data planes `dataPlanes` lists. The
 * admin listener binds first, so the URL followers name for the leader is the one it serves on.
 */
export async function startPiperControl(o: PiperControlOptions): Promise<PiperControl> {
  const config = await readControlConfig(o);
  const tokens = { admin: config.admin.token, read: config.admin.readToken };
  assertAdminExposureSafe(config.admin.address, tokens);
  assertTokensUnguessable(tokens);
  const log = o.makeLogger(o.logLevel ?? config.logging.level);
  const registry = new MetricsRegistry();
  const proc = processMetrics(registry);
  const admin = new AdminServer(config.admin.allowedHosts);
  let controlPlane: ControlPlane | null = null;
  let dashboard: Dashboard | null = null;
  let target: ReturnType<typeof fleetApiTarget> | null = null;
  let windowMetrics: { close(): void } | null = null;
  try {
    const adminUrl = await admin.listen(o.adminPort ?? config.admin.port, config.admin.address);
    controlPlane = await startControlPlane({
      config,
      served: null,
      clock: o.clock,
      logger: log,
      adminUrl,
      onMismatch: mismatchPolicy(o.env),
    });
    const fleet = controlPlane.fleet;
    if (fleet === null) throw new Error('piper control always steers a fleet: connectDataPlanes made none');
    target = fleetApiTarget(controlPlane.dataPlane, fleet);
    windowMetrics = exportWindowMetrics(registry, fleet);
    const plugins = [
      balancerApi({
        balancer: target,
        clock: o.clock,
        registry,
        reload: async () => {
          throw new PiperError(
            cliErrors.PIPER_CONTROL_NO_RELOAD,
            'piper control does not reload piper.yaml: restart it (a follower takes over meanwhile)',
          );
        },
      }),
      ...controlPlane.apiPlugins,
    ];
    const api = await createControlApp({ logger: log, plugins, onRequest: authHook(tokens) });
    admin.serve(api);
    if (config.dashboard.enabled) {
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
    const cp = controlPlane;
    const fleetTarget = target;
    const metrics = windowMetrics;
    let closing: Promise<void> | null = null;
    return {
      logger: log,
      registry,
      adminUrl,
      dashboardUrl: dashboard?.url ?? null,
      controlPlane: cp,
      close() {
        closing ??= (async () => {
          await Promise.all([admin.close(), dashboard?.close()]);
          fleetTarget.close();
          metrics.close();
          await cp.close();
          proc.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await Promise.all([admin.close(), dashboard?.close()]);
    target?.close();
    windowMetrics?.close();
    await controlPlane?.close();
    proc.close();
    throw err;
  }
}

/** The config, which must list remote data planes only: `piper control` runs none of its own. */
async function readControlConfig(o: PiperControlOptions): Promise<PiperConfig> {
  const config = o.configFile === null ? defaultConfig() : await loadConfigFile(o.configFile, { env: o.env });
  const local = config.dataPlanes.findIndex((d) => d.kind !== 'remote');
  const remotes = config.dataPlanes.filter((d) => d.kind === 'remote').length;
  if (local >= 0 || remotes === 0) {
    const path = local >= 0 ? `dataPlanes[${local}].kind` : 'dataPlanes';
    throw new PiperError(
      coreErrors.PIPER_CONFIG_INVALID,
      local >= 0
        ? `${path}: piper control runs no data plane of its own, so every member is kind remote (the admin URL of a "piper up --role data")`
        : `${path}: piper control needs at least one remote data plane to steer (name, kind: remote, admin: http://HOST:PORT)`,
      { details: { path } },
    );
  }
  return config;
}
