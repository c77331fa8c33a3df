import { type Journal, type JournalEvent, type SummarizedEvent, withSummary } from '../journal/index.ts';
import type { GateResult } from './capacity-gate.ts';
import type { DecisionAction, DecisionRecorded, DecisionView, FastPathCheck } from './decision-log.ts';
import type { JudgeDecision, Verdict } from './judge.ts';
import type { MigrationState } from './migration-state.ts';

/** Why the gate was evaluated. */
export type GateOccasion = 'start' | 'override' | 'refusal' | 'step' | 'recheck';

/** One evaluation of the capacity gate, as journaled. */
export interface GateEvaluation {
  time: number;
  occasion: GateOccasion;
  /** The journal event holding it. */
  eventId: number;
  gate: GateResult;
}

/** What the journal holds about one migration: the evidence behind its decisions, and its transitions. */
export interface MigrationEvidence {
  /** Gate evaluations in time order, oldest first (the newest {@link EVIDENCE_SHOWN}). */
  gates: GateEvaluation[];
  /** Journaled decisions, oldest first (the newest {@link EVIDENCE_SHOWN}). */
  decisions: DecisionView[];
  /** Every other `migration.*` event of the migration, oldest first, each with its one-line summary. */
  events: SummarizedEvent[];
}

/** Most gate evaluations and decisions an answer carries (journals written before decisions were bounded hold one a second). */
export const EVIDENCE_SHOWN = 200;

const GATE_OCCASIONS: Record<string, GateOccasion> = {
  'migration.started': 'start',
  'migration.gate_overridden': 'override',
  'migration.gate_refused': 'refusal',
  'migration.step': 'step',
  'migration.decision': 'recheck',
};
const PAGE = 10_000;
/** The last event's time comes from the journal's clock, a moment after the controller's `endedAt`. */
const END_MARGIN_MS = 60_000;

/**
 * Reads a migration's evidence from the journal alone, so it is the same after the migration
 * ended, after a restart, and in another process reading the same journal.
 */
export function readEvidence(journal: Pick<Journal, 'query'>, state: MigrationState): MigrationEvidence {
  const gates: GateEvaluation[] = [];
  const decisions: DecisionView[] = [];
  const events: SummarizedEvent[] = [];
  for (const e of migrationEvents(journal, state)) {
    const gate = e.data.gate as GateResult | null | undefined;
    const occasion = GATE_OCCASIONS[e.kind];
    if (gate && occasion !== undefined) gates.push({ time: e.time, occasion, eventId: e.id, gate });
    if (e.kind === 'migration.decision') decisions.push(decisionOf(e));
    else events.push(withSummary(e));
  }
  // Decisions written when a rollback starts carry the time they were made, so they and the gate
  // re-checks they hold come after later steps in the journal: order both by that time.
  decisions.sort((a, b) => a.time - b.time);
  gates.sort((a, b) => a.time - b.time || a.eventId - b.eventId);
  return { gates: gates.slice(-EVIDENCE_SHOWN), decisions: decisions.slice(-EVIDENCE_SHOWN), events };
}

/** Every `migration.*` event of one migration, oldest first. */
function migrationEvents(journal: Pick<Journal, 'query'>, state: MigrationState): JournalEvent[] {
  const out: JournalEvent[] = [];
  let afterId: number | undefined;
  for (;;) {
    const page = journal.query({
      kinds: ['migration.*'],
      subject: state.plan.route,
      since: state.createdAt,
      ...(state.endedAt === null ? {} : { until: state.endedAt + END_MARGIN_MS }),
      ...(afterId === undefined ? {} : { afterId }),
      limit: PAGE,
    });
    for (const e of page) if (String(e.data.migration) === state.id) out.push(e);
    if (page.length < PAGE) return out;
    afterId = page.at(-1)?.id;
  }
}

/** A `migration.decision` event as a decision; journals from before decisions were bounded lack the flat fields. */
function decisionOf(e: JournalEvent): DecisionView {
  const d = e.data;
  const judge = (d.judge ?? null) as JudgeDecision | null;
  const fastPath = (d.fastPath ?? null) as FastPathCheck | null;
  return {
    time: e.time,
    windowStart: typeof d.windowStart === 'number' ? d.windowStart : (judge?.windowStart ?? fastPath?.windowStart ?? e.time),
    verdict: (d.verdict ?? judge?.verdict ?? 'rollback') as Verdict,
    action: (d.action ?? 'none') as DecisionAction,
    stepIndex: Number(d.stepIndex),
    targetPercent: Number(d.targetPercent),
    judge,
    fastPath,
    gate: (d.gate ?? null) as GateResult | null,
    recorded: (d.recorded ?? null) as DecisionRecorded | null,
    journaled: true,
  };
}
