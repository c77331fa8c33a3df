// The control-plane API as the page sees it: same-origin fetches carrying the session cookie,
// with the per-session CSRF token on every write. Every answer the page reads has a function here
// typed with the server's own type for it, and every server type the page names is imported here,
// so a view that reads a field the server does not send fails `npm run typecheck`.

/** @typedef {import('../dashboard-server.ts').SessionAnswer} SessionAnswer */
/** @typedef {import('../../data-plane/index.ts').DataPlaneSnapshot} DataPlaneSnapshot */
/** @typedef {import('../../data-plane/index.ts').PoolState} PoolState */
/** @typedef {import('../../data-plane/index.ts').RouteState} RouteState */
/** @typedef {import('../../data-plane/index.ts').BackendState} BackendState */
/** @typedef {import('../../data-plane/index.ts').FleetMemberState} FleetMemberState */
/** @typedef {import('../../data-plane/index.ts').Split} Split */
/** @typedef {import('../../telemetry/index.ts').TelemetryWindow} TelemetryWindow */
/** @typedef {import('../../balancer/index.ts').WindowList} WindowList */
/** @typedef {import('../../journal/index.ts').SummarizedEvent} JournalEvent a journal event as the API sends it: with its one-line summary */
/** @typedef {import('../../journal/index.ts').EventList} EventList */
/** @typedef {import('../../journal/index.ts').CapacityList} CapacityList */
/** @typedef {import('../../journal/index.ts').SloAnswer} SloAnswer */
/** @typedef {import('../../journal/index.ts').RouteSloStatus} RouteSloStatus */
/** @typedef {import('../../journal/index.ts').RuleBurn} RuleBurn */
/** @typedef {import('../../journal/index.ts').RouteObjective} RouteObjective */
/** @typedef {import('../../journal/index.ts').Incident} Incident */
/** @typedef {import('../../journal/index.ts').IncidentList} IncidentList */
/** @typedef {import('../../journal/index.ts').IncidentAnswer} IncidentAnswer */
/** @typedef {import('../../journal/index.ts').ListedIncident} ListedIncident */
/** @typedef {import('../../journal/index.ts').IncidentImpact} IncidentImpact */
/** @typedef {import('../../journal/index.ts').PostmortemDocument} PostmortemDocument */
/** @typedef {import('../../journal/index.ts').Block} Block */
/** @typedef {import('../../journal/index.ts').LeaderInfo} LeaderInfo */
/** @typedef {import('../../loadgen/index.ts').CapacityEvent['data']} CapacityData */
/** @typedef {import('../../rollout/index.ts').MigrationList} MigrationList */
/** @typedef {import('../../rollout/index.ts').MigrationView} MigrationView */
/** @typedef {import('../../rollout/index.ts').MigrationDetail} MigrationDetail */
/** @typedef {import('../../rollout/index.ts').MigrationPlan} MigrationPlan */
/** @typedef {import('../../rollout/index.ts').GateRefusalAnswer} GateRefusalAnswer */
/** @typedef {import('../../rollout/index.ts').GateResult} GateResult */
/** @typedef {import('../../rollout/index.ts').GateEvaluation} GateEvaluation */
/** @typedef {import('../../rollout/index.ts').GateOccasion} GateOccasion */
/** @typedef {import('../../rollout/index.ts').DecisionView} DecisionView */
/** @typedef {import('../../rollout/index.ts').DecisionRecorded} DecisionRecorded */
/** @typedef {import('../../rollout/index.ts').JudgeDecision} JudgeDecision */
/** @typedef {import('../../rollout/index.ts').SideFigures} SideFigures */
/** @typedef {import('../../rollout/index.ts').RelativeLatencyResult} RelativeLatencyResult */
/** @typedef {import('../../rollout/index.ts').FastPathCheck} FastPathCheck */

/**
 * `GET /api/v1/control`: this control plane's role in the leader election. The server's type
 * (`ControlRole`) lives in the CLI's composition, which the page's boundaries do not reach, so it
 * is written out here from journal's `LeaderInfo`: keep it in step with src/cli/up/control-plane.ts.
 * @typedef {{
 *   name: string,
 *   role: 'leader' | 'follower',
 *   term: number | null,
 *   leader: Omit<LeaderInfo, 'self'> | null,
 *   leaseMs: number,
 *   fleet: boolean,
 * }} ControlRole
 */

/** An API refusal with the server's stable code. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   * @param {unknown} body
   */
  constructor(status, code, message, body) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

/** @type {{ role: 'admin' | 'read' | null, csrfToken: string }} */
export const session = { role: null, csrfToken: '' };

/** @type {Set<() => void>} */
const signedOutListeners = new Set();

/** @param {() => void} listener called when a request finds the session gone */
export function onSignedOut(listener) {
  signedOutListeners.add(listener);
}

/**
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @param {{ accept?: string }} [options]
 * @returns {Promise<unknown>} the parsed JSON, or the text of any other answer
 */
export async function request(method, path, body, options = {}) {
  /** @type {Record<string, string>} */
  const headers = { accept: options.accept ?? 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['x-piper-csrf'] = session.csrfToken;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const type = res.headers.get('content-type') ?? '';
  /** @type {unknown} */
  const payload = type.includes('json') ? await res.json().catch(() => null) : await res.text();
  if (!res.ok) {
    const err = errorOf(payload);
    const code = err?.code ?? `HTTP_${res.status}`;
    if (code === 'PIPER_DASHBOARD_SIGNED_OUT') {
      session.role = null;
      for (const l of signedOutListeners) l();
    }
    throw new ApiError(res.status, code, err?.message ?? `${method} ${path} answered ${res.status}`, payload);
  }
  return payload;
}

/**
 * The `error` of a refusal (`{ error: { code, message } }`, docs/api.md), or null for any other body.
 * @param {unknown} payload
 * @returns {{ code?: string, message?: string } | null}
 */
function errorOf(payload) {
  if (payload === null || typeof payload !== 'object' || !('error' in payload)) return null;
  const err = payload.error;
  return err !== null && typeof err === 'object' ? err : null;
}

/**
 * A GET of JSON the server builds as `T`; each caller below names `T` by its return type.
 * @template T
 * @param {string} path
 * @returns {Promise<T>}
 */
async function read(path) {
  return /** @type {T} */ (await request('GET', path));
}

/**
 * A write whose answer the page does not read (it re-reads the state it changed).
 * @param {string} path
 * @param {unknown} [body]
 */
export const post = (path, body = {}) => request('POST', path, body);

/** @returns {Promise<DataPlaneSnapshot>} */
export function getState() {
  return read('/api/v1/state');
}

/**
 * The fleet's snapshot (each route with every member's split and guard, `members` with who is
 * reachable), or null where there is no fleet (one local data plane answers 404; the page asks
 * only when GET /api/v1/control says `fleet`).
 * @returns {Promise<DataPlaneSnapshot | null>}
 */
export async function getFleet() {
  try {
    return await read('/api/v1/fleet');
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

/** @returns {Promise<ControlRole>} */
export function getControl() {
  return read('/api/v1/control');
}

/**
 * @param {number} since epoch ms
 * @returns {Promise<WindowList>}
 */
export function getWindows(since) {
  return read(`/api/v1/windows?since=${since}`);
}

/**
 * @param {string} query `since=…&limit=…` or `afterId=…`
 * @returns {Promise<EventList>}
 */
export function getEvents(query) {
  return read(`/api/v1/events?${query}`);
}

/** @returns {Promise<CapacityList>} */
export function getCapacity() {
  return read('/api/v1/capacity');
}

/** @returns {Promise<SloAnswer>} */
export function getSlo() {
  return read('/api/v1/slo');
}

/** @returns {Promise<MigrationList>} */
export function getMigrations() {
  return read('/api/v1/migrations');
}

/**
 * @param {string} id
 * @returns {Promise<MigrationDetail>}
 */
export function getMigration(id) {
  return read(`/api/v1/migrations/${encodeURIComponent(id)}`);
}

/**
 * Starts a migration; a refusal of the capacity gate throws an ApiError whose body is a
 * {@link GateRefusalAnswer} (read it with {@link gateRefusalOf}).
 * @param {Record<string, unknown>} body
 * @returns {Promise<MigrationDetail>}
 */
export async function startMigration(body) {
  return /** @type {MigrationDetail} */ (await request('POST', '/api/v1/migrations', body));
}

/**
 * The gate's result behind a refusal of the capacity gate (409), or null for any other failure.
 * @param {unknown} err
 * @returns {GateResult | null}
 */
export function gateRefusalOf(err) {
  if (!(err instanceof ApiError) || err.code !== 'PIPER_ROLLOUT_GATE_REFUSED') return null;
  return /** @type {GateRefusalAnswer} */ (err.body).gate;
}

/** @returns {Promise<IncidentList>} */
export function getIncidents() {
  return read('/api/v1/incidents');
}

/**
 * @param {string} id
 * @returns {Promise<IncidentAnswer>}
 */
export function getIncident(id) {
  return read(`/api/v1/incidents/${encodeURIComponent(id)}`);
}

/**
 * The postmortem as the structured document the server renders its Markdown from.
 * @param {string} id
 * @param {string} timeZone IANA zone its times are written in; empty for the server's
 * @returns {Promise<PostmortemDocument>}
 */
export function getPostmortem(id, timeZone) {
  return read(postmortemPath(id, 'json', timeZone));
}

/**
 * The same postmortem as Markdown, for download.
 * @param {string} id
 * @param {string} timeZone
 */
export async function getPostmortemMarkdown(id, timeZone) {
  return String(await request('GET', postmortemPath(id, 'md', timeZone), undefined, { accept: 'text/markdown' }));
}

/**
 * @param {string} id
 * @param {'json' | 'md'} format
 * @param {string} timeZone
 */
function postmortemPath(id, format, timeZone) {
  return `/api/v1/incidents/${encodeURIComponent(id)}/postmortem?format=${format}${timeZone ? `&tz=${encodeURIComponent(timeZone)}` : ''}`;
}

/** Reads the current session; returns the role or null. */
export async function loadSession() {
  /** @type {SessionAnswer} */
  const s = await read('/auth/session');
  session.role = s.role;
  session.csrfToken = s.role === null ? '' : s.csrfToken;
  return session.role;
}

/** @param {string} token */
export async function signIn(token) {
  const s = /** @type {SessionAnswer} */ (await request('POST', '/auth/session', { token }));
  session.role = s.role;
  session.csrfToken = s.role === null ? '' : s.csrfToken;
  return session.role;
}

export async function signOut() {
  await request('DELETE', '/auth/session');
  session.role = null;
  session.csrfToken = '';
}
