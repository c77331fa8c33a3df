export { AlertBook, type FiringAlert } from './alert-book.ts';
export {
  type AlertPolicy,
  type AlertSeverity,
  type BurnRateRule,
  DEFAULT_ALERT_POLICY,
  type FastRule,
  validateAlertPolicy,
} from './alert-policy.ts';
export {
  type CatalogueEvent,
  checkEvent,
  type EventDataOf,
  type EventInputOf,
  type EventKind,
  eventOf,
  exampleEvent,
  type JournalEventInput,
  parseEvent,
} from './event-catalogue.ts';
export {
  DEFAULT_QUERY_LIMIT,
  MAX_QUERY_LIMIT,
  matchesFilter,
  parseEventFilter,
  parseTimeParam,
  validateEventFilter,
} from './event-filter.ts';
export { EVENT_SOURCES, type EventSource } from './event-source.ts';
export { type SummarizedEvent, summarizeEvent, withSummary } from './event-summary.ts';
export {
  FIGURE_LABELS,
  type FigureLabel,
  figureRows,
  formatCount,
  formatShare,
  usersPhrase,
} from './incident-figures.ts';
export { computeImpact, type ImpactCounts, type IncidentImpact } from './incident-impact.ts';
export { type Incident, IncidentManager, type IncidentStatus } from './incident-manager.ts';
export { type IncidentMeasure, type IncidentNumbers, impactPeriod, measureIncident, type UserImpact } from './incident-numbers.ts';
export {
  buildIncidentReport,
  type IncidentDurations,
  type IncidentMeans,
  type IncidentReport,
  incidentMeans,
  type ListedIncident,
} from './incident-report.ts';
export { type FencedJournal, Journal, type JournalOpenOptions, type JournalStats, type MismatchPolicy } from './journal.ts';
export {
  type CapacityList,
  createJournalApi,
  type EventList,
  type IncidentAnswer,
  type IncidentList,
  type JournalApiOptions,
  type SloAnswer,
} from './journal-api.ts';
export { JournalHttpClient } from './journal-client.ts';
export type { EventFilter, JournalEvent, JournalStore, StoredEventInput } from './journal-event.ts';
export {
  CONTROL_LEASE,
  defaultHolderName,
  type LeaderInfo,
  Leadership,
  type LeadershipChange,
  type LeadershipOptions,
} from './leadership.ts';
export { type LeaseAnswer, type LeaseFence, type LeaseRecord, notLeaderError } from './lease.ts';
export { OnCall, type OnCallOptions } from './on-call.ts';
export { buildPostmortem, type PostmortemOptions } from './postmortem.ts';
export {
  type Block,
  POSTMORTEM_SECTIONS,
  type PostmortemDocument,
  renderHtml,
  renderMarkdown,
  type Section,
} from './postmortem-document.ts';
export { writePostmortemFile } from './postmortem-file.ts';
export {
  DEFAULT_OBJECTIVE,
  objectiveOf,
  type RouteObjective,
  type RouteSloStatus,
  type RuleBurn,
  type Sli,
  SloMonitor,
} from './slo-monitor.ts';
export { PostgresJournalStore, type PostgresStoreOptions } from './postgres-journal-store.ts';
export { SqliteJournalStore, type SqliteStoreOptions, storageError, validateEventInput } from './sqlite-journal-store.ts';
export { buildStatusPage, renderStatusPageHtml, type ServiceStatus, type StatusPage } from './status-page.ts';
export { formatTime, humanDuration } from './time-format.ts';
export type { PoolCounts, SampleUsers, TrafficSample, TrafficSampleStore } from './traffic-sample.ts';
export { jsonPayload, slackPayload, WebhookNotifier, type WebhookSender, type WebhookTarget } from './webhook-notifier.ts';
