import { z } from 'zod';

// The rollout controller's evidence as the journal records it: the plan, the capacity gate's
// verdict and the judge's decision. They list the figures readers use (summaries, postmortem,
// dashboard); the objects tolerate more (the gate's certificate details, the mix), so the
// controller can journal its values as they are.

/** What the operator asked for, with defaults filled in (rollout's `MigrationPlan`). */
export const planSchema = z.object({
  route: z.string(),
  from: z.string(),
  to: z.string(),
  /** Percent on the target at each step, ascending, ending at 100. */
  steps: z.array(z.number()),
  stepDurationMs: z.number(),
  headroom: z.number(),
  expectedPeakRps: z.number().nullable(),
});

/** The capacity gate's verdict (rollout's `GateResult`). */
export const gateSchema = z.object({
  passed: z.boolean(),
  /** The first refusal's kind (`ok` when it passes). */
  reason: z.string(),
  /** Every check it failed, with a sentence for people. */
  refusals: z.array(z.object({ check: z.string(), message: z.string() })),
  pool: z.string(),
  /** Share of the route the pool would carry, 0..1. */
  share: z.number(),
  projectedRps: z.number(),
  basisRps: z.number(),
  basis: z.enum(['current', 'peak', 'expectedPeak']),
  currentRps: z.number(),
  peakRps: z.number(),
  expectedPeakRps: z.number().nullable(),
  /** Of the capacity result the gate went by; null when the pool has none. */
  capacityRps: z.number().nullable(),
  certifiedAt: z.number().nullable(),
  capacityEventId: z.number().nullable(),
  headroom: z.number(),
  /** capacity / headroom: the most the pool may be given. */
  allowedRps: z.number().nullable(),
});

/** One side's counts in a judged window: attempts the data plane sent to that pool, not client requests. */
const sideSchema = z.object({
  requests: z.number(),
  failed: z.number(),
  errorRatio: z.number(),
  connectionFailures: z.number(),
  slow: z.number(),
  p99Ms: z.number(),
  /** Of `requests` and `failed`, those the pool's admission refused and the other pool answered. Absent in older journals. */
  spilled: z.number().optional(),
});

const msprtSchema = z.object({
  targetSamples: z.number(),
  targetFailures: z.number(),
  sourceSamples: z.number(),
  sourceFailures: z.number(),
  difference: z.number(),
  lambda: z.number(),
  pValue: z.number(),
  alpha: z.number(),
  rejected: z.boolean(),
});

/** The target's latency against one percentile of the source's over the step (rollout's `RelativeLatencyResult`). */
const relativeLatencySchema = z.object({
  targetPool: z.string(),
  sourcePool: z.string(),
  /** The source's percentile compared with (90 or 99). */
  percentile: z.number(),
  /** That percentile of the source pool over the step so far, ms (0 until it has enough requests, or while it is a refusal). */
  sourceMs: z.number(),
  sourceSamples: z.number(),
  /** Of them, refused by the source's admission, counted slower than any answer. Absent in older journals. */
  sourceRefused: z.number().optional(),
  /** Target requests compared this step, and how many were slower than it. */
  targetSamples: z.number(),
  targetSlower: z.number(),
  /** Of both, requests the target's admission refused and the source answered, each counted slower. Absent in older journals. */
  targetRefused: z.number().optional(),
  share: z.number(),
  /** The share tolerated: an identical pool's (10 % or 1 %) scaled by the margin. */
  bound: z.number(),
  lambda: z.number(),
  pValue: z.number(),
  alpha: z.number(),
  rejected: z.boolean(),
});

/** One window's decision with its inputs (rollout's `JudgeDecision`). */
export const judgeSchema = z.object({
  verdict: z.enum(['pass', 'hold', 'rollback']),
  hard: z.boolean(),
  /** One stable word per rule that decided (`error_ratio`, `msprt_latency`, `no_target_data` ...). */
  reasons: z.array(z.string()),
  windowStart: z.number(),
  target: sideSchema,
  source: sideSchema,
  errors: msprtSchema,
  latency: msprtSchema,
  /** Absent in journals written before the judge compared latency with the source. */
  relativeLatency: z.array(relativeLatencySchema).optional(),
  consecutiveP99Failures: z.number(),
  consecutiveNoData: z.number(),
  incomplete: z.string().nullable(),
  thresholds: z.object({
    maxErrorRatio: z.number(),
    hardMinFailures: z.number(),
    consecutiveFailures: z.number(),
    alpha: z.number(),
    errorMargin: z.number(),
    latencyMargin: z.number(),
    relativeLatencyMargin: z.number().optional(),
    latencyThresholdMs: z.number(),
  }),
});

/** What every transition of a migration records beside its own facts: the state after it. */
export const transitionFacts = {
  migration: z.string(),
  route: z.string(),
  from: z.string(),
  to: z.string(),
  /** Transitions of this migration so far (0 at the start). */
  seq: z.number(),
  phase: z.enum(['running', 'paused', 'rolling_back', 'completed', 'rolled_back', 'aborted']),
  /** Index into the plan's steps; -1 while no traffic is on the target. */
  stepIndex: z.number(),
  targetPercent: z.number(),
};

/** The gate's headline figures, flat beside the gate itself (refusals and overrides). */
export const gateFacts = {
  route: z.string(),
  from: z.string(),
  to: z.string(),
  capacityRps: z.number().nullable(),
  /** projected × headroom: the capacity the move needs. */
  requiredRps: z.number(),
  projectedRps: z.number(),
  headroom: z.number(),
  /** One sentence per failed check. */
  refusals: z.array(z.string()),
};

export const EXAMPLE_PLAN: z.input<typeof planSchema> = {
  route: 'web',
  from: 'vendor',
  to: 'inhouse',
  steps: [5, 10, 25, 100],
  stepDurationMs: 200_000,
  headroom: 2,
  expectedPeakRps: null,
};

export const EXAMPLE_GATE: z.input<typeof gateSchema> = {
  passed: false,
  reason: 'over_capacity',
  refusals: [
    {
      check: 'capacity',
      message: 'over capacity: certified 120/s < 2 × peak 310/s = 620/s',
    },
  ],
  pool: 'inhouse',
  share: 1,
  projectedRps: 310,
  basisRps: 310,
  basis: 'peak',
  currentRps: 296,
  peakRps: 310,
  expectedPeakRps: null,
  capacityRps: 120,
  certifiedAt: 1_490_994_600_000,
  capacityEventId: 1,
  headroom: 2,
  allowedRps: 60,
};

const EXAMPLE_MSPRT = {
  targetSamples: 18,
  targetFailures: 7,
  sourceSamples: 280,
  sourceFailures: 0,
  difference: 0.39,
  lambda: 4.1e6,
  pValue: 2.4e-7,
  alpha: 0.0025,
  rejected: true,
};

const EXAMPLE_RELATIVE = {
  targetPool: 'inhouse',
  sourcePool: 'vendor',
  sourceSamples: 280,
  targetSamples: 18,
  alpha: 0.00125,
  rejected: false,
};

export const EXAMPLE_JUDGE: z.input<typeof judgeSchema> = {
  verdict: 'rollback',
  hard: true,
  reasons: ['error_ratio'],
  windowStart: 1_490_997_600_000,
  target: { requests: 18, failed: 7, errorRatio: 0.3889, connectionFailures: 0, slow: 2, p99Ms: 2100 },
  source: { requests: 280, failed: 0, errorRatio: 0, connectionFailures: 0, slow: 0, p99Ms: 88 },
  errors: EXAMPLE_MSPRT,
  latency: { ...EXAMPLE_MSPRT, targetFailures: 2, difference: 0.11, lambda: 3.2, pValue: 0.31, rejected: false },
  relativeLatency: [
    { ...EXAMPLE_RELATIVE, percentile: 90, sourceMs: 12, targetSlower: 4, share: 0.2222, bound: 0.15, lambda: 1.3, pValue: 0.77 },
    { ...EXAMPLE_RELATIVE, percentile: 99, sourceMs: 0, targetSamples: 0, targetSlower: 0, share: 0, bound: 0.015, lambda: 1, pValue: 1 },
  ],
  consecutiveP99Failures: 1,
  consecutiveNoData: 0,
  incomplete: null,
  thresholds: {
    maxErrorRatio: 0.2,
    hardMinFailures: 2,
    consecutiveFailures: 3,
    alpha: 0.0025,
    errorMargin: 0.01,
    latencyMargin: 0.05,
    relativeLatencyMargin: 0.05,
    latencyThresholdMs: 500,
  },
};
