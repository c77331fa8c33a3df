import type { BackendWindowStats, TelemetryProbe } from '../telemetry/index.ts';
import { parseServerName } from './haproxy-names.ts';
import { type StatRow, statNumber } from './stat-table.ts';

export type BackendHealth = BackendWindowStats['health'];

/** One HAProxy server (a piper backend inside one route's HAProxy backend) as `show stat` saw it. */
export interface HaproxyServerLive {
  route: string;
  /** HAProxy's server name, `<pool>--<backend>`. */
  server: string;
  pool: string;
  backend: string;
  /** `status` as HAProxy prints it: UP, DOWN, DRAIN, MAINT, `UP 1/3` (going down), `no check`. */
  status: string;
  health: BackendHealth;
  /** Last health check: L4OK, L7STS, L4CON, ... (empty when no check is configured). */
  checkStatus: string;
  /** Effective weight. */
  weight: number;
  /** Requests queued for this server (`qcur`). */
  queue: number;
  /** Current sessions on it (`scur`): its requests in flight. */
  sessions: number;
}

/** One route's HAProxy backend as `show stat` saw it. */
export interface HaproxyRouteLive {
  route: string;
  status: string;
  /** Requests queued with no server assigned yet (`qcur` of the backend). */
  queue: number;
  sessions: number;
  /** HTTP requests the backend received since HAProxy started (`req_tot`). */
  requestsTotal: number;
}

/** What HAProxy's Runtime API reported at `at`: the part of a snapshot log lines cannot give. */
export interface HaproxyLiveState {
  at: number;
  routes: Readonly<Record<string, HaproxyRouteLive>>;
  servers: readonly HaproxyServerLive[];
  /** HTTP requests every frontend received since HAProxy started: one log line each. */
  requestsTotal: number;
  /** Log lines HAProxy could not send since it started (`show info` DroppedLogs). */
  droppedLogs: number;
}

/**
 * piper's health for an HAProxy server status: UP (and `no check`, and `UP n/m` still going
 * down) is healthy; DOWN (and `DOWN n/m` coming up) unhealthy; DRAIN, NOLB and MAINT take no new
 * requests by an operator's or a check's will: draining.
 */
export function healthOf(status: string): BackendHealth {
  if (status.startsWith('UP') || status === 'no check') return 'healthy';
  if (status.startsWith('DOWN')) return 'unhealthy';
  if (status.startsWith('DRAIN') || status.startsWith('NOLB') || status.startsWith('MAINT')) return 'draining';
  return 'unknown';
}

/** Builds the live state from one `show info` + `show stat`. Servers not named `<pool>--<backend>` are left out. */
export function liveStateOf(at: number, info: Readonly<Record<string, string>>, rows: readonly StatRow[]): HaproxyLiveState {
  const routes: Record<string, HaproxyRouteLive> = {};
  const servers: HaproxyServerLive[] = [];
  let requestsTotal = 0;
  for (const row of rows) {
    if (row.type === 'frontend') {
      requestsTotal += statNumber(row, 'req_tot') ?? 0;
    } else if (row.type === 'backend') {
      routes[row.proxy] = {
        route: row.proxy,
        status: row.fields.status ?? '',
        queue: statNumber(row, 'qcur') ?? 0,
        sessions: statNumber(row, 'scur') ?? 0,
        requestsTotal: statNumber(row, 'req_tot') ?? 0,
      };
    } else if (row.type === 'server') {
      const names = parseServerName(row.service);
      if (names === null) continue;
      const status = row.fields.status ?? '';
      servers.push({
        route: row.proxy,
        server: row.service,
        pool: names.pool,
        backend: names.backend,
        status,
        health: healthOf(status),
        checkStatus: (row.fields.check_status ?? '').replace(/^\* /, ''),
        weight: statNumber(row, 'weight') ?? 0,
        queue: statNumber(row, 'qcur') ?? 0,
        sessions: statNumber(row, 'scur') ?? 0,
      });
    }
  }
  const dropped = Number(info.DroppedLogs);
  return Object.freeze({
    at,
    routes: Object.freeze(routes),
    servers: Object.freeze(servers),
    requestsTotal,
    droppedLogs: Number.isFinite(dropped) ? dropped : 0,
  });
}

const HEALTH_RANK: Readonly<Record<BackendHealth, number>> = { healthy: 4, draining: 3, ejected: 2, unhealthy: 1, unknown: 0 };

/**
 * The aggregator's probe from the live state. A piper backend is one HAProxy server in each
 * route that holds its pool: in-flight counts are summed over them, and its health is the best
 * of theirs (a pool drained in one route still serves another).
 */
export function probeOf(live: HaproxyLiveState | null): TelemetryProbe {
  const probe: TelemetryProbe = { routes: {}, pools: {}, backends: {} };
  if (live === null) return probe;
  for (const r of Object.values(live.routes)) probe.routes[r.route] = { inFlight: r.sessions };
  for (const s of live.servers) {
    const key = `${s.pool}/${s.backend}`;
    const b = probe.backends[key];
    if (b === undefined) probe.backends[key] = { pool: s.pool, health: s.health, inFlight: s.sessions };
    else {
      b.inFlight += s.sessions;
      if (HEALTH_RANK[s.health] > HEALTH_RANK[b.health]) b.health = s.health;
    }
  }
  for (const b of Object.values(probe.backends)) {
    let p = probe.pools[b.pool];
    if (p === undefined) {
      p = { inFlight: 0, healthyBackends: 0, totalBackends: 0, concurrencyLimit: 0 };
      probe.pools[b.pool] = p;
    }
    p.inFlight += b.inFlight;
    p.totalBackends++;
    if (b.health === 'healthy') p.healthyBackends++;
  }
  return probe;
}
