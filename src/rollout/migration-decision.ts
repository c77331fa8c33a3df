import type { InProgressCounts } from '../data-plane/index.ts';
import type { MigrationConfig } from '../config/index.ts';
import { type GateResult, lastSafeStep, refusalText } from './capacity-gate.ts';
import type { DecisionAction } from './decision-log.ts';
import type { Command, Decision, Measured, MigrationInput, Refusal } from './migration-input.ts';
import { ACTIVE_PHASES, type MigrationPhase, type MigrationState } from './migration-state.ts';
import {
  ACTOR,
  advance,
  andThen,
  complete,
  finishRollback,
  hold,
  nothing,
  pauseAfterRevert,
  rollback,
  rollbackOnFailure,
  step,
  transition,
} from './migration-transitions.ts';

/** The settings a decision reads (piper.yaml's `migration`). */
export type DecisionRules = Pick<MigrationConfig, 'rollbackStageDuration'> & {
  judge: Pick<MigrationConfig['judge'], 'maxErrorRatio' | 'hardMinFailures' | 'minRequests'>;
};

/** No window for this long means at least one whole window never came: hold (windows close every second). */
const STALE_TELEMETRY_MS = 2000;
/** The step's last windows arrive just after its time is up: how long to wait for them before a hold. */
const DATA_GRACE_MS = 2000;

/**
 * The migration state machine: what `input` does to a migration in state `s`, as the next state
 * and the effects to run in order. Pure: no journal, no data plane, no clock (time is `input.now`),
 * so every phase × input of the table in docs/rollout.md is a unit test.
 */
export function decide(s: MigrationState, input: MigrationInput, rules: DecisionRules): Decision {
  if (input.kind === 'command') return command(s, input.command, input.measured, input.now);
  // Ended migrations take no input: nothing drives them any more.
  if (!ACTIVE_PHASES.includes(s.phase)) return nothing(s);
  switch (input.kind) {
    case 'start':
      return s.phase === 'running' && s.stepIndex === -1 ? advance(s, input.measured, input.actor, input.now) : nothing(s);
    case 'window_closed':
      return windowClosed(s, input);
    case 'tick':
      return tick(s, input, rules);
    case 'open_window':
      return openWindow(s, input, rules);
    case 'split_reverted': {
      const at = `the data plane's dead-man guard reverted the route to the source at ${new Date(input.revertedAt).toISOString()}`;
      return pauseAfterRevert(s, `${at} ${input.whileAway ? 'while the controller was away' : '(controller silent too long)'}`, input.now);
    }
    case 'split_reset':
      return {
        next: s,
        effects: [
          { kind: 'recovered', route: input.route },
          {
            kind: 'set_split',
            reason: `migration ${s.id}: the data plane restarted on its configured split, re-applying the recorded split`,
          },
        ],
      };
  }
}

/** The phases each command needs. */
export const COMMAND_PHASES: Readonly<Record<Command['kind'], readonly MigrationPhase[]>> = {
  pause: ['running'],
  resume: ['paused'],
  promote: ['running', 'paused'],
  abort: ['running', 'paused'],
};

function refuse(s: MigrationState, refusal: Refusal, before: Decision = nothing(s)): Decision {
  return { next: before.next, effects: [...before.effects, { kind: 'refuse', refusal }] };
}

function allowed(s: MigrationState, command: Command['kind']): Refusal | null {
  const phases = COMMAND_PHASES[command];
  return phases.includes(s.phase) ? null : { reason: 'invalid_transition', allowed: phases };
}

function command(s: MigrationState, c: Command, m: Measured, now: number): Decision {
  switch (c.kind) {
    case 'pause': {
      const no = allowed(s, c.kind);
      if (no !== null) return refuse(s, no);
      return transition(
        s,
        { ...s, phase: 'paused', paused: { reason: c.reason, actor: c.actor, at: now } },
        'migration.paused',
        { reason: c.reason },
        c.actor,
        now,
      );
    }
    case 'resume': {
      const no = allowed(s, c.kind);
      if (no !== null) return refuse(s, no);
      // A resumed step gathers its evidence afresh: the pause may have been for a reason.
      return transition(
        s,
        { ...s, phase: 'running', paused: null, stepStartedAt: now },
        'migration.resumed',
        { reason: c.reason },
        c.actor,
        now,
        [{ kind: 'fresh_evidence', scope: 'judge' }],
      );
    }
    case 'promote': {
      const no = allowed(s, c.kind);
      if (no !== null) return refuse(s, no);
      const last = s.plan.steps.length - 1;
      if (s.stepIndex === last) return complete(s, c.actor, now);
      const next = c.all ? last : Math.min(s.stepIndex + 1, last);
      const gate = m.gates[next] as GateResult;
      if (!gate.passed && s.override === null) {
        return refuse(s, { reason: 'gate', gate }, { next: s, effects: [{ kind: 'gate_refused', gate, actor: c.actor, migration: s.id }] });
      }
      const stepped = step(s, next, c.all ? 'promote_all' : 'promote', { gate }, c.actor, now);
      return c.all ? andThen(stepped, (n) => complete(n, c.actor, now)) : stepped;
    }
    case 'abort': {
      const no = allowed(s, c.kind);
      if (no !== null) return refuse(s, no);
      return rollback(
        s,
        { reason: `aborted by ${c.actor}: ${c.reason}`, hard: false, firstFailureAt: null, actor: c.actor, endPhase: 'aborted' },
        m.source,
        now,
      );
    }
  }
}

function windowClosed(s: MigrationState, w: Extract<MigrationInput, { kind: 'window_closed' }>): Decision {
  const d = w.judge;
  let action: DecisionAction = 'none';
  let gate: GateResult | null = null;
  const holdReason = d.reasons.includes('incomplete_data') ? 'incomplete_telemetry' : 'no_target_data';
  if (d.verdict === 'rollback' && (s.phase !== 'rolling_back' || (d.hard && s.targetPercent > 0))) {
    action = 'rollback';
  } else if (d.verdict === 'hold' && s.phase === 'running' && s.hold?.reason !== holdReason) {
    action = 'hold';
  } else if ((s.phase === 'running' || s.phase === 'paused') && s.targetPercent > 0) {
    // Running or paused with traffic on the target, the target percent is the current step's.
    gate = w.measured.gates[s.stepIndex] as GateResult;
    if (!gate.passed && s.override === null) action = 'backoff';
  }
  const seen: Decision = {
    next: s,
    effects: [
      ...(gate === null ? [] : [{ kind: 'gate_seen' as const, gate }]),
      {
        kind: 'record',
        record: {
          time: w.now,
          windowStart: w.windowStart,
          verdict: d.verdict,
          action,
          stepIndex: s.stepIndex,
          targetPercent: s.targetPercent,
          judge: d,
          fastPath: null,
          gate,
        },
      },
    ],
  };
  if (action === 'rollback') {
    return andThen(seen, (r) =>
      rollbackOnFailure(r, `judge: ${d.reasons.join(', ')}`, d.hard, w.failureSince ?? w.windowStart, w.measured.source, w.now),
    );
  }
  if (action === 'hold') {
    const detail =
      holdReason === 'incomplete_telemetry'
        ? `window ${new Date(w.windowStart).toISOString()} lacks data (${w.incomplete}): the step waits for ${formatSeconds(s.plan.stepDurationMs)} of complete windows`
        : `no target requests in ${d.consecutiveNoData} windows with route traffic`;
    return andThen(seen, (r) => hold(r, { reason: holdReason, since: w.now, detail }, w.now));
  }
  if (action === 'backoff' && gate !== null) {
    const refused = gate;
    const byShare = new Map(s.plan.steps.map((p, i) => [p / 100, w.measured.gates[i] as GateResult]));
    const safe = lastSafeStep(s.plan.steps, s.stepIndex - 1, (share) => byShare.get(share) as GateResult);
    const backed = andThen(seen, (r) => step(r, safe, 'backoff', { gate: refused }, ACTOR, w.now));
    return andThen(backed, (r) => hold(r, { reason: 'gate', since: w.now, detail: `backed off: ${refusalText(refused)}` }, w.now));
  }
  return seen;
}

function tick(s: MigrationState, t: Extract<MigrationInput, { kind: 'tick' }>, rules: DecisionRules): Decision {
  const now = t.now;
  if (s.phase === 'rolling_back') {
    const rb = s.rollback;
    if (rb === null || now - rb.stageStartedAt < rules.rollbackStageDuration) return nothing(s);
    const [next, ...rest] = rb.stages;
    if (next === undefined) return finishRollback(s, now);
    const staged = transition(
      s,
      { ...s, targetPercent: next, rollback: { ...rb, stages: rest, stageStartedAt: now } },
      'migration.rollback_stage',
      { toPercent: next },
      ACTOR,
      now,
      [{ kind: 'set_split', reason: `migration ${s.id}: staged rollback to ${next}% on ${s.plan.to}` }],
    );
    return rest.length === 0 ? andThen(staged, (n) => finishRollback(n, now)) : staged;
  }
  if (s.phase !== 'running') return nothing(s);
  if (s.stepIndex === -1) return advance(s, t.measured, ACTOR, now);
  if (now - t.lastWindowAt > STALE_TELEMETRY_MS) {
    if (s.hold?.reason === 'no_telemetry') return nothing(s);
    return hold(
      s,
      { reason: 'no_telemetry', since: now, detail: `no telemetry window for ${Math.round((now - t.lastWindowAt) / 1000)} s` },
      now,
    );
  }
  // A step is judged on complete windows: one that lacked data restarts the step's time after it.
  if (now - Math.max(s.stepStartedAt, t.incompleteUntil) < s.plan.stepDurationMs) return nothing(s);
  // Nor does it pass while the window of the last whole second has not come (one may be in flight).
  if ((t.lastWindowEnd ?? 0) < Math.floor(now / 1000) * 1000 - 1000) return nothing(s);
  // The latest window saw the route busy and the target idle, or lacked data: never advance on missing data.
  if (t.latestVerdict === 'hold') return nothing(s);
  if (t.targetRequests < rules.judge.minRequests) {
    if (s.hold?.reason === 'no_target_data' || now - s.stepStartedAt < s.plan.stepDurationMs + DATA_GRACE_MS) return nothing(s);
    const detail = `${t.targetRequests} target requests this step; ${rules.judge.minRequests} needed to advance`;
    return hold(s, { reason: 'no_target_data', since: now, detail }, now);
  }
  if (s.stepIndex === s.plan.steps.length - 1) return complete(s, ACTOR, now);
  return advance(s, t.measured, ACTOR, now);
}

function openWindow(s: MigrationState, o: Extract<MigrationInput, { kind: 'open_window' }>, rules: DecisionRules): Decision {
  // Running or paused with traffic on the target, or a staged rollback still sending some there.
  if (s.targetPercent <= 0) return nothing(s);
  const c = o.counts;
  const hardRules = hardRulesOf(c, rules);
  if (hardRules.length === 0) return nothing(s);
  const spilled = c.spilled ?? 0;
  const failed = c.failed + spilled;
  const requests = c.requests + spilled;
  const pct = Math.round((failed / requests) * 1000) / 10;
  const refused = spilled === 0 ? '' : `, ${spilled} of them refused by its admission and answered by the source`;
  const reason =
    `fast path: ${hardRules.join(', ')} in the open window ` +
    `(${failed} of ${requests} target requests failed${refused}, ${pct}%; ${c.connectFailures} connection failures)`;
  const j = rules.judge;
  // Recorded like a judged window, with its inputs; `judge` is null (no closed window was judged).
  const recorded: Decision = {
    next: s,
    effects: [
      {
        kind: 'record',
        record: {
          time: o.now,
          windowStart: o.windowStart,
          verdict: 'rollback',
          action: 'rollback',
          stepIndex: s.stepIndex,
          targetPercent: s.targetPercent,
          judge: null,
          fastPath: {
            windowStart: o.windowStart,
            checkedAt: o.now,
            pool: s.plan.to,
            counts: c,
            rules: hardRules,
            thresholds: { maxErrorRatio: j.maxErrorRatio, hardMinFailures: j.hardMinFailures },
          },
          gate: null,
        },
      },
    ],
  };
  const firstFailureAt = o.failureSince ?? c.firstFailureAt ?? o.windowStart;
  return andThen(recorded, (r) => rollbackOnFailure(r, reason, true, Math.min(firstFailureAt, o.now), o.measured.source, o.now));
}

/**
 * The judge's hard guards on open-window counts; the failure count floor applies to both (one
 * failure is not a trend). Empty when none fires.
 */
export function hardRulesOf(c: InProgressCounts, rules: DecisionRules): string[] {
  const j = rules.judge;
  const fired: string[] = [];
  // Refused by the target's admission and answered by the source: a failure of the target, as the judge counts it.
  const spilled = c.spilled ?? 0;
  const failed = c.failed + spilled;
  const requests = c.requests + spilled;
  if (c.connectFailures >= j.hardMinFailures) fired.push('connection_failures');
  if (requests > 0 && failed >= j.hardMinFailures && failed / requests >= j.maxErrorRatio) fired.push('error_ratio');
  return fired;
}

/** A duration in seconds for messages (`2 s`, `1.5 s`). */
function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
