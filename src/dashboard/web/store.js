// What the page knows, fed by the streams and polls in app.js; views subscribe by topic and
// re-render from it, so a view opened later starts with the last five minutes already drawn.

import { getCapacity, getControl, getEvents, getFleet, getSlo, getState, getWindows } from './api.js';

/** @typedef {import('./api.js').DataPlaneSnapshot} DataPlaneSnapshot */
/** @typedef {import('./api.js').ControlRole} ControlRole */
/** @typedef {import('./api.js').TelemetryWindow} TelemetryWindow */
/** @typedef {import('./api.js').JournalEvent} JournalEvent */
/** @typedef {import('./api.js').CapacityData} CapacityData */
/** @typedef {import('./api.js').SloAnswer} SloAnswer */
/** @typedef {import('./api.js').RouteSloStatus} RouteSloStatus */
/** @typedef {import('./api.js').RouteObjective} RouteObjective */

/**
 * The data of a `capacity.result` event: what `piper capacity` writes, though a result written by
 * hand or by an older version may hold only `pool` and `capacityRps`.
 * @typedef {Partial<CapacityData> & Pick<CapacityData, 'pool' | 'capacityRps'>} CapacityResultData
 */
/**
 * A capacity result with its event's id, the time the journal recorded it and its subject (the
 * pool, or the target URL when no pool was named).
 * @typedef {CapacityResultData & { id: number, recordedAt: number, subject: string }} CapacityRecord
 */

const MAX_WINDOWS = 300;
const MAX_EVENTS = 2000;

/**
 * @typedef {'state' | 'fleet' | 'control' | 'windows' | 'events' | 'capacity' | 'slo' | 'stream'} Topic
 */

export const store = {
  /** @type {DataPlaneSnapshot | null} */
  state: null,
  /** @type {DataPlaneSnapshot | null | undefined} the fleet's snapshot; null: no fleet; undefined: not known yet */
  fleet: undefined,
  /** @type {ControlRole | null} */
  control: null,
  /** @type {TelemetryWindow[]} oldest first */
  windows: [],
  /** @type {JournalEvent[]} oldest first */
  events: [],
  /** @type {CapacityRecord[]} newest first */
  capacity: [],
  /** @type {SloAnswer | null} */
  slo: null,
  /** @type {Record<string, string>} stream name → status */
  streams: {},
};

/** @type {Map<Topic, Set<() => void>>} */
const listeners = new Map();

/**
 * @param {Topic[]} topics
 * @param {() => void} fn
 * @returns {() => void} unsubscribe
 */
export function subscribe(topics, fn) {
  for (const t of topics) {
    const set = listeners.get(t) ?? new Set();
    listeners.set(t, set);
    set.add(fn);
  }
  return () => {
    for (const t of topics) listeners.get(t)?.delete(fn);
  };
}

/** @param {Topic} topic */
export function notify(topic) {
  for (const fn of [...(listeners.get(topic) ?? [])]) fn();
}

/**
 * @param {TelemetryWindow} w
 * @param {boolean} [announce] false while backfilling many (one notification at the end)
 */
export function addWindow(w, announce = true) {
  const list = store.windows;
  const last = list.at(-1);
  if (!last || w.start > last.start) {
    list.push(w);
  } else {
    // A backfill can land after live windows, and a reconnect may replay some: keep the list
    // ordered by start and unique.
    const i = list.findLastIndex((x) => x.start <= w.start);
    if (list[i]?.start === w.start) list[i] = w;
    else list.splice(i + 1, 0, w);
  }
  if (list.length > MAX_WINDOWS) list.splice(0, list.length - MAX_WINDOWS);
  if (announce) notify('windows');
}

/**
 * @param {JournalEvent} e
 * @param {boolean} [announce] false while backfilling many
 */
export function addEvent(e, announce = true) {
  const list = store.events;
  const last = list.at(-1);
  if (!last || e.id > last.id) {
    list.push(e);
  } else {
    // The backfill may land after live events: insert in id order, once.
    const i = list.findLastIndex((x) => x.id <= e.id);
    if (list[i]?.id === e.id) return;
    list.splice(i + 1, 0, e);
  }
  if (list.length > MAX_EVENTS) list.splice(0, list.length - MAX_EVENTS);
  if (announce) notify('events');
}

export async function refreshState() {
  store.state = await getState();
  notify('state');
}

/**
 * Re-reads the fleet. Which data planes a route is served by is configuration: once the control
 * plane said there is no fleet, the page stops asking.
 */
export async function refreshFleet() {
  if (store.fleet === null) return;
  // The control plane says whether it steers a fleet: without one, /api/v1/fleet is never asked.
  const control = store.control ?? (await getControl());
  store.fleet = control.fleet ? await getFleet() : null;
  notify('fleet');
}

export async function refreshControl() {
  store.control = await getControl();
  notify('control');
}

export async function refreshCapacity() {
  store.capacity = (await getCapacity()).results.map(capacityRecord);
  notify('capacity');
}

export async function refreshSlo() {
  store.slo = await getSlo();
  notify('slo');
}

/** @param {boolean} [afterLast] only what came after the newest window held (after a reconnect) */
export async function loadRecentWindows(afterLast = false) {
  const since = afterLast ? (store.windows.at(-1)?.start ?? 0) : 0;
  for (const w of (await getWindows(since)).windows) addWindow(w, false);
  notify('windows');
}

/** @param {boolean} [afterLast] only what came after the newest event held (after a reconnect) */
export async function loadRecentEvents(afterLast = false) {
  const after = store.events.at(-1)?.id;
  const query = afterLast && typeof after === 'number' ? `afterId=${after}` : `since=${Date.now() - 15 * 60_000}&limit=${MAX_EVENTS}`;
  for (const e of (await getEvents(query)).events) addEvent(e, false);
  notify('events');
}

/**
 * A `capacity.result` event of /api/v1/capacity as a capacity record: the journal keeps its data
 * as the writer sent it.
 * @param {import('./api.js').CapacityList['results'][number]} e
 * @returns {CapacityRecord}
 */
function capacityRecord(e) {
  return { .../** @type {CapacityResultData} */ (e.data), id: e.id, recordedAt: e.time, subject: e.subject };
}

/**
 * Newest capacity result for a pool: the result's `pool`, or its subject when it named none (as
 * the migration gate reads it).
 * @param {string} pool
 */
export function capacityOf(pool) {
  return store.capacity.find((c) => (c.pool ?? c.subject) === pool) ?? null;
}

/**
 * Per-route SLO status as /api/v1/slo gives it (objective, burn per rule, `internal`, `historyMs`).
 * @returns {RouteSloStatus[]}
 */
export function sloRoutes() {
  return store.slo?.routes ?? [];
}

/**
 * True for a route piper.yaml marks `internal` (an operator's route, such as a capacity test's).
 * @param {string} route
 */
export function isInternal(route) {
  return sloRoutes().some((r) => r.route === route && r.internal === true);
}

/**
 * A route's objective, or null before /api/v1/slo answered.
 * @param {string} route
 * @returns {RouteObjective | null}
 */
export function routeObjective(route) {
  return sloRoutes().find((r) => r.route === route)?.objective ?? null;
}

/**
 * Per-second rate, error ratio and p99 of one pool (or backend `pool/name`, or route) per window.
 * @param {'pools' | 'backends' | 'routes'} kind
 * @param {string} name
 */
export function seriesOf(kind, name) {
  return store.windows.map((w) => {
    const s = w[kind]?.[name];
    const seconds = (w.durationMs || 1000) / 1000;
    if (!s) return { t: w.start, rate: null, errors: null, p50: null, p90: null, p99: null, max: null, inFlight: null };
    const lat = s.requests > 0 ? s.latency : null;
    return {
      t: w.start,
      rate: s.requests / seconds,
      errors: s.requests > 0 ? s.failed / s.requests : null,
      p50: lat?.p50 ?? null,
      p90: lat?.p90 ?? null,
      p99: lat?.p99 ?? null,
      max: lat?.max ?? null,
      inFlight: s.inFlight ?? null,
    };
  });
}

/**
 * Average request rate of a pool over the last `n` windows.
 * @param {string} pool
 * @param {number} n
 */
export function recentRate(pool, n = 10) {
  const recent = store.windows.slice(-n);
  if (recent.length === 0) return null;
  let requests = 0;
  let ms = 0;
  for (const w of recent) {
    requests += w.pools?.[pool]?.requests ?? 0;
    ms += w.durationMs || 1000;
  }
  return requests / (ms / 1000);
}
