import type { Split } from '../data-plane/index.ts';

/** Where a migration is. `running`/`paused`/`rolling_back` are active; the rest are final. */
export type MigrationPhase = 'running' | 'paused' | 'rolling_back' | 'completed' | 'rolled_back' | 'aborted';

/** Phases in which the controller still drives the route (and heartbeats its dead-man guard). */
export const ACTIVE_PHASES: readonly MigrationPhase[] = ['running', 'paused', 'rolling_back'];

/** What the operator asked for, with defaults filled in from `migration` in piper.yaml. */
export interface MigrationPlan {
  route: string;
  from: string;
  to: string;
  /** Percent of the route on the target at each step, ascending, ending at 100. */
  steps: number[];
  stepDurationMs: number;
  headroom: number;
  expectedPeakRps: number | null;
}

/** Why the controller is not advancing although the step's time is up. */
export interface Hold {
  reason: 'no_target_data' | 'no_telemetry' | 'incomplete_telemetry' | 'gate' | 'judge';
  since: number;
  detail: string;
}

export interface RollbackInfo {
  reason: string;
  /** True for a hard failure: traffic goes back at once, never staged. */
  hard: boolean;
  /**
   * When the first failing target response ended (the balancer's clock), from telemetry's exact
   * `firstFailureAt`; the start of the first failing window only when a data plane does not report it.
   */
  firstFailureAt: number | null;
  startedAt: number;
  actor: string;
  /** Target percents still to pass through in a staged rollback (last is 0). */
  stages: number[];
  stageStartedAt: number;
  /** The phase to end in: `rolled_back` (the controller decided) or `aborted` (an operator did). */
  endPhase: 'rolled_back' | 'aborted';
}

/** Who lowered a migration's headroom below the configured one, why, and from what. */
export interface HeadroomOverride {
  reason: string;
  actor: string;
  at: number;
  configured: number;
  headroom: number;
}

/** The durable state of one migration: one journal state row, rewritten with each transition. */
export interface MigrationState {
  id: string;
  plan: MigrationPlan;
  phase: MigrationPhase;
  /** Index into plan.steps of the current step; -1 while no traffic is on the target. */
  stepIndex: number;
  /** Percent of the route currently assigned to the target. */
  targetPercent: number;
  stepStartedAt: number;
  createdAt: number;
  updatedAt: number;
  actor: string;
  override: { reason: string; actor: string; at: number } | null;
  /** Set when the plan's headroom is below `migration.headroom` (`configured`); absent in states recorded before it existed. */
  headroomOverride?: HeadroomOverride | null;
  paused: { reason: string; actor: string; at: number } | null;
  hold: Hold | null;
  rollback: RollbackInfo | null;
  /** Transitions so far; each journaled transition increments it exactly once. */
  seq: number;
  endedAt: number | null;
}

/** The prefix of every migration's journal state key. */
export const STATE_PREFIX = 'rollout/migration/';

/** Journal state key of a migration. */
export function stateKey(id: string): string {
  return `${STATE_PREFIX}${id}`;
}

/** Split weights in basis points, so fractional percents (0.5 %) stay integers. */
export function splitFor(plan: Pick<MigrationPlan, 'from' | 'to'>, targetPercent: number): Split {
  const bp = Math.round(targetPercent * 100);
  return { [plan.from]: 10_000 - bp, [plan.to]: bp };
}

/** True when two splits give every pool the same share (weights are proportional). */
export function sameShares(a: Split, b: Split): boolean {
  const ta = total(a);
  const tb = total(b);
  if (ta === 0 || tb === 0) return ta === tb;
  for (const pool of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (Math.abs((a[pool] ?? 0) / ta - (b[pool] ?? 0) / tb) > 1e-9) return false;
  }
  return true;
}

/** A pool's share (0..1) of a split. */
export function shareOf(split: Split, pool: string): number {
  const t = total(split);
  return t === 0 ? 0 : (split[pool] ?? 0) / t;
}

function total(split: Split): number {
  let t = 0;
  for (const w of Object.values(split)) t += w;
  return t;
}
