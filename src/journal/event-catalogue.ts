import type { z } from 'zod';
import type { CatalogueEntry } from './catalogue-entry.ts';
import { DATA_PLANE_EVENTS } from './event-catalogue-data-plane.ts';
import { LEADER_EVENTS } from './event-catalogue-leader.ts';
import { ON_CALL_EVENTS } from './event-catalogue-on-call.ts';
import { ROLLOUT_EVENTS } from './event-catalogue-rollout.ts';
import type { EventSource } from './event-source.ts';
import type { JournalEvent } from './journal-event.ts';

/**
 * Every kind of event piper writes, with the schema of its data (docs/journal.md, "Event
 * catalogue"). Writers are typed by it ({@link JournalEventInput}), the journal checks each event
 * against it, and summaries read events through it: no reader guesses a field name.
 */
export const EVENT_CATALOGUE = { ...DATA_PLANE_EVENTS, ...ROLLOUT_EVENTS, ...ON_CALL_EVENTS, ...LEADER_EVENTS };

type Catalogue = typeof EVENT_CATALOGUE;
export type EventKind = keyof Catalogue;
/** The data of a `K` event as readers get it from {@link parseEvent}. */
export type EventDataOf<K extends EventKind> = z.output<Catalogue[K]['data']>;
/** Who may write a `K` event. */
type EventSourceOf<K extends EventKind> = Catalogue[K]['sources'][number];

/** A `K` event as its writer hands it to the journal. */
export interface EventInputOf<K extends EventKind> {
  kind: K;
  source: EventSourceOf<K>;
  /** What the event is about: a route, pool, backend (`pool/backend`), migration or incident id. */
  subject: string;
  data: z.input<Catalogue[K]['data']>;
  /** Who caused it: an operator's name, or the component (`rollout`, `balancer`); the source when absent. */
  actor?: string;
  /** Event time in ms since the epoch; the journal's clock when absent. */
  time?: number;
}

/** What a writer hands the journal: one catalogue kind with its data, so a wrong field fails `tsc`. */
export type JournalEventInput<K extends EventKind = EventKind> = { [P in K]: EventInputOf<P> }[K];

/** A recorded event whose data matched its kind's schema (of kind `K`, or of any kind). */
export type CatalogueEvent<K extends EventKind = EventKind> = {
  [P in K]: Omit<JournalEvent, 'kind' | 'data'> & { kind: P; data: EventDataOf<P> };
}[K];

export const EVENT_KINDS = Object.keys(EVENT_CATALOGUE) as EventKind[];

/** The entry of a kind, or undefined for a kind the catalogue does not hold. */
export function catalogueEntry(kind: string): CatalogueEntry | undefined {
  return Object.hasOwn(EVENT_CATALOGUE, kind) ? (EVENT_CATALOGUE[kind as EventKind] as CatalogueEntry) : undefined;
}

/**
 * Builds an event whose kind is a type parameter, for a writer that journals several kinds through
 * one method. TypeScript cannot relate a generic `K` to its member of the union, so the data is
 * typed per kind here and the source is left to the journal's check against the catalogue.
 */
export function eventOf<K extends EventKind>(
  kind: K,
  e: Omit<EventInputOf<K>, 'kind' | 'source'> & { source: EventSource },
): JournalEventInput {
  return { ...e, kind } as unknown as JournalEventInput;
}

/**
 * The catalogue's example of a kind as its writer would hand it over, with some data fields (and
 * event fields) replaced: a valid event for tests, whatever fields a test does not care about.
 */
export function exampleEvent<K extends EventKind>(
  kind: K,
  data: Partial<EventInputOf<K>['data']> = {},
  event: Partial<Omit<EventInputOf<K>, 'kind' | 'data'>> = {},
): JournalEventInput<K> {
  const example = EVENT_CATALOGUE[kind].example;
  const input = {
    kind,
    source: example.source,
    subject: example.subject,
    actor: example.actor,
    ...event,
    data: { ...example.data, ...data },
  };
  return input as unknown as JournalEventInput<K>;
}

/** Where an event differs from the catalogue: the field (`kind`, `source`, `data.gate.capacityRps`) and how. */
export interface CatalogueMismatch {
  field: string;
  problem: string;
}

/** Checks an event against the catalogue; null when it matches. */
export function checkEvent(e: { kind: string; source: string; data?: unknown }): CatalogueMismatch | null {
  const entry = catalogueEntry(e.kind);
  if (entry === undefined) return { field: 'kind', problem: `"${e.kind}" is not in the event catalogue (docs/journal.md)` };
  if (!(entry.sources as readonly string[]).includes(e.source))
    return { field: 'source', problem: `${e.kind} is written by ${entry.sources.join(' or ')}, not ${e.source}` };
  const result = entry.data.safeParse(e.data ?? {});
  return result.success ? null : mismatchOf(result.error.issues);
}

/** The event with its data typed by its kind, or null when the kind is unknown or the data does not match. */
export function parseEvent(e: JournalEvent): CatalogueEvent | null {
  const entry = catalogueEntry(e.kind);
  if (entry === undefined) return null;
  const result = entry.data.safeParse(e.data);
  return result.success ? ({ ...e, data: result.data } as CatalogueEvent) : null;
}

function mismatchOf(issues: readonly z.core.$ZodIssue[]): CatalogueMismatch {
  const issue = issues[0];
  if (issue === undefined) return { field: 'data', problem: 'does not match' };
  // A union (the shapes of `alert.firing`): the shape that came closest says what is wrong.
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const closest = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
    const inner = mismatchOf(closest);
    return { ...inner, field: ['data', ...issue.path.map(String), ...inner.field.split('.').slice(1)].join('.') };
  }
  const path = ['data', ...issue.path.map(String)];
  if (issue.code === 'unrecognized_keys')
    return { field: [...path, issue.keys[0] ?? ''].join('.'), problem: 'is not a field of this kind' };
  return { field: path.join('.'), problem: issue.message };
}
