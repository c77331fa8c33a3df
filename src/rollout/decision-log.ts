import type { InProgressCounts } from '../data-plane/index.ts';
import type { Logger } from '../core/index.ts';
import type { Journal } from '../journal/index.ts';
import type { GateResult } from './capacity-gate.ts';
import type { JudgeDecision, Verdict } from './judge.ts';

/** What the controller did on a decision. */
export type DecisionAction = 'none' | 'rollback' | 'hold' | 'backoff';

/**
 * Why a decision is in the journal. Writing every window would bury the few that matter (a
 * six-step migration judges hundreds), so the controller writes: every decision that acted
 * (`acted`: a rollback, hold or backoff), every change of verdict (`verdict_changed`, which
 * includes the first decision after a start or a restart) or of the gate's re-check
 * (`gate_changed`), the last decision of each step when it ends (`step_end`: what the step
 * passed on), and when a rollback starts, every decision of the minute before it
 * (`before_rollback`), kept in memory until then.
 */
export type DecisionRecorded = 'acted' | 'verdict_changed' | 'gate_changed' | 'step_end' | 'before_rollback';

/** The fast path's look at the open window: no closed window was judged. */
export interface FastPathCheck {
  windowStart: number;
  checkedAt: number;
  pool: string;
  counts: InProgressCounts;
  rules: string[];
  thresholds: { maxErrorRatio: number; hardMinFailures: number };
}

/** One decision with every figure behind it. */
export interface DecisionRecord {
  /** When it was decided (the journal event's time, also when written later). */
  time: number;
  /** Start of the window it judged (for the fast path, of the open window it read). */
  windowStart: number;
  verdict: Verdict;
  action: DecisionAction;
  stepIndex: number;
  targetPercent: number;
  /** The judge's window, with both sides' counts, the sequential tests and thresholds; null on the fast path. */
  judge: JudgeDecision | null;
  /** The open-window counts the fast path acted on; null for a judged window. */
  fastPath: FastPathCheck | null;
  /** The gate's re-check in this window, when one ran (running or paused with traffic on the target). */
  gate: GateResult | null;
}

/** A decision as the migration's evidence shows it. */
export interface DecisionView extends DecisionRecord {
  /** Why it was journaled; null when only the controller's memory holds it, or in a journal written before decisions were bounded. */
  recorded: DecisionRecorded | null;
  journaled: boolean;
}

/** How far back the decisions written when a rollback starts reach. */
export const BEFORE_ROLLBACK_MS = 60_000;

interface Entry {
  record: DecisionRecord;
  journaled: boolean;
}

/**
 * One migration's decisions: writes to the journal those that matter (see {@link DecisionRecorded})
 * and keeps the last minute in memory for the rollback. A failed write is logged and never delays
 * the decision: the evidence must not stand between a failure and the rollback.
 */
export class DecisionLog {
  readonly #journal: Pick<Journal, 'append'>;
  readonly #migration: { id: string; route: string };
  readonly #log: Logger;
  #recent: Entry[] = [];
  #lastVerdict: Verdict | null = null;
  #lastGatePassed: boolean | null = null;

  constructor(journal: Pick<Journal, 'append'>, migration: { id: string; route: string }, log: Logger) {
    this.#journal = journal;
    this.#migration = migration;
    this.#log = log;
  }

  /** Adds a decision, journaling it at once when it acted or changed something. */
  add(record: DecisionRecord): void {
    const gateChanged = record.gate !== null && this.#lastGatePassed !== null && record.gate.passed !== this.#lastGatePassed;
    const why: DecisionRecorded | null =
      record.action !== 'none' ? 'acted' : record.verdict !== this.#lastVerdict ? 'verdict_changed' : gateChanged ? 'gate_changed' : null;
    this.#lastVerdict = record.verdict;
    if (record.gate !== null) this.#lastGatePassed = record.gate.passed;
    const entry: Entry = { record, journaled: false };
    this.#recent.push(entry);
    this.#prune(record.time);
    if (why !== null) this.#write(entry, why);
  }

  /** The newest decision, or null before the first. */
  latest(): DecisionRecord | null {
    return this.#recent.at(-1)?.record ?? null;
  }

  /** The newest judged window (the fast path's looks are not windows). */
  latestJudged(): JudgeDecision | null {
    for (let i = this.#recent.length - 1; i >= 0; i--) {
      const judge = this.#recent[i]?.record.judge;
      if (judge) return judge;
    }
    return null;
  }

  /** Journals the last decision of step `stepIndex` (what it ended on), unless already written. */
  stepEnded(stepIndex: number): void {
    const last = this.#recent.at(-1);
    if (last !== undefined && !last.journaled && last.record.stepIndex === stepIndex) this.#write(last, 'step_end');
  }

  /** Journals every decision of the last minute not yet written: the run-up to a rollback starting at `now`. */
  beforeRollback(now: number): void {
    for (const entry of this.#recent) {
      if (!entry.journaled && entry.record.time >= now - BEFORE_ROLLBACK_MS) this.#write(entry, 'before_rollback');
    }
  }

  /** Decisions held in memory that the journal does not have (newer than its last write, or between changes). */
  unjournaled(): DecisionView[] {
    return this.#recent.filter((e) => !e.journaled).map((e) => ({ ...e.record, recorded: null, journaled: false }));
  }

  #prune(now: number): void {
    // The newest stays whatever its age: it is the live verdict.
    while (this.#recent.length > 1 && (this.#recent[0] as Entry).record.time < now - BEFORE_ROLLBACK_MS) this.#recent.shift();
  }

  #write(entry: Entry, recorded: DecisionRecorded): void {
    const r = entry.record;
    try {
      this.#journal.append({
        kind: 'migration.decision',
        source: 'rollout',
        subject: this.#migration.route,
        actor: 'rollout',
        time: r.time,
        data: {
          migration: this.#migration.id,
          route: this.#migration.route,
          stepIndex: r.stepIndex,
          targetPercent: r.targetPercent,
          windowStart: r.windowStart,
          verdict: r.verdict,
          action: r.action,
          recorded,
          judge: r.judge,
          gate: r.gate,
          ...(r.fastPath === null ? {} : { fastPath: r.fastPath }),
        },
      });
      entry.journaled = true;
    } catch (err) {
      this.#log.error({ err, migration: this.#migration.id, recorded }, 'journaling a decision failed');
    }
  }
}
