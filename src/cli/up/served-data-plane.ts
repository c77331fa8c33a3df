import { createServer } from 'node:net';
import { Balancer, type BalancerApiTarget, type ListeningAddress } from '../../balancer/index.ts';
import type { ListenerConfig, PiperConfig } from '../../config/index.ts';
import { type Clock, type Logger, PiperError, type Random } from '../../core/index.ts';
import type { DataPlane, DataPlaneEvent } from '../../data-plane/index.ts';
import { exportHaproxyMetrics, haproxyErrors, startHaproxyRun } from '../../haproxy/index.ts';
import type { MetricsRegistry, TelemetryWindow } from '../../telemetry/index.ts';

/** What `piper up` serves traffic with, whichever it is: the port and its windows, for the controller and the admin API. */
export interface ServedPort extends DataPlane, BalancerApiTarget {
  readonly telemetry: {
    recent(sinceMs?: number): readonly TelemetryWindow[];
    onWindow(fn: (w: TelemetryWindow) => void): () => void;
  };
}

export interface ServedDataPlane {
  kind: 'piper' | 'haproxy';
  port: ServedPort;
  /** The Node balancer when it is the data plane; null on HAProxy. */
  balancer: Balancer | null;
  /** The journal's `source` for the data plane's events (its alerts are read from it). */
  eventSource: 'balancer' | 'haproxy';
  /** Subscribes to the data plane's events (split changes, health, HAProxy restarts); returns the unsubscribe function. */
  onEvent(listener: (e: DataPlaneEvent) => void): () => void;
  /** Starts taking traffic (the Node balancer binds its listeners; HAProxy already serves). */
  listen(): Promise<ListeningAddress[]>;
  /** Metrics beyond the windows' (HAProxy's log line counts). */
  exportMetrics(registry: MetricsRegistry): () => void;
  reload(next: PiperConfig, actor: string): Promise<void>;
  close(graceMs: number): Promise<void>;
}

export interface ServedDataPlaneOptions {
  config: PiperConfig;
  clock: Clock;
  random: Random;
  logger: Logger;
  /** Replaces the first public listener's port (0 = any free port). */
  port?: number | undefined;
  /** Relative paths of the config are resolved against it. */
  cwd: string;
  /** The piper.yaml, named in the haproxy.cfg piper writes. */
  source: string;
  /** PATH, to find haproxy on. */
  searchPath?: string | undefined;
}

/** piper's own balancer in this process: listeners bound by `listen()`. */
export function nodeBalancer(o: ServedDataPlaneOptions): ServedDataPlane {
  const balancer = new Balancer({ config: o.config, clock: o.clock, random: o.random, logger: o.logger });
  return {
    kind: 'piper',
    port: balancer,
    balancer,
    eventSource: 'balancer',
    onEvent: (listener) => balancer.onEvent(listener),
    listen: () => balancer.listen(o.port),
    exportMetrics: () => () => undefined,
    reload: (next, actor) => balancer.reload(next, actor),
    close: (graceMs) => balancer.close(graceMs),
  };
}

/**
 * HAProxy, started and supervised (or attached to, `dataPlane.haproxy.attach`), steered through
 * HaproxyDataPlane. Listener and stats ports left at 0 get a free port first: HAProxy binds fixed
 * ports and cannot report one it picked. Events from before the control plane subscribes (HAProxy's
 * first start) are kept and handed to the first subscriber.
 */
export async function haproxyDataPlane(o: ServedDataPlaneOptions): Promise<ServedDataPlane> {
  const config = await withFixedPorts(o.config, o.port);
  const early: DataPlaneEvent[] = [];
  const listeners = new Set<(e: DataPlaneEvent) => void>();
  const relay = (e: DataPlaneEvent): void => {
    if (listeners.size === 0) early.push(e);
    for (const l of listeners) l(e);
  };
  const run = await startHaproxyRun({
    config,
    baseDir: o.cwd,
    source: o.source,
    clock: o.clock,
    random: o.random,
    logger: o.logger,
    searchPath: o.searchPath,
    onEvent: relay,
  });
  const dp = run.dataPlane;
  return {
    kind: 'haproxy',
    port: dp,
    balancer: null,
    eventSource: 'haproxy',
    onEvent(listener) {
      listeners.add(listener);
      for (const e of early.splice(0)) listener(e);
      return () => listeners.delete(listener);
    },
    listen: async () => addressesOf(config.listeners),
    exportMetrics: (registry) => exportHaproxyMetrics(registry, dp.telemetry),
    reload: async () => {
      throw new PiperError(
        haproxyErrors.PIPER_HAPROXY_NO_RELOAD,
        'reloading piper.yaml is not supported on the HAProxy data plane yet: restart piper up (HAProxy is restarted with it)',
      );
    },
    close: () => run.close(),
  };
}

function addressesOf(listeners: readonly ListenerConfig[]): ListeningAddress[] {
  return listeners.map((l) => {
    const host = l.address.includes(':') ? `[${l.address}]` : l.address;
    return { name: l.name, url: `${l.tls === undefined ? 'http' : 'https'}://${host}:${l.port}`, port: l.port };
  });
}

/** The config with the port override applied and every port 0 HAProxy would bind replaced by a free one. */
async function withFixedPorts(config: PiperConfig, override: number | undefined): Promise<PiperConfig> {
  const listeners: ListenerConfig[] = [];
  for (const [i, l] of config.listeners.entries()) {
    const port = i === 0 && override !== undefined ? override : l.port;
    listeners.push({ ...l, port: port === 0 ? await freePort(l.address) : port });
  }
  const h = config.dataPlane.haproxy;
  const stats = h.stats.enabled && h.stats.port === 0 ? { ...h.stats, port: await freePort(h.stats.address) } : h.stats;
  return { ...config, listeners, dataPlane: { ...config.dataPlane, haproxy: { ...h, stats } } };
}

/** A port free on `address` now (bound and released: another process could take it before HAProxy does). */
function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, address, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
