import { Balancer, createBalancerApi, type ListeningAddress } from '../../balancer/index.ts';
import { defaultConfig, loadConfigFile, type PiperConfig } from '../../config/index.ts';
import type { ApiHandler, Clock, Logger, Random } from '../../core/index.ts';
import { exportWindowMetrics, MetricsRegistry, processMetrics } from '../../telemetry/index.ts';
import { assertAdminExposureSafe } from './admin-auth.ts';
import { AdminServer } from './admin-server.ts';

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
}

/** A running `piper up`: the balancer, the admin listener and what they are bound to. */
export interface PiperUp {
  balancer: Balancer;
  logger: Logger;
  registry: MetricsRegistry;
  publicAddresses: readonly ListeningAddress[];
  adminUrl: string;
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

/** Loads the config and starts the balancer listeners and the admin listener. */
export async function startPiperUp(o: PiperUpOptions): Promise<PiperUp> {
  const config = await readConfig(o);
  const tokens = { admin: config.admin.token, read: config.admin.readToken };
  assertAdminExposureSafe(config.admin.address, tokens);
  const log = o.makeLogger(o.logLevel ?? config.logging.level);
  const balancer = new Balancer({ config, clock: o.clock, random: o.random, logger: log });
  const registry = new MetricsRegistry();
  const proc = processMetrics(registry);
  const windowMetrics = exportWindowMetrics(registry, balancer.telemetry);

  let reloading: Promise<void> | null = null;
  const reload = (actor = 'operator'): Promise<void> => {
    // Two reloads at once would race on the swap; the second waits for the first.
    const run = async (): Promise<void> => {
      const next = await readConfig(o);
      await balancer.reload(next, actor);
      log.info({ actor }, 'config reloaded');
    };
    reloading = (reloading ?? Promise.resolve()).catch(() => undefined).then(run);
    return reloading;
  };

  const apiHandlers: ApiHandler[] = [createBalancerApi({ balancer, clock: o.clock, registry, reload })];
  const admin = new AdminServer(() => apiHandlers, tokens, log);
  let publicAddresses: ListeningAddress[] = [];
  let adminUrl: string;
  try {
    publicAddresses = await balancer.listen(o.port);
    adminUrl = await admin.listen(o.adminPort ?? config.admin.port, config.admin.address);
  } catch (err) {
    await Promise.all([balancer.close(0), admin.close()]);
    windowMetrics.close();
    proc.close();
    throw err;
  }
  let closing: Promise<void> | null = null;
  return {
    balancer,
    logger: log,
    registry,
    publicAddresses,
    adminUrl,
    apiHandlers,
    reload,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        await balancer.close(graceMs);
        await admin.close();
        windowMetrics.close();
        proc.close();
      })();
      return closing;
    },
  };
}

async function readConfig(o: PiperUpOptions): Promise<PiperConfig> {
  if (o.configFile === null) return defaultConfig();
  return loadConfigFile(o.configFile, { env: o.env });
}
