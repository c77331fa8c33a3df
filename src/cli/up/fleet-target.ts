import type { BalancerApiTarget } from '../../balancer/index.ts';
import { PiperError } from '../../core/index.ts';
import type { DataPlane, FleetDataPlane } from '../../data-plane/index.ts';
import type { TelemetryWindow } from '../../telemetry/index.ts';
import { dataPlaneErrors } from '../../data-plane/index.ts';

/** Merged windows kept for `GET /api/v1/windows` and the dashboard's charts (five minutes). */
const KEPT_WINDOWS = 300;

/**
 * The fleet as `piper control` serves it on its admin API, so the dashboard and `GET /api/v1/state`
 * read the fleet the way they read one balancer: its snapshot, its merged windows, and splits sent
 * to every member (an operator's split carries no term, as on one data plane). A drain is a
 * backend's, on the data plane that holds the connection: it is refused here with where to send it.
 */
export function fleetApiTarget(dataPlane: DataPlane, fleet: FleetDataPlane): BalancerApiTarget & { close(): void } {
  const kept: TelemetryWindow[] = [];
  const off = fleet.onWindow((w) => {
    kept.push(w);
    if (kept.length > KEPT_WINDOWS) kept.shift();
  });
  const drainHere = (action: string) => (pool: string, backend: string) => {
    throw new PiperError(
      dataPlaneErrors.PIPER_FLEET_DRAIN_PER_MEMBER,
      `${action} ${pool}/${backend} on each data plane's admin API (POST /api/v1/pools/${pool}/backends/${backend}/${action}): piper control holds no connections to backends`,
    );
  };
  return {
    snapshot: () => fleet.snapshot(),
    setSplit: (route, split, reason, options) => dataPlane.setSplit(route, split, reason, options),
    heartbeat: (route, term, leader) => dataPlane.heartbeat(route, term, leader),
    windows: (signal) => dataPlane.windows(signal),
    drain: drainHere('drain'),
    undrain: drainHere('undrain'),
    telemetry: { recent: (sinceMs = 0) => kept.filter((w) => w.start >= sinceMs) },
    close: off,
  };
}
