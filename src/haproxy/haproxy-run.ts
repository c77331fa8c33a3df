import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { PiperConfig } from '../config/index.ts';
import { type Clock, type Logger, type Random, silentLogger } from '../core/index.ts';
import type { DataPlaneEvent } from '../data-plane/index.ts';
import { DEAD_MAN_GUARD_LUA } from './dead-man-guard-script.ts';
import { findHaproxy } from './haproxy-config-check.ts';
import { renderHaproxyConfig } from './haproxy-config.ts';
import { HaproxyDataPlane } from './haproxy-data-plane.ts';
import { type HaproxyProcessEvent, HaproxySupervisor } from './haproxy-supervisor.ts';
import { HaproxyTelemetry } from './haproxy-telemetry.ts';
import { RuntimeApiClient } from './runtime-api-client.ts';

/** The file name of the guard piper writes beside the haproxy.cfg it runs. */
export const GUARD_SCRIPT_FILE = 'piper-guard.lua';

export interface HaproxyRunOptions {
  /** The config to serve; listener and stats ports must be fixed (HAProxy cannot report a port 0). */
  config: PiperConfig;
  /** Relative paths of the config are resolved against it (the working directory). */
  baseDir: string;
  /** The piper.yaml it came from, named in the rendered config's header. */
  source: string;
  clock: Clock;
  random: Random;
  logger?: Logger;
  /** PATH to find `dataPlane.haproxy.binary` on. */
  searchPath?: string | undefined;
  /** Receives every event of the data plane and of the HAProxy process (`haproxy.started`, `haproxy.exited`). */
  onEvent?: (event: DataPlaneEvent) => void;
}

/** HAProxy as `piper up` runs it: the data plane, and the supervised process unless attached to one. */
export interface HaproxyRun {
  dataPlane: HaproxyDataPlane;
  /** Null when attached to an HAProxy piper did not start (`dataPlane.haproxy.attach`). */
  supervisor: HaproxySupervisor | null;
  /** The haproxy.cfg piper wrote and runs, or null when attached. */
  configFile: string | null;
  /** Stops the data plane and, if piper started it, HAProxy (it finishes what is in flight). Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts HAProxy's side of `piper up` in the order its parts need: the syslog socket first (its
 * port goes into haproxy.cfg), then the config and the guard written into `dataPlane.haproxy.runDir`,
 * HAProxy started in master-worker mode and supervised (or, with `attach`, the running one found on
 * its stats socket), then the data plane, whose first read of HAProxy's state is done before it
 * is returned. Throws PIPER_HAPROXY_NOT_INSTALLED before anything is bound when there is no haproxy.
 */
export async function startHaproxyRun(o: HaproxyRunOptions): Promise<HaproxyRun> {
  const h = o.config.dataPlane.haproxy;
  const log = (o.logger ?? silentLogger()).child({ part: 'haproxy' });
  const binary = h.attach ? null : findHaproxy({ binary: h.binary, searchPath: o.searchPath });
  const socketPath = resolve(o.baseDir, h.statsSocket);
  const client = new RuntimeApiClient({ address: { path: socketPath }, clock: o.clock, random: o.random, logger: log });
  const largest = new Map(o.config.routes.map((r) => [r.name, Object.entries(r.split).sort((a, b) => b[1] - a[1])[0]?.[0] ?? null]));
  const telemetry = await HaproxyTelemetry.start({
    client,
    clock: o.clock,
    logger: log,
    syslog: { host: h.log.address, port: h.log.port },
    poolOf: (route) => largest.get(route) ?? null,
    deferPolling: true,
  });
  const emit = (e: HaproxyProcessEvent): void => o.onEvent?.({ time: o.clock.now(), subject: 'haproxy', actor: 'haproxy', ...e });
  let supervisor: HaproxySupervisor | null = null;
  let configFile: string | null = null;
  try {
    if (binary !== null) {
      const runDir = resolve(o.baseDir, h.runDir);
      await mkdir(runDir, { recursive: true });
      const guardScript = join(runDir, GUARD_SCRIPT_FILE);
      await writeFile(guardScript, DEAD_MAN_GUARD_LUA, { mode: 0o600 });
      // The syslog port actually bound (0 in the config: any free one) is where HAProxy must send.
      const port = Number(telemetry.logTarget.slice(telemetry.logTarget.lastIndexOf(':') + 1));
      const config: PiperConfig = { ...o.config, dataPlane: { ...o.config.dataPlane, haproxy: { ...h, log: { ...h.log, port } } } };
      configFile = join(runDir, 'haproxy.cfg');
      await writeFile(configFile, renderHaproxyConfig(config, { baseDir: o.baseDir, source: o.source, guardScript }), { mode: 0o600 });
      supervisor = await HaproxySupervisor.start({
        binary,
        configFile,
        socketPath,
        stateFile: resolve(o.baseDir, h.serverStateFile),
        clock: o.clock,
        random: o.random,
        logger: log,
        onEvent: emit,
      });
    }
    await telemetry.startPolling();
    const dataPlane = await HaproxyDataPlane.start({ config: o.config, client, telemetry, clock: o.clock, random: o.random, logger: log });
    if (o.onEvent !== undefined) dataPlane.onEvent(o.onEvent);
    let closing: Promise<void> | null = null;
    const sup = supervisor;
    return {
      dataPlane,
      supervisor,
      configFile,
      close() {
        closing ??= (async () => {
          await dataPlane.close();
          await sup?.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await telemetry.close();
    await supervisor?.close();
    throw err;
  }
}
