import { z } from 'zod';
import { defineEntry } from './catalogue-entry.ts';
import { splitSchema } from './event-catalogue-data-plane.ts';
import {
  EXAMPLE_GATE,
  EXAMPLE_JUDGE,
  EXAMPLE_PLAN,
  gateFacts,
  gateSchema,
  judgeSchema,
  planSchema,
  transitionFacts,
} from './migration-evidence-schema.ts';

const T0 = 1_490_997_000_000;
/** The facts of the example migration's transitions; each example adds its own. */
const at = (phase: 'running' | 'paused' | 'rolling_back' | 'completed' | 'rolled_back' | 'aborted', stepIndex: number, seq: number) => ({
  migration: '1',
  route: 'web',
  from: 'vendor',
  to: 'inhouse',
  seq,
  phase,
  stepIndex,
  targetPercent: stepIndex < 0 ? 0 : (EXAMPLE_PLAN.steps[stepIndex] ?? 0),
});

const ending = z.strictObject({
  ...transitionFacts,
  reason: z.string(),
  hard: z.boolean(),
  /** When the first failing target response ended, when known. */
  firstFailureAt: z.number().nullable(),
  startedAt: z.number(),
  completedAt: z.number(),
});

/** Capacity results (piper capacity) and the migration controller's record. */
export const ROLLOUT_EVENTS = {
  'capacity.result': defineEntry({
    sources: ['loadgen'],
    subject: 'pool, or the target URL',
    about:
      'piper capacity certified the rate a pool sustains within an objective; results written by hand or by older versions may lack the optional fields, and the gate then says what is missing',
    data: z.strictObject({
      target: z.string().optional(),
      pool: z.string().nullable(),
      slo: z.object({ p99Ms: z.number(), maxErrorRatio: z.number() }).optional(),
      capacityRps: z.number(),
      interval: z.object({ lowerRps: z.number(), upperRps: z.number().nullable() }).optional(),
      arrivals: z.enum(['constant', 'poisson']).optional(),
      confidence: z.number().optional(),
      certifiedAt: z.number().optional(),
      require: z.object({ factor: z.number(), peakRps: z.number(), passed: z.boolean() }).optional(),
      trials: z
        .array(
          z.object({
            rateRps: z.number(),
            durationMs: z.number(),
            p99Ms: z.number(),
            errorRatio: z.number(),
            achievedRps: z.number(),
            verdict: z.string(),
          }),
        )
        .optional(),
      mix: z.array(z.object({ method: z.string(), path: z.string(), share: z.number(), bodyBytes: z.number() })).optional(),
      /** Written by the control plane as it records the result: the pool as its data plane shows it (null: no such pool). */
      membership: z
        .object({ fingerprint: z.string(), backends: z.array(z.object({ name: z.string(), url: z.string(), weight: z.number() })) })
        .nullable()
        .optional(),
      recordedAt: z.number().optional(),
    }),
    example: {
      source: 'loadgen',
      subject: 'inhouse',
      actor: 'piper capacity',
      data: {
        target: 'http://10.0.0.21:8081',
        pool: 'inhouse',
        slo: { p99Ms: 500, maxErrorRatio: 0.01 },
        capacityRps: 120,
        interval: { lowerRps: 120, upperRps: 135 },
        arrivals: 'poisson',
        confidence: 0.95,
        certifiedAt: T0 - 2_400_000,
        trials: [{ rateRps: 120, durationMs: 30_000, p99Ms: 310, errorRatio: 0, achievedRps: 119.6, verdict: 'pass' }],
        membership: { fingerprint: 'sha256:5d41402a', backends: [{ name: 'ih-1', url: 'http://10.0.0.21:8081', weight: 1 }] },
        recordedAt: T0 - 2_400_000,
      },
    },
  }),
  'migration.gate_refused': defineEntry({
    sources: ['rollout'],
    subject: 'route',
    about: "the capacity gate refused a migration (an operator's start or promote, or the controller's next step)",
    data: z.strictObject({ migration: z.string().nullable(), ...gateFacts, plan: planSchema, gate: gateSchema }),
    example: {
      source: 'rollout',
      subject: 'web',
      actor: 'richard',
      data: {
        migration: null,
        route: 'web',
        from: 'vendor',
        to: 'inhouse',
        capacityRps: 120,
        requiredRps: 620,
        projectedRps: 310,
        headroom: 2,
        refusals: EXAMPLE_GATE.refusals.map((r) => r.message),
        plan: EXAMPLE_PLAN,
        gate: EXAMPLE_GATE,
      },
    },
  }),
  'migration.gate_overridden': defineEntry({
    sources: ['rollout'],
    subject: 'route',
    about: 'an operator started a migration the capacity gate refused, giving a reason',
    data: z.strictObject({ migration: z.string(), reason: z.string(), who: z.string(), ...gateFacts, gate: gateSchema }),
    example: {
      source: 'rollout',
      subject: 'web',
      actor: 'richard',
      data: {
        migration: '1',
        reason: 'tests ran for a week; the servers are enough',
        who: 'richard',
        route: 'web',
        from: 'vendor',
        to: 'inhouse',
        capacityRps: 120,
        requiredRps: 620,
        projectedRps: 310,
        headroom: 2,
        refusals: EXAMPLE_GATE.refusals.map((r) => r.message),
        gate: EXAMPLE_GATE,
      },
    },
  }),
  'migration.started': defineEntry({
    sources: ['rollout'],
    subject: 'route',
    about: 'a migration began (before its first step)',
    data: z.strictObject({
      ...transitionFacts,
      plan: planSchema,
      gate: gateSchema,
      override: z.object({ reason: z.string(), actor: z.string(), at: z.number() }).nullable(),
      /** The plan's headroom below `migration.headroom` (`configured`), with who and why (absent before it was recorded). */
      headroomOverride: z
        .strictObject({ reason: z.string(), actor: z.string(), at: z.number(), configured: z.number(), headroom: z.number() })
        .nullable()
        .optional(),
    }),
    example: {
      source: 'rollout',
      subject: 'web',
      actor: 'richard',
      data: {
        ...at('running', -1, 0),
        plan: EXAMPLE_PLAN,
        gate: EXAMPLE_GATE,
        override: { reason: 'tests ran for a week; the servers are enough', actor: 'richard', at: T0 },
        headroomOverride: null,
      },
    },
  }),
  'migration.step': defineEntry({
    sources: ['rollout'],
    subject: 'route',
    about: 'a migration moved to another step: on its own, promoted by an operator, or backed off by the gate',
    data: z.strictObject({
      ...transitionFacts,
      why: z.enum(['advance', 'promote', 'promote_all', 'backoff']),
      fromPercent: z.number(),
      toPercent: z.number(),
      gate: gateSchema,
      /** The step went ahead although the gate refused it (the migration's gate was overridden). */
      overridden: z.boolean().optional(),
    }),
    example: {
      source: 'rollout',
      subject: 'web',
      actor: 'rollout',
      data: { ...at('running', 1, 2), why: 'advance', fromPercent: 5, toPercent: 10, gate: EXAMPLE_GATE, overridden: true },
    },
  }),
  'migration.decision': defineEntry({
    sources: ['rollout'],
    subject: 'route',
    about: "the judge's decision on one window (or the fast path's on the open window), with its figures",
    data: z.strictObject({
      migration: z.string(),
      /** Absent in journals written before decisions were bounded. */
      route: z.string().optional(),
      stepIndex: z.number(),
      targetPercent: z.number(),
      /** Start of the judged window (or of the open window on the fast path). */
      windowStart: z.number().optional(),
      verdict: z.enum(['pass', 'hold', 'rollback']).optional(),
      /** What the controller did about it. */
      action: z.enum(['none', 'rollback', 'hold', 'backoff']),
      /** Why this decision was kept: it acted, its verdict or the gate changed, its step ended, or it came in the minute before a rollback. */
      recorded: z.enum(['acted', 'verdict_changed', 'gate_changed', 'step_end', 'before_rollback']).optional(),
      /** Null for the fast path (no closed window was judged). */
      judge: judgeSchema.nullable(),
      /** Re-evaluated when the window passed with traffic on the target. */
      gate: gateSchema.nullable(),
      /** The open window's counts that rolled back before it closed. */
      fastPath: z
        .object({
          windowStart: z.number(),
          checkedAt: z.number(),
          pool: z.string(),
          counts: z.object({
            requests: z.number(),
            failed: z.number(),
            connectFailures: z.number(),
            firstFailureAt: z.number().nullable(),
          }),
          rules: z.array(z.string()),
          thresholds: z.object({ maxErrorRatio: z.number(), hardMinFailures: z.number() }),
        })
        .optional(),
    }),
    example: {
      source: 'rollout',
      subject: 'web',
      actor: 'rollout',
      data: {
        migration: '1',
        route: 'web',
        stepIndex: 3,
        targetPercent: 100,
        windowStart: 1_490_997_600_000,
        verdict: 'rollback',
        action: 'rollback',
        recorded: 'acted',
        judge: EXAMPLE_JUDGE,
        gate: null,
      },
    },
  }),
  'migration.held': defineEntry({
    sources: ['rollout'],
    subject: 'route',
    about: 'a migration stopped advancing although its step time was up, and why',
    data: z.strictObject({
      ...transitionFacts,
      reason: z.enum(['no_target_data', 'no_telemetry', 'incomplete_telemetry', 'gate', 'judge']),
      detail: z.string(),
    }),
    example: {
      source: 'rollout',
      subject: 'web',
      actor: 'rollout',
      data: { ...at('running', 0, 2), reason: 'no_target_data', detail: 'no target requests in 3 windows with route traffic' },
    },
  }),
  'migration.paused': defineEntry({
    sources: ['rollout'],
    subject: 'route',
    about: 'an operator paused a migration, or the controller did after the dead-man guard reverted the route',
    data: z.strictObject({ ...transitionFacts, reason: z.string() }),
    example: { source: 'rollout', subject: 'web', actor: 'jared', data: { ...at('paused', 1, 3), reason: 'waiting for the vendor call' } },
  }),
  'migration.resumed': defineEntry({
    sources: ['rollout'],
    subject: 'route',
    about: 'an operator resumed a paused migration (the step gathers its evidence afresh)',
    data: z.strictObject({ ...transitionFacts, reason: z.string() }),
    example: { source: 'rollout', subject: 'web', actor: 'jared', data: { ...at('running', 1, 4), reason: 'vendor agreed' } },
  }),
  'migration.rolling_back': defineEntry({
    sources: ['rollout'],
    subject: 'route',
    about: 'a rollback began: at once for a hard failure, else in stages when the source cannot take the route at once',
    data: z.strictObject({
      ...transitionFacts,
      reason: z.string(),
      hard: z.boolean(),
      firstFailureAt: z.number().nullable(),
      staged: z.boolean(),
      /** Target percents it goes through, ending at 0. */
      stages: z.array(z.number()),
      currentRps: z.number(),
      /** The source pool's capacity result the staging went by, or null. */
      sourceCapacity: z.object({ pool: z.string(), capacityRps: z.number(), certifiedAt: z.number(), eventId: z.number() }).nullable(),
    }),
    example: {
      source: 'rollout',
      subject: 'web',
      actor: 'rollout',
      data: {
        ...at('rolling_back', 3, 5),
        targetPercent: 0,
        reason: 'judge: error_ratio',
        hard: true,
        firstFailureAt: T0 + 600_120,
        staged: false,
        stages: [0],
        currentRps: 296,
        sourceCapacity: null,
      },
    },
  }),
  'migration.rollback_stage': defineEntry({
    sources: ['rollout'],
    subject: 'route',
    about: 'a staged rollback took its next stage (or went all the way when the target failed hard meanwhile)',
    data: z.strictObject({ ...transitionFacts, toPercent: z.number(), reason: z.string().optional() }),
    example: {
      source: 'rollout',
      subject: 'web',
      actor: 'rollout',
      data: { ...at('rolling_back', 2, 6), targetPercent: 10, toPercent: 10 },
    },
  }),
  'migration.rolled_back': defineEntry({
    sources: ['rollout'],
    subject: 'route',
    about: 'a rollback finished: all of the route is on the source pool',
    data: ending,
    example: {
      source: 'rollout',
      subject: 'web',
      actor: 'rollout',
      data: {
        ...at('rolled_back', 3, 6),
        targetPercent: 0,
        reason: 'judge: error_ratio',
        hard: true,
        firstFailureAt: T0 + 600_120,
        startedAt: T0 + 601_400,
        completedAt: T0 + 601_420,
      },
    },
  }),
  'migration.aborted': defineEntry({
    sources: ['rollout'],
    subject: 'route',
    about: 'an operator aborted a migration and its rollback finished',
    data: ending,
    example: {
      source: 'rollout',
      subject: 'web',
      actor: 'jared',
      data: {
        ...at('aborted', 1, 4),
        targetPercent: 0,
        reason: 'aborted by jared: vendor contract extended',
        hard: false,
        firstFailureAt: null,
        startedAt: T0 + 300_000,
        completedAt: T0 + 300_015,
      },
    },
  }),
  'migration.completed': defineEntry({
    sources: ['rollout'],
    subject: 'route',
    about: 'a migration finished: all of the route is on the target pool',
    data: z.strictObject({ ...transitionFacts, durationMs: z.number() }),
    example: { source: 'rollout', subject: 'web', actor: 'rollout', data: { ...at('completed', 3, 5), durationMs: 800_000 } },
  }),
  'migration.recovered': defineEntry({
    sources: ['rollout'],
    subject: 'route',
    about: 'a controller took up an active migration from its recorded state, after it or its data plane restarted',
    data: z.strictObject({
      migration: z.string(),
      route: z.string(),
      from: z.string(),
      to: z.string(),
      seq: z.number(),
      phase: transitionFacts.phase,
      targetPercent: z.number(),
      /** The split the data plane showed (null: it does not have the route). */
      observedSplit: splitSchema.nullable(),
      recordedSplit: splitSchema,
      /** Why the data plane had its split, as it said (null: it does not have the route; absent before piper recorded it). */
      splitOrigin: z
        .strictObject({ kind: z.enum(['config', 'api', 'dead-man']), at: z.number() })
        .nullable()
        .optional(),
      /** Which restarted: the controller (at its start) or the data plane (found on its config's split while the controller ran). */
      restarted: z.enum(['controller', 'data_plane']).optional(),
      /** What the controller did: put the recorded split back, paused (the dead-man guard had reverted the route), or finished a rollback. */
      action: z.enum(['reapplied', 'paused', 'finished_rollback']).optional(),
    }),
    example: {
      source: 'rollout',
      subject: 'web',
      actor: 'rollout',
      data: {
        migration: '1',
        route: 'web',
        from: 'vendor',
        to: 'inhouse',
        seq: 3,
        phase: 'running',
        targetPercent: 10,
        observedSplit: { vendor: 10_000, inhouse: 0 },
        recordedSplit: { vendor: 9000, inhouse: 1000 },
        splitOrigin: { kind: 'config', at: T0 + 120_000 },
        restarted: 'controller',
        action: 'reapplied',
      },
    },
  }),
};
