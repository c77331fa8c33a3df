import type { BackendWindowStats } from './telemetry-window.ts';

/**
 * Live state the aggregator cannot count from outcomes, read once as each window closes.
 * Every entity listed appears in the window, with zeros if it had no traffic.
 */
export interface TelemetryProbe {
  routes: Record<string, { inFlight: number }>;
  pools: Record<string, { inFlight: number; healthyBackends: number; totalBackends: number; concurrencyLimit: number }>;
  /** Keyed `pool/backend`. */
  backends: Record<string, { pool: string; health: BackendWindowStats['health']; inFlight: number }>;
}

/** A probe that knows nothing: windows then list only entities that had traffic. */
export const EMPTY_PROBE: Readonly<TelemetryProbe> = Object.freeze({
  routes: Object.freeze({}),
  pools: Object.freeze({}),
  backends: Object.freeze({}),
});
