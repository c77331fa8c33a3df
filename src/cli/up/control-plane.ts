import { type PiperConfig, storageLocation } from '../../config/index.ts';
import { type ApiHandler, type Clock, type Logger, sendJson } from '../../core/index.ts';
import { createJournalApi, Journal, type MismatchPolicy, OnCall, type TrafficSample } from '../../journal/index.ts';
import { createRolloutApi, histogramSlowCounter, MigrationController, recordCapacityResult } from '../../rollout/index.ts';
import { connectDataPlanes, type DataPlane, type FleetDataPlane } from '../../data-plane/index.ts';
import { mergeWindows, type TelemetryWindow } from '../../telemetry/index.ts';
import type { ServedDataPlane } from './served-data-plane.ts';

/** The control plane of one `piper up`: journal, on-call (alerts, incidents), migration controller. */
export interface ControlPlane {
  /** What the controller steers: this process's data plane, or the fleet `dataPlanes` lists. */
  dataPlane: DataPlane;
  journal: Journal;
  onCall: OnCall;
  controller: MigrationController;
  apiHandlers: ApiHandler[];
  close(): Promise<void>;
}

export interface ControlPlaneOptions {
  config: PiperConfig;
  /** The data plane `piper up` serves with: piper's balancer or HAProxy. */
  served: ServedDataPlane;
  clock: Clock;
  logger: Logger;
  dashboardUrl?: string;
  /** What the journal does with an event that does not match the catalogue (`mismatchPolicy`). */
  onMismatch: MismatchPolicy;
}

/**
 * Wires the parts the way DESIGN.md's data flow draws them: the data plane's events into the
 * journal, its 1-second windows into the SLO monitor as per-route samples, and the controller
 * driving it through the DataPlane port (piper's balancer or HAProxy alike).
 */
export async function startControlPlane(o: ControlPlaneOptions): Promise<ControlPlane> {
  const { config, clock } = o;
  const log = o.logger.child({ part: 'control-plane' });
  // The data planes the controller steers: this process's alone, or a fleet (`dataPlanes`).
  const steered = await connectDataPlanes(config.dataPlanes, { local: o.served.port, clock, merge: mergeWindows, logger: log });
  const dataPlane = steered.dataPlane;
  const fleet = steered.fleet;
  let journal: Journal;
  try {
    journal = Journal.open({
      path: storageLocation(config.storage),
      clock,
      logger: log,
      onMismatch: o.onMismatch,
      ...(config.storage.maxSize !== undefined ? { maxSizeBytes: config.storage.maxSize } : {}),
    });
  } catch (err) {
    steered.close();
    throw err;
  }
  const onCall = new OnCall({
    journal,
    clock,
    logger: log,
    config: { routes: config.routes, notifications: config.notifications },
    sampleRetentionMs: config.storage.sampleRetention,
    ...(o.dashboardUrl !== undefined ? { dashboardUrl: o.dashboardUrl } : {}),
    // A pool's alerts count against the routes its live split sends traffic to (a migration moves them).
    routePools: (name) => {
      const route = dataPlane.snapshot().routes.find((r) => r.name === name);
      return route && [...Object.keys(route.split).filter((pool) => (route.split[pool] ?? 0) > 0), ...route.failover];
    },
  });
  // Data plane events are recorded off the traffic path (batched); split changes made by the
  // controller are appended durably by the controller itself.
  const source = o.served.eventSource;
  // Each data plane event is a catalogue kind with the same data: `tsc` checks the two agree here.
  const offEvents = o.served.onEvent((e) => journal.record({ ...e, source }));
  const offFleetEvents = steered.onEvent((e) => journal.record({ ...e, source }));
  const thresholds = new Map(config.routes.map((r) => [r.name, r.slo.latency.threshold]));
  // Alerts count what the whole fleet served: its merged windows, or this data plane's own.
  const onWindow = (w: TelemetryWindow): void => {
    for (const sample of trafficSamples(w, thresholds)) onCall.observe(sample);
  };
  const offWindows = fleet === null ? o.served.port.telemetry.onWindow(onWindow) : fleet.onWindow(onWindow);
  const controller = new MigrationController({
    dataPlane,
    journal,
    clock,
    migration: config.migration,
    routes: config.routes,
    logger: log,
  });
  await controller.start();
  let closing: Promise<void> | null = null;
  return {
    dataPlane,
    journal,
    onCall,
    controller,
    apiHandlers: [
      // A capacity result is tied to the pool's membership as this control plane sees it when it records it.
      createJournalApi({ journal, onCall, clock, annotate: (e) => recordCapacityResult(e, dataPlane.snapshot(), clock.now()) }),
      createRolloutApi({ controller }),
      ...(fleet === null ? [] : [fleetApi(fleet)]),
    ],
    close() {
      closing ??= (async () => {
        offWindows();
        offEvents();
        offFleetEvents();
        await controller.close();
        steered.close();
        onCall.close();
        journal.close();
      })();
      return closing;
    },
  };
}

/** One sample per route per window, with the route's pools and its requests over the SLO threshold. */
export function trafficSamples(w: TelemetryWindow, thresholds: ReadonlyMap<string, number>): TrafficSample[] {
  const samples: TrafficSample[] = [];
  for (const [route, stats] of Object.entries(w.routes)) {
    const pools: TrafficSample['pools'] = {};
    for (const f of w.flows ?? []) {
      if (f.route !== route) continue;
      const p = pools[f.pool] ?? { requests: 0, failed: 0, shed: 0 };
      pools[f.pool] = p;
      p.requests += f.requests;
      // Telemetry counts shed requests among the failed; the journal keeps them apart.
      const shed = f.errors.shed ?? 0;
      p.failed += f.failed - shed;
      p.shed += shed;
    }
    samples.push({
      time: w.start,
      route,
      pools,
      requests: stats.requests,
      failed: stats.failed - stats.shed,
      shed: stats.shed,
      slow: histogramSlowCounter(stats, thresholds.get(route) ?? 500),
      p99Ms: stats.latency.p99,
      durationMs: w.durationMs,
      bytesIn: stats.bytesIn,
      bytesOut: stats.bytesOut,
      ...(stats.firstFailureAt !== undefined ? { firstFailureAt: stats.firstFailureAt } : {}),
      ...(stats.savedByRetry !== undefined ? { savedByRetry: stats.savedByRetry } : {}),
      ...(stats.users !== undefined ? { users: stats.users } : {}),
    });
  }
  return samples;
}

/** `GET /api/v1/fleet`: the fleet's view (each member's split per route, who is reachable) where `dataPlanes` lists several. */
function fleetApi(fleet: FleetDataPlane): ApiHandler {
  return async (req, res, url) => {
    if (url.pathname !== '/api/v1/fleet' || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    sendJson(res, 200, fleet.snapshot());
    return true;
  };
}
