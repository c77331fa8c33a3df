import type { Split } from '../data-plane/index.ts';
import type { GateResult } from './capacity-gate.ts';
import type { DecisionView } from './decision-log.ts';
import type { JudgeDecision } from './judge.ts';
import type { MigrationEvidence } from './migration-evidence.ts';
import { type MigrationState, splitFor } from './migration-state.ts';

/**
 * A migration as the API lists it: the durable state plus the latest gate evaluation and judged
 * window this controller made (null for a migration it does not run: the detail reads them from
 * the journal).
 */
export interface MigrationView extends MigrationState {
  split: Split;
  gate: GateResult | null;
  judge: JudgeDecision | null;
  stepEndsAt: number | null;
}

/**
 * One migration with its evidence (GET /api/v1/migrations/:id): what the journal holds, so the
 * same after it ended, after a restart and on another process reading the journal; while this
 * controller runs it, `gate` and `judge` are its latest and `decisions` adds those not journaled.
 */
export interface MigrationDetail extends MigrationView, MigrationEvidence {}

/** The view of `state`, with the latest gate and judged window of the controller running it. */
export function viewOf(state: MigrationState, live: { gate: GateResult | null; judge: JudgeDecision | null } | null): MigrationView {
  return {
    ...state,
    split: splitFor(state.plan, state.targetPercent),
    gate: live?.gate ?? null,
    judge: live?.judge ?? null,
    stepEndsAt: state.phase === 'running' && state.stepIndex >= 0 ? state.stepStartedAt + state.plan.stepDurationMs : null,
  };
}

/** The view with the journal's evidence and the decisions only this controller holds yet. */
export function detailOf(view: MigrationView, evidence: MigrationEvidence, unjournaled: readonly DecisionView[]): MigrationDetail {
  const decisions = unjournaled.length === 0 ? evidence.decisions : [...evidence.decisions, ...unjournaled].sort((a, b) => a.time - b.time);
  return {
    ...view,
    ...evidence,
    decisions,
    gate: view.gate ?? evidence.gates.at(-1)?.gate ?? null,
    judge: view.judge ?? lastJudged(decisions),
  };
}

/** The newest judged window among decisions (oldest first). */
function lastJudged(decisions: readonly DecisionView[]): JudgeDecision | null {
  for (let i = decisions.length - 1; i >= 0; i--) {
    const judge = decisions[i]?.judge;
    if (judge) return judge;
  }
  return null;
}
