import type { EventInputOf } from '../journal/index.ts';
import { type GateResult, refusalText, sourceCanAbsorb } from './capacity-gate.ts';
import type { Decision, Effect, Measured, TransitionData, TransitionKind } from './migration-input.ts';
import type { Hold, MigrationState, RollbackInfo } from './migration-state.ts';

/** Who the controller acts as when no operator asked. */
export const ACTOR = 'rollout';

/** Transitions that move traffic back to safety: journaled if the journal can, done whether or not it could. */
export const SAFETY_KINDS: ReadonlySet<TransitionKind> = new Set([
  'migration.rolling_back',
  'migration.rollback_stage',
  'migration.rolled_back',
  'migration.aborted',
]);

/** Why a migration moved to another step. */
export type StepWhy = EventInputOf<'migration.step'>['data']['why'];

/** Nothing happens: the state stays, nothing is done. */
export function nothing(s: MigrationState): Decision {
  return { next: s, effects: [] };
}

/** `first`, then what `then` decides on the state after it. */
export function andThen(first: Decision, then: (s: MigrationState) => Decision): Decision {
  const second = then(first.next);
  return { next: second.next, effects: [...first.effects, ...second.effects] };
}

/** A transition to `next`, numbered after `s` (`migration.started` is transition 0). */
export function transition<K extends TransitionKind>(
  s: MigrationState,
  next: MigrationState,
  event: K,
  data: TransitionData<K>,
  actor: string,
  now: number,
  after: Effect[] = [],
): Decision {
  const state: MigrationState = { ...next, seq: s.seq + (event === 'migration.started' ? 0 : 1), updatedAt: now };
  // The mapped union cannot be narrowed from a generic K; the fields are the ones it requires.
  const effect = { kind: 'transition', event, state, data, actor } as Effect;
  return { next: state, effects: [effect, ...after] };
}

/** A new migration's first transition (`migration.started`, number 0): running, with nothing on the target yet. */
export function begin(m: {
  id: string;
  plan: MigrationState['plan'];
  actor: string;
  now: number;
  gate: GateResult;
  override: MigrationState['override'];
  headroomOverride: NonNullable<MigrationState['headroomOverride']> | null;
}): Decision {
  const state: MigrationState = {
    id: m.id,
    plan: m.plan,
    phase: 'running',
    stepIndex: -1,
    targetPercent: 0,
    stepStartedAt: m.now,
    createdAt: m.now,
    updatedAt: m.now,
    actor: m.actor,
    override: m.override,
    headroomOverride: m.headroomOverride,
    paused: null,
    hold: null,
    rollback: null,
    seq: 0,
    endedAt: null,
  };
  const data = { plan: m.plan, gate: m.gate, override: m.override, headroomOverride: m.headroomOverride };
  return transition(state, state, 'migration.started', data, m.actor, m.now);
}

/** Tries the next step: gate first; holds (once, journaling the refusal) when it does not pass. */
export function advance(s: MigrationState, m: Measured, actor: string, now: number): Decision {
  const next = s.stepIndex + 1;
  const gate = m.gates[next] as GateResult;
  const seen: Decision = { next: s, effects: [{ kind: 'gate_seen', gate }] };
  if (!gate.passed && s.override === null) {
    if (s.hold?.reason === 'gate') return seen;
    const refused: Decision = { next: s, effects: [...seen.effects, { kind: 'gate_refused', gate, actor: ACTOR, migration: s.id }] };
    return andThen(refused, (r) => hold(r, { reason: 'gate', since: now, detail: `step ${next + 1}: ${refusalText(gate)}` }, now));
  }
  return andThen(seen, (r) => step(r, next, 'advance', { gate, overridden: !gate.passed }, actor, now));
}

/** Moves to step `index` (-1: no traffic on the target); the data plane is told after the journal. */
export function step(
  s: MigrationState,
  index: number,
  why: StepWhy,
  data: { gate: GateResult; overridden?: boolean },
  actor: string,
  now: number,
): Decision {
  const targetPercent = index < 0 ? 0 : (s.plan.steps[index] as number);
  const ended: Decision = { next: s, effects: [{ kind: 'step_ended', stepIndex: s.stepIndex }] };
  return andThen(ended, (r) =>
    transition(
      r,
      { ...r, stepIndex: index, targetPercent, stepStartedAt: now, hold: null },
      'migration.step',
      { why, fromPercent: r.targetPercent, toPercent: targetPercent, ...data },
      actor,
      now,
      [
        { kind: 'fresh_evidence', scope: 'step' },
        { kind: 'set_split', reason: `migration ${r.id}: ${why} to ${targetPercent}% on ${r.plan.to}` },
      ],
    ),
  );
}

export function complete(s: MigrationState, actor: string, now: number): Decision {
  const ended: Decision = { next: s, effects: [{ kind: 'step_ended', stepIndex: s.stepIndex }] };
  return andThen(ended, (r) =>
    transition(
      r,
      { ...r, phase: 'completed', targetPercent: 100, hold: null, endedAt: now },
      'migration.completed',
      { durationMs: now - r.createdAt },
      actor,
      now,
      [{ kind: 'set_split', reason: `migration ${r.id}: completed, all traffic on ${r.plan.to}` }, { kind: 'retire' }],
    ),
  );
}

export function hold(s: MigrationState, h: Hold, now: number): Decision {
  return transition(s, { ...s, hold: h }, 'migration.held', { reason: h.reason, detail: h.detail }, ACTOR, now);
}

/** Starts a rollback: at once, or staged down the plan when the source cannot absorb the whole route. */
export function rollback(
  s: MigrationState,
  r: Pick<RollbackInfo, 'reason' | 'hard' | 'firstFailureAt' | 'actor' | 'endPhase'>,
  source: Measured['source'],
  now: number,
): Decision {
  const absorbs = sourceCanAbsorb(source.currentRps, 1, source.capacity);
  // A broken target is worse than a strained source (the balancer sheds, it does not collapse),
  // so hard failures always go back at once; otherwise step back through the plan (Argo #3888).
  const stages = r.hard || absorbs ? [0] : [...s.plan.steps.filter((p) => p < s.targetPercent).reverse(), 0];
  const first = stages[0] as number;
  const info: RollbackInfo = { ...r, startedAt: now, stages: stages.slice(1), stageStartedAt: now };
  const started = transition(
    s,
    { ...s, phase: 'rolling_back', targetPercent: first, hold: null, paused: null, rollback: info },
    'migration.rolling_back',
    {
      reason: r.reason,
      hard: r.hard,
      firstFailureAt: r.firstFailureAt,
      staged: stages.length > 1,
      stages,
      currentRps: source.currentRps,
      sourceCapacity: source.capacity,
    },
    r.actor,
    now,
    // Traffic is on its way back: now the minute that led here goes into the journal.
    [
      { kind: 'set_split', reason: `migration ${s.id}: rolling back (${r.reason})` },
      { kind: 'before_rollback', at: now },
    ],
  );
  return stages.length === 1 ? andThen(started, (n) => finishRollback(n, now)) : started;
}

/** Ends a rollback (the route is back on the source) as `rolled_back` or `aborted`. */
export function finishRollback(s: MigrationState, now: number): Decision {
  const rb = s.rollback;
  if (rb === null) return nothing(s);
  const event = rb.endPhase === 'aborted' ? 'migration.aborted' : 'migration.rolled_back';
  return transition(
    s,
    { ...s, phase: rb.endPhase, targetPercent: 0, endedAt: now },
    event,
    { reason: rb.reason, hard: rb.hard, firstFailureAt: rb.firstFailureAt, startedAt: rb.startedAt, completedAt: now },
    rb.actor,
    now,
    [{ kind: 'set_split', reason: `migration ${s.id}: ${rb.endPhase === 'aborted' ? 'aborted' : 'rolled back'}` }, { kind: 'retire' }],
  );
}

/**
 * Rolls back on a failure the judge or the fast path saw. During a staged rollback only a hard
 * failure gets here, and then everything goes back at once.
 */
export function rollbackOnFailure(
  s: MigrationState,
  reason: string,
  hard: boolean,
  firstFailureAt: number,
  source: Measured['source'],
  now: number,
): Decision {
  if (s.phase !== 'rolling_back') return rollback(s, { reason, hard, firstFailureAt, actor: ACTOR, endPhase: 'rolled_back' }, source, now);
  // Already stepping back gently, but the target now fails hard: everything goes back now.
  const cut: MigrationState = { ...s, targetPercent: 0, rollback: s.rollback === null ? null : { ...s.rollback, stages: [] } };
  const staged = transition(s, cut, 'migration.rollback_stage', { toPercent: 0, reason }, ACTOR, now, [
    { kind: 'set_split', reason: `migration ${s.id}: hard failure during staged rollback` },
    { kind: 'before_rollback', at: now },
  ]);
  return andThen(staged, (n) => finishRollback(n, now));
}

/** The dead-man guard put the route back on the source: hold there, never fight the revert. */
export function pauseAfterRevert(s: MigrationState, why: string, now: number): Decision {
  return transition(
    s,
    {
      ...s,
      phase: 'paused',
      stepIndex: -1,
      targetPercent: 0,
      paused: { reason: 'dead-man guard reverted the route', actor: ACTOR, at: now },
    },
    'migration.paused',
    { reason: why },
    ACTOR,
    now,
  );
}
