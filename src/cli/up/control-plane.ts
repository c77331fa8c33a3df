import { type PiperConfig, storageLocation } from '../../config/index.ts';
import type { FastifyPluginAsync } from 'fastify';
import type { Clock, Logger } from '../../core/index.ts';
import { connectDataPlanes, type DataPlane, type FleetDataPlane } from '../../data-plane/index.ts';
import { Journal, journalApi, Leadership, type MismatchPolicy, OnCall, type TrafficSample } from '../../journal/index.ts';
import {
  type ControllerHost,
  histogramSlowCounter,
  MigrationController,
  recordCapacityResult,
  rolloutApi,
  runWhileLeader,
} from '../../rollout/index.ts';
import { mergeWindows, type TelemetryWindow } from '../../telemetry/index.ts';
import { controlPlaneApi } from './control-plane-api.ts';
import { importMemberEvents } from './member-events.ts';
import type { ServedDataPlane } from './served-data-plane.ts';

/** The control plane of one `piper up` or `piper control`: journal, leadership, on-call (alerts, incidents), migration controller. */
export interface ControlPlane {
  /** What the controller steers: this process's data plane, or the fleet `dataPlanes` lists. */
  dataPlane: DataPlane;
  /** The fleet, when `dataPlanes` lists more than this process's own data plane. */
  fleet: FleetDataPlane | null;
  journal: Journal;
  onCall: OnCall;
  /** This control plane's campaign for the leader lease; only the leader runs migrations and pages. */
  leadership: Leadership;
  /** The controller to ask: the running one while this control plane leads, else a reader of the journal. */
  controller(): MigrationController;
  /** The control plane's slices of the API: journal, rollout, who leads, the fleet. */
  apiPlugins: FastifyPluginAsync[];
  close(): Promise<void>;
}

export interface ControlPlaneOptions {
  config: PiperConfig;
  /** The data plane this process serves with (piper's balancer or HAProxy), or null for `piper control`. */
  served: ServedDataPlane | null;
  clock: Clock;
  logger: Logger;
  dashboardUrl?: string;
  /** Where this control plane's admin API is reached, named by followers when they refuse a write (`control.advertiseUrl` wins). */
  adminUrl?: string;
  /** What the journal does with an event that does not match the catalogue (`mismatchPolicy`). */
  onMismatch: MismatchPolicy;
}

/**
 * Wires the parts the way DESIGN.md's data flow draws them: the data plane's events into the
 * journal, its 1-second windows (merged over the fleet) into the SLO monitor as per-route
 * samples, and the controller driving the data planes through the DataPlane port. Control planes
 * sharing a journal elect one leader (docs/adr/0004-leader-lease.md): only it runs migrations,
 * pages and copies remote data planes' events into the journal; every one serves reads.
 */
export async function startControlPlane(o: ControlPlaneOptions): Promise<ControlPlane> {
  const { config, clock } = o;
  const log = o.logger.child({ part: 'control-plane' });
  // The data planes the controller steers: this process's alone, or a fleet (`dataPlanes`).
  const steered = await connectDataPlanes(config.dataPlanes, {
    ...(o.served === null ? {} : { local: o.served.port }),
    clock,
    merge: mergeWindows,
    logger: log,
  });
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
  let leader: LeaderController;
  try {
    leader = await startLeaderController({
      journal,
      dataPlane,
      config,
      clock,
      logger: log,
      ...(o.adminUrl !== undefined ? { adminUrl: o.adminUrl } : {}),
    });
  } catch (err) {
    steered.close();
    journal.close();
    throw err;
  }
  const leadership = leader.leadership;
  const onCall = new OnCall({
    journal,
    clock,
    logger: log,
    config: { routes: config.routes, notifications: config.notifications },
    sampleRetentionMs: config.storage.sampleRetention,
    leading: () => leadership.holds(),
    ...(o.dashboardUrl !== undefined ? { dashboardUrl: o.dashboardUrl } : {}),
    // A pool's alerts count against the routes its live split sends traffic to (a migration moves them).
    routePools: (name) => {
      const route = dataPlane.snapshot().routes.find((r) => r.name === name);
      return route && [...Object.keys(route.split).filter((pool) => (route.split[pool] ?? 0) > 0), ...route.failover];
    },
  });
  // This process's data plane events are recorded off the traffic path (batched), whoever leads:
  // they are its own. Split changes made by the controller are appended durably by the controller.
  const offEvents =
    o.served === null
      ? () => undefined
      : (() => {
          const served = o.served;
          const source = served.eventSource;
          // Each data plane event is a catalogue kind with the same data: `tsc` checks the two agree here.
          return served.onEvent((e) => journal.record({ ...e, source }));
        })();
  const offFleetEvents = steered.onEvent((e) => journal.record({ ...e, source: 'balancer' }));
  const thresholds = new Map(config.routes.map((r) => [r.name, r.slo.latency.threshold]));
  // Alerts count what the whole fleet served: its merged windows, or this data plane's own.
  const onWindow = (w: TelemetryWindow): void => {
    for (const sample of trafficSamples(w, thresholds)) onCall.observe(sample);
  };
  const offWindows = fleet !== null ? fleet.onWindow(onWindow) : (o.served?.port.telemetry.onWindow(onWindow) ?? (() => undefined));
  const imports = importMemberEvents({
    members: config.dataPlanes,
    journal: () => {
      const fence = leadership.fence();
      return fence !== null && leadership.holds() ? journal.fenced(fence) : null;
    },
    clock,
    logger: log,
  });
  let closing: Promise<void> | null = null;
  return {
    dataPlane,
    fleet,
    journal,
    onCall,
    leadership,
    controller: () => leader.controller(),
    apiPlugins: [
      // A capacity result is tied to the pool's membership as this control plane sees it when it records it.
      journalApi({ journal, onCall, clock, annotate: (e) => recordCapacityResult(e, dataPlane.snapshot(), clock.now()) }),
      rolloutApi({ controller: () => leader.controller(), leader: leadership }),
      controlPlaneApi(leadership, fleet),
    ],
    close() {
      closing ??= (async () => {
        imports.close();
        offWindows();
        offEvents();
        offFleetEvents();
        await leader.close();
        steered.close();
        onCall.close();
        journal.close();
      })();
      return closing;
    },
  };
}

/** A control plane's campaign for the leader lease and the migration controller it runs while it leads. */
export interface LeaderController {
  leadership: Leadership;
  /** The controller to ask: the running one while this process leads, else a reader of the journal. */
  controller(): MigrationController;
  /** Stops the controller, then releases the lease so a follower takes over at once. Idempotent. */
  close(): Promise<void>;
}

/**
 * The one composition of the migration controller, shared by `piper up`, `piper control` and
 * `piper migrate controller`: campaigns for the leader lease in the journal (with SQLite too, so two
 * processes on one file never both drive a route), tells the data planes each new term, and runs
 * the controller while it leads (it recovers active migrations from the journal when elected). The
 * first campaign is over when this resolves: a lone control plane leads before it serves.
 */
export async function startLeaderController(o: {
  journal: Journal;
  dataPlane: DataPlane;
  config: Pick<PiperConfig, 'control' | 'migration' | 'routes'>;
  clock: Clock;
  logger: Logger;
  /** Where this process's API is reached, named by followers (`control.advertiseUrl` wins). */
  adminUrl?: string;
}): Promise<LeaderController> {
  const { config, clock, dataPlane } = o;
  const advertiseUrl = config.control.advertiseUrl ?? o.adminUrl;
  const leadership = new Leadership({
    journal: o.journal,
    clock,
    ttlMs: config.control.lease,
    logger: o.logger,
    ...(config.control.name !== undefined ? { name: config.control.name } : {}),
    ...(advertiseUrl !== undefined ? { advertiseUrl } : {}),
  });
  // A new leader tells every data plane its term first, so a split from the term before is refused from now on.
  const offAnnounce = leadership.onChange((change) => {
    if (!change.leading) return;
    dataPlane.announceTerm?.(change.term, leadership.name).catch((err: unknown) => {
      o.logger.warn({ err, term: change.term }, 'announcing the term to the data planes failed; each split carries it anyway');
    });
  });
  leadership.start();
  const host: ControllerHost = runWhileLeader({
    leadership,
    journal: o.journal,
    dataPlane,
    logger: o.logger,
    makeController: (parts) =>
      new MigrationController({
        dataPlane: parts.dataPlane,
        journal: parts.journal,
        clock,
        migration: config.migration,
        routes: config.routes,
        logger: o.logger,
      }),
  });
  await host.settled();
  let closing: Promise<void> | null = null;
  return {
    leadership,
    controller: () => host.controller(),
    close() {
      closing ??= (async () => {
        offAnnounce();
        await host.close();
        // Released after the controller stopped: a successor takes over at once, not after the lease.
        leadership.close();
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
