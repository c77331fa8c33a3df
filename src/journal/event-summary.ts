import { type CatalogueEvent, type EventKind, parseEvent } from './event-catalogue.ts';
import { DATA_PLANE_SUMMARIES } from './event-summary-data-plane.ts';
import { LEADER_SUMMARIES } from './event-summary-leader.ts';
import { ON_CALL_SUMMARIES } from './event-summary-on-call.ts';
import { ROLLOUT_SUMMARIES } from './event-summary-rollout.ts';
import type { SummaryWriters } from './event-wording.ts';
import type { JournalEvent } from './journal-event.ts';

/** Every catalogue kind has its sentence: a kind added without one fails `tsc` here. */
const SUMMARIES: SummaryWriters<EventKind> = { ...DATA_PLANE_SUMMARIES, ...ROLLOUT_SUMMARIES, ...ON_CALL_SUMMARIES, ...LEADER_SUMMARIES };

/** A recorded event with its one-line summary, as the API, the live stream and webhooks send it. */
export type SummarizedEvent = JournalEvent & { summary: string };

/**
 * One sentence saying what an event means, for timelines, the dashboard, webhooks and the
 * postmortem: from the data as the catalogue types it, actors the right way round, numbers
 * formatted. An event of a kind the catalogue does not hold (an older journal), or whose data
 * does not match it, gets a plain sentence naming its kind, subject and actor: never raw data.
 */
export function summarizeEvent(e: JournalEvent): string {
  const typed = parseEvent(e);
  const sentence = typed === null ? plainSentence(e) : write(typed);
  // An event a control plane copied from one data plane of a fleet says which.
  const member = e.data.dataPlane;
  return typeof member === 'string' ? `${sentence} (on ${member})` : sentence;
}

/** The event with its `summary`. */
export function withSummary(e: JournalEvent): SummarizedEvent {
  return { ...e, summary: summarizeEvent(e) };
}

function write<K extends EventKind>(e: CatalogueEvent<K>): string {
  const writer: (e: CatalogueEvent<K>) => string = SUMMARIES[e.kind];
  return writer(e);
}

function plainSentence(e: JournalEvent): string {
  return `${e.kind}${e.subject === '' ? '' : ` about ${e.subject}`}, by ${e.actor}`;
}
