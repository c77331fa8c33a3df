import type { InProgressCounts, RouteState } from '../data-plane/index.ts';
import type { EventInputOf } from '../journal/index.ts';
import type { CapacityCertificate } from './capacity-certificate.ts';
import type { GateResult } from './capacity-gate.ts';
import type { DecisionRecord } from './decision-log.ts';
import type { JudgeDecision, Verdict } from './judge.ts';
import type { MigrationState } from './migration-state.ts';

/**
 * What the controller measured for an input, at the input's time. The decision reads figures,
 * never the journal or the data plane: the driver gathers them (each on first read) before it asks.
 */
export interface Measured {
  /** The capacity gate's verdict for each step of the plan (index = step index, share = its percent). */
  gates: readonly GateResult[];
  /** The route's current rate and the source pool's counting capacity result, for a rollback's staging. */
  source: { currentRps: number; capacity: CapacityCertificate | null };
}

/** An operator's request (the API's actions on a migration). */
export type Command =
  | { kind: 'pause'; actor: string; reason: string }
  | { kind: 'resume'; actor: string; reason: string }
  | { kind: 'promote'; actor: string; all: boolean }
  | { kind: 'abort'; actor: string; reason: string };

/**
 * One input to a migration's state machine; `now` is the input's time (the decision reads no clock).
 * The columns of the table in docs/rollout.md: a new migration's first step, a closed window, the
 * 1 s tick, the 250 ms look at the open window, an operator's command, and the data plane losing
 * the recorded split on its own (its dead-man guard reverted it, or it restarted on its config's split).
 */
export type MigrationInput =
  | { kind: 'start'; now: number; actor: string; measured: Measured }
  | {
      kind: 'window_closed';
      now: number;
      windowStart: number;
      /** What the window lacked (its own gaps, or seconds with no window before it), or null. */
      incomplete: string | null;
      /** The step's judge on this window. */
      judge: JudgeDecision;
      /** First failing target response in the current run of failing windows (this one included). */
      failureSince: number | null;
      measured: Measured;
    }
  | {
      kind: 'tick';
      now: number;
      /** When the last window arrived, and where the newest one ended (null before any). */
      lastWindowAt: number;
      lastWindowEnd: number | null;
      /** End of the last window this step that lacked data: the step's time counts from there. */
      incompleteUntil: number;
      /** The verdict of the newest decision this step (null before any), and the target's requests so far. */
      latestVerdict: Verdict | null;
      targetRequests: number;
      measured: Measured;
    }
  | {
      kind: 'open_window';
      now: number;
      windowStart: number;
      counts: InProgressCounts;
      failureSince: number | null;
      measured: Measured;
    }
  | { kind: 'command'; now: number; command: Command; measured: Measured }
  | { kind: 'split_reverted'; now: number; revertedAt: number; whileAway: boolean }
  | { kind: 'split_reset'; now: number; route: RouteState };

/** The column of the table an input falls in (a command by its own kind). */
export type InputColumn = Exclude<MigrationInput['kind'], 'command'> | Command['kind'];

/** The transitions of a migration's state machine, each journaled with the state row. */
export type TransitionKind =
  | 'migration.started'
  | 'migration.step'
  | 'migration.held'
  | 'migration.paused'
  | 'migration.resumed'
  | 'migration.rolling_back'
  | 'migration.rollback_stage'
  | 'migration.rolled_back'
  | 'migration.aborted'
  | 'migration.completed';

/** What a transition records besides the state after it (docs/journal.md, "Event catalogue"). */
export type TransitionData<K extends TransitionKind> = Omit<
  EventInputOf<K>['data'],
  'migration' | 'route' | 'from' | 'to' | 'seq' | 'phase' | 'stepIndex' | 'targetPercent'
>;

/** A transition to journal: the event and the state row after it, written in one transaction. */
export type Transition = {
  [K in TransitionKind]: { kind: 'transition'; event: K; state: MigrationState; data: TransitionData<K>; actor: string };
}[TransitionKind];

/**
 * What the driver does for a decision, in order. A `set_split` always comes after the transition
 * that decided it: the journal holds a step before the data plane takes it.
 */
export type Effect =
  | Transition
  /** Tell the data plane the split of the state last journaled. */
  | { kind: 'set_split'; reason: string }
  /** Journal the gate's refusal (an event without a transition). */
  | { kind: 'gate_refused'; gate: GateResult; actor: string; migration: string | null }
  /** The gate evaluation the migration's view shows as its latest. */
  | { kind: 'gate_seen'; gate: GateResult }
  /** Keep a decision on a window (closed or open) with every figure behind it. */
  | { kind: 'record'; record: DecisionRecord }
  /** The step at `stepIndex` ends: its last decision goes to the journal. */
  | { kind: 'step_ended'; stepIndex: number }
  /** Judge afresh: `step` also forgets the failing run and the windows that lacked data (a new step); `judge` only the judge's sums (a resume). */
  | { kind: 'fresh_evidence'; scope: 'step' | 'judge' }
  /** A rollback started at `at`: the minute of decisions before it goes to the journal. */
  | { kind: 'before_rollback'; at: number }
  /** Journal `migration.recovered`: the data plane restarted on its config's split, which is re-applied. */
  | { kind: 'recovered'; route: RouteState }
  /** The migration ended: stop driving it. */
  | { kind: 'retire' }
  /** The command is refused; nothing before it changed the state. */
  | { kind: 'refuse'; refusal: Refusal };

/** Why a command was refused. */
export type Refusal = { reason: 'invalid_transition'; allowed: readonly MigrationState['phase'][] } | { reason: 'gate'; gate: GateResult };

/** A decision: the state after every transition in `effects`, and what to do, in order. */
export interface Decision {
  next: MigrationState;
  effects: Effect[];
}
