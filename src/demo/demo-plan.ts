/**
 * The timings and rates of one demo run. `fast` compresses the afternoon to about a minute and a
 * half; the normal pace leaves time to watch the dashboard. Rates stay small: the in-house pool's
 * emulated capacity, not the machine's two cores, is what saturates.
 */
export interface DemoPlan {
  /** Act 1: steady traffic on the vendor pool before anyone touches anything. */
  steadyMs: number;
  /** Beta traffic: starts at `startRps`, grows to `peakRps` during the migration. */
  startRps: number;
  peakRps: number;
  /** Emulated capacity of each in-house server (`piper serve --capacity-rps`). */
  inhouseCapacityRps: number;
  inhouseMaxConcurrency: number;
  /** Capacity test: first rate tried (below the pool's capacity, so the search brackets upwards), trial length and precision. */
  capacityStartRps: number;
  capacityTrialMs: number;
  /** Trials lengthen up to this to gather enough samples for the p99 and error verdicts (~300). */
  capacityMaxTrialMs: number;
  capacityPrecision: number;
  /** Migration steps (percent on the in-house pool) and time per step. */
  steps: number[];
  stepDurationMs: number;
  /** An incident resolves after its alerts stay clear this long. */
  resolveAfterMs: number;
  /** Longest wait for the rollback and for the incident to resolve. */
  actTimeoutMs: number;
  /** Headroom the gate requires: certified capacity ≥ headroom × peak. */
  headroom: number;
}

export function demoPlan(fast: boolean): DemoPlan {
  return fast
    ? {
        steadyMs: 6_000,
        startRps: 50,
        peakRps: 100,
        inhouseCapacityRps: 30,
        inhouseMaxConcurrency: 4,
        capacityStartRps: 40,
        capacityTrialMs: 2_000,
        capacityMaxTrialMs: 12_000,
        capacityPrecision: 0.25,
        steps: [10, 25, 50, 100],
        stepDurationMs: 3_000,
        resolveAfterMs: 10_000,
        actTimeoutMs: 45_000,
        headroom: 2,
      }
    : {
        steadyMs: 20_000,
        startRps: 50,
        peakRps: 100,
        inhouseCapacityRps: 30,
        inhouseMaxConcurrency: 4,
        capacityStartRps: 30,
        capacityTrialMs: 5_000,
        capacityMaxTrialMs: 20_000,
        capacityPrecision: 0.05,
        steps: [5, 10, 25, 50, 100],
        stepDurationMs: 10_000,
        resolveAfterMs: 30_000,
        actTimeoutMs: 120_000,
        headroom: 2,
      };
}
