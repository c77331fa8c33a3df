// The postmortem's timeline, curated from the journal so a reader sees the story rather than the
// record: strict time order, the judge's per-window decisions collapsed into runs, and noise that
// does not bear on the incident left out (the rules are in docs/journal.md, "Postmortem").
import { summarizeEvent } from './event-summary.ts';
import type { JournalEvent } from './journal-event.ts';

/** What the timeline is about: the incident's start and the routes and pools it touched. */
export interface TimelineScope {
  startedAt: number;
  routes: readonly string[];
  pools: readonly string[];
}

/** One row: one event, or a run of the judge's decisions. */
export interface TimelineRow {
  time: number;
  text: string;
  /** The journal events behind the row, for `piper events`. */
  eventIds: number[];
}

/** How many events each rule left out. */
export interface TimelineOmissions {
  /** Backends' first health verdicts before the start: the balancer learning its backends as it started. */
  startup: number;
  /** Events before the start about routes and pools the incident did not touch. */
  unrelated: number;
  /** Split changes that set the split the route already had. */
  unchanged: number;
}

/** The rows in time order and what was left out. */
export interface CuratedTimeline {
  rows: TimelineRow[];
  /** The events kept, in time order (decisions included): what the rows were made from. */
  kept: JournalEvent[];
  omitted: TimelineOmissions;
}

// Changes that may bear on any route (a config reload, a deploy, an operator's note) are kept
// whatever they name.
const GLOBAL_KINDS = /^(config|deploy|operator|journal)\./;

/**
 * Curates an incident's events into timeline rows. `clock` formats a row's time for the text of
 * collapsed runs (`judge: pass ×58 from 05:50:55 to 05:51:24`).
 */
export function curateTimeline(events: readonly JournalEvent[], scope: TimelineScope, clock: (ms: number) => string): CuratedTimeline {
  // Ids increase with append order, so they break ties between events of the same millisecond.
  const sorted = [...events].sort((a, b) => a.time - b.time || a.id - b.id);
  const names = scopeNames(sorted, scope);
  const omitted: TimelineOmissions = { startup: 0, unrelated: 0, unchanged: 0 };
  const rows: TimelineRow[] = [];
  const kept: JournalEvent[] = [];
  const runs = new Map<string, DecisionRun>();
  for (const e of sorted) {
    const before = e.time < scope.startedAt;
    if (before && isFirstHealthVerdict(e)) omitted.startup++;
    else if (before && names !== undefined && !bearsOn(e, names)) omitted.unrelated++;
    else if (isUnchangedSplit(e)) omitted.unchanged++;
    else {
      kept.push(e);
      if (e.kind === 'migration.decision') addDecision(e, runs, rows, clock);
      else rows.push({ time: e.time, text: summaryOf(e), eventIds: [e.id] });
    }
  }
  for (const run of runs.values()) closeRun(run, clock);
  return { rows, kept, omitted };
}

/** The incident's routes and pools, and the pools its routes' traffic moved between. */
function scopeNames(events: readonly JournalEvent[], scope: TimelineScope): Set<string> | undefined {
  const names = new Set([...scope.routes, ...scope.pools]);
  // An incident that names nothing (an older record) cannot tell related from unrelated: keep all.
  if (names.size === 0) return undefined;
  const routes = new Set(scope.routes);
  for (const e of events) {
    if (!routes.has(e.subject) && !routes.has(str(e.data.route) ?? '')) continue;
    for (const v of [e.data.from, e.data.to, e.data.split]) {
      if (typeof v === 'string') names.add(v);
      else if (isRecord(v)) for (const pool of Object.keys(v)) names.add(pool);
    }
  }
  return names;
}

function bearsOn(e: JournalEvent, names: ReadonlySet<string>): boolean {
  if (GLOBAL_KINDS.test(e.kind)) return true;
  const named = [e.subject, e.subject.split('/')[0], str(e.data.route), str(e.data.pool), str(e.data.from), str(e.data.to)];
  return named.some((n) => n !== undefined && names.has(n));
}

/** A backend's first verdict after its balancer started: nothing changed, the balancer only learnt it. */
function isFirstHealthVerdict(e: JournalEvent): boolean {
  return e.kind.startsWith('backend.') && e.data.from === 'unknown';
}

function isUnchangedSplit(e: JournalEvent): boolean {
  const { from, to } = e.data;
  if (e.kind !== 'split.changed' || !isRecord(from) || !isRecord(to)) return false;
  const keys = new Set([...Object.keys(from), ...Object.keys(to)]);
  return [...keys].every((k) => Number(from[k] ?? 0) === Number(to[k] ?? 0));
}

interface DecisionRun {
  key: string;
  row: TimelineRow;
  first: JournalEvent;
  last: JournalEvent;
  verdict: string;
  actions: Set<string>;
}

/**
 * A run is the decisions of one migration at one step with one verdict: it ends where the verdict
 * changes or the migration moves to another step, so each step's judgment reads as one row.
 */
function addDecision(e: JournalEvent, runs: Map<string, DecisionRun>, rows: TimelineRow[], clock: (ms: number) => string): void {
  const migration = String(e.data.migration ?? e.subject);
  const verdict = verdictOf(e);
  const key = `${String(e.data.stepIndex)}|${verdict}`;
  const open = runs.get(migration);
  if (open !== undefined && open.key === key) {
    open.last = e;
    open.row.eventIds.push(e.id);
    const action = str(e.data.action);
    if (action !== undefined && action !== 'none') open.actions.add(action);
    return;
  }
  if (open !== undefined) closeRun(open, clock);
  const row: TimelineRow = { time: e.time, text: '', eventIds: [e.id] };
  rows.push(row);
  const action = str(e.data.action);
  runs.set(migration, { key, row, first: e, last: e, verdict, actions: new Set(action && action !== 'none' ? [action] : []) });
}

function closeRun(run: DecisionRun, clock: (ms: number) => string): void {
  if (run.row.eventIds.length === 1) {
    run.row.text = summaryOf(run.first);
    return;
  }
  const percent = typeof run.first.data.targetPercent === 'number' ? ` at ${run.first.data.targetPercent} % of traffic` : '';
  const actions = run.actions.size > 0 ? `; acted: ${[...run.actions].join(', ')}` : '';
  run.row.text =
    `judge: ${run.verdict} ×${run.row.eventIds.length} from ${clock(run.first.time)} to ${clock(run.last.time)}` + `${percent}${actions}`;
}

/** The judge's verdict on a window; the fast path rolls back from the open window, with no closed one judged. */
function verdictOf(e: JournalEvent): string {
  const judge = e.data.judge;
  if (isRecord(judge) && typeof judge.verdict === 'string') return judge.verdict;
  if (isRecord(e.data.fastPath)) return 'rollback (fast path)';
  return str(e.data.action) ?? 'no verdict';
}

function summaryOf(e: JournalEvent): string {
  return summarizeEvent(e) || `${e.kind} (${e.subject})`;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
