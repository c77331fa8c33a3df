export { checkEvent, type EventInputOf, eventOf, exampleEvent, type JournalEventInput, parseEvent } from './event-catalogue.ts';
export { parseTimeParam, validateEventFilter } from './event-filter.ts';
export { type SummarizedEvent, summarizeEvent, withSummary } from './event-summary.ts';
export { observeFailingSeconds } from './failing-traffic.ts';
export { FIGURE_LABELS, type FigureLabel, figureRows, formatCount, usersPhrase } from './incident-figures.ts';
export type { IncidentImpact } from './incident-impact.ts';
export type { Incident } from './incident-manager.ts';
export type { IncidentNumbers } from './incident-numbers.ts';
export type { IncidentMeans, IncidentReport, ListedIncident } from './incident-report.ts';
export { type FencedJournal, Journal, type MismatchPolicy } from './journal.ts';
export {
  type CapacityList,
  journalApi,
  type EventList,
  type IncidentAnswer,
  type IncidentList,
  type SloAnswer,
} from './journal-api.ts';
export { journalApiSpec } from './journal-api-spec.ts';
export { JournalHttpClient } from './journal-client.ts';
export type { EventFilter, JournalEvent } from './journal-event.ts';
export { type LeaderInfo, Leadership, type LeadershipChange } from './leadership.ts';
export type { LeaseFence } from './lease.ts';
export { planSchema } from './migration-evidence-schema.ts';
export { OnCall, type OnCallOptions } from './on-call.ts';
export { buildPostmortem } from './postmortem.ts';
export { type Block, POSTMORTEM_SECTIONS, type PostmortemDocument, renderMarkdown } from './postmortem-document.ts';
export { writePostmortemFile } from './postmortem-file.ts';
export { DEFAULT_OBJECTIVE, objectiveOf, type RouteObjective, type RouteSloStatus, type RuleBurn } from './slo-monitor.ts';
export { renderStatusPageHtml } from './status-page.ts';
export { formatTime, humanDuration } from './time-format.ts';
export type { TrafficSample } from './traffic-sample.ts';
export { journalErrors } from './journal-errors.ts';
