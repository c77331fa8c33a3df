import { decodeUserIds, encodeUserIds } from '../core/index.ts';
import { DURATION_BUCKETS_SECONDS } from './histogram.ts';
import { LatencyHistogram } from './latency-histogram.ts';
import type {
  BackendWindowStats,
  FlowWindowStats,
  PoolWindowStats,
  TelemetryWindow,
  WindowStats,
  WindowUsers,
} from './telemetry-window.ts';
import { MAX_USER_IDS, type UserKeyKind } from './user-set.ts';

const BOUNDS_MS: readonly number[] = DURATION_BUCKETS_SECONDS.map((s) => s * 1000);
const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/**
 * One window of several data planes serving the same routes: the windows of one second (the
 * same `start`), one per data plane that sent one, merged as if one data plane had served all
 * their requests. Counts are summed, HDR histograms merged and the latency summary and buckets
 * recomputed from the merged one (percentiles cannot be averaged), users united by id, flows
 * summed per (route, pool, backend). `missing` names the data planes that sent no window for the
 * second: the merge is then `complete: false`, as it is when any window was.
 */
export function mergeWindows(windows: readonly TelemetryWindow[], missing: readonly string[] = []): TelemetryWindow {
  const first = windows[0];
  if (first === undefined) throw new RangeError('mergeWindows needs at least one window');
  const routes: Record<string, WindowStats> = {};
  for (const key of keysOf(windows, (w) => w.routes)) routes[key] = mergeStats(present(windows.map((w) => w.routes[key])));
  const pools: Record<string, PoolWindowStats> = {};
  for (const key of keysOf(windows, (w) => w.pools)) pools[key] = mergePool(present(windows.map((w) => w.pools[key])));
  const backends: Record<string, BackendWindowStats> = {};
  for (const key of keysOf(windows, (w) => w.backends)) backends[key] = mergeBackend(present(windows.map((w) => w.backends[key])));
  const reasons = [
    ...missing.map((name) => `${name} sent no window`),
    ...windows.flatMap((w) => (w.complete === false ? [w.incompleteReason ?? 'a data plane lost requests it could not count'] : [])),
  ];
  return {
    start: first.start,
    durationMs: Math.max(...windows.map((w) => w.durationMs)),
    routes,
    pools,
    backends,
    flows: mergeFlows(windows),
    ...(reasons.length > 0 ? { complete: false, incompleteReason: reasons.join('; ') } : {}),
  };
}

function keysOf<T>(windows: readonly TelemetryWindow[], pick: (w: TelemetryWindow) => Readonly<Record<string, T>>): Set<string> {
  const keys = new Set<string>();
  for (const w of windows) for (const k of Object.keys(pick(w))) keys.add(k);
  return keys;
}

function present<T>(values: readonly (T | undefined)[]): T[] {
  return values.filter((v): v is T => v !== undefined);
}

function mergeStats(parts: readonly WindowStats[]): WindowStats {
  const latency = new LatencyHistogram();
  // A window without a histogram (`''`: a data plane that measures no latency) adds none.
  const measured = parts.filter((p) => p.histogram !== '');
  for (const p of measured) latency.merge(LatencyHistogram.decode(p.histogram));
  const status = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
  const errors: WindowStats['errors'] = {};
  for (const p of parts) {
    for (const c of STATUS_CLASSES) status[c] += p.status[c];
    for (const [kind, n] of Object.entries(p.errors) as [keyof WindowStats['errors'], number][]) errors[kind] = (errors[kind] ?? 0) + n;
  }
  const failures = parts.flatMap((p) => (typeof p.firstFailureAt === 'number' ? [p.firstFailureAt] : []));
  const saved = parts.some((p) => p.savedByRetry !== undefined);
  const users = mergeUsers(present(parts.map((p) => p.users)));
  return {
    requests: sum(parts, (p) => p.requests),
    failed: sum(parts, (p) => p.failed),
    status,
    errors,
    shed: sum(parts, (p) => p.shed),
    retries: sum(parts, (p) => p.retries),
    ejections: sum(parts, (p) => p.ejections),
    inFlight: sum(parts, (p) => p.inFlight),
    bytesIn: sum(parts, (p) => p.bytesIn),
    bytesOut: sum(parts, (p) => p.bytesOut),
    ...(measured.length > 0 || parts.length === 0
      ? { latency: latency.summary(), histogram: latency.encode(), latencyBuckets: Object.freeze(latency.countsAtOrBelow(BOUNDS_MS)) }
      : { latency: unmeasured(parts), histogram: '' }),
    firstFailureAt: failures.length > 0 ? Math.min(...failures) : null,
    ...(saved ? { savedByRetry: sum(parts, (p) => p.savedByRetry ?? 0) } : {}),
    ...(users !== null ? { users } : {}),
  };
}

/**
 * The data planes share the pool's backends, so a backend is healthy for the fleet only where
 * every data plane finds it healthy (the fewest healthy), while each data plane admits requests
 * on its own (the concurrency limits add up).
 */
function mergePool(parts: readonly PoolWindowStats[]): PoolWindowStats {
  return {
    ...mergeStats(parts),
    healthyBackends: Math.min(...parts.map((p) => p.healthyBackends)),
    totalBackends: Math.max(...parts.map((p) => p.totalBackends)),
    concurrencyLimit: sum(parts, (p) => p.concurrencyLimit),
    ...(parts.some((p) => p.spilled !== undefined) ? { spilled: sum(parts, (p) => p.spilled ?? 0) } : {}),
  };
}

/** A backend some data plane finds not healthy is reported with that data plane's view. */
function mergeBackend(parts: readonly BackendWindowStats[]): BackendWindowStats {
  const worst = parts.find((p) => p.health !== 'healthy') ?? (parts[0] as BackendWindowStats);
  return { ...mergeStats(parts), pool: worst.pool, health: worst.health };
}

function mergeUsers(parts: readonly WindowUsers[]): WindowUsers | null {
  if (parts.length === 0) return null;
  const all = new Set<number>();
  const failed = new Set<number>();
  const by = new Set<UserKeyKind>();
  for (const u of parts) {
    for (const id of decodeUserIds(u.ids)) all.add(id);
    for (const id of decodeUserIds(u.failedIds)) failed.add(id);
    for (const k of u.by) by.add(k);
  }
  // One window holds at most MAX_USER_IDS ids (the journal's samples assume it): past it the counts are a lower bound.
  const capped = parts.some((u) => u.capped) || all.size > MAX_USER_IDS;
  const ids = [...all].slice(0, MAX_USER_IDS);
  const failedIds = [...failed].slice(0, MAX_USER_IDS);
  return {
    count: ids.length,
    failed: failedIds.length,
    ids: encodeUserIds(ids),
    failedIds: encodeUserIds(failedIds),
    by: [...by],
    capped,
  };
}

function mergeFlows(windows: readonly TelemetryWindow[]): FlowWindowStats[] {
  const flows = new Map<string, FlowWindowStats>();
  for (const w of windows) {
    for (const f of w.flows ?? []) {
      const key = `${f.route}\u0000${f.pool}\u0000${f.backend ?? ''}`;
      const into = flows.get(key);
      if (into === undefined) {
        flows.set(key, { ...f, status: { ...f.status }, errors: { ...f.errors } });
        continue;
      }
      into.requests += f.requests;
      into.failed += f.failed;
      into.retries += f.retries;
      for (const c of STATUS_CLASSES) into.status[c] += f.status[c];
      for (const [kind, n] of Object.entries(f.errors) as [keyof FlowWindowStats['errors'], number][]) {
        into.errors[kind] = (into.errors[kind] ?? 0) + n;
      }
    }
  }
  return [...flows.values()];
}

/** Where no window has a histogram, percentiles cannot be merged: the highest of each is an upper bound. */
function unmeasured(parts: readonly WindowStats[]): WindowStats['latency'] {
  const top = (pick: (l: WindowStats['latency']) => number): number => Math.max(...parts.map((p) => pick(p.latency)));
  const count = sum(parts, (p) => p.latency.count);
  const mean = count === 0 ? 0 : sum(parts, (p) => p.latency.mean * p.latency.count) / count;
  return {
    count,
    min: Math.min(...parts.map((p) => p.latency.min)),
    mean,
    p50: top((l) => l.p50),
    p90: top((l) => l.p90),
    p99: top((l) => l.p99),
    p999: top((l) => l.p999),
    max: top((l) => l.max),
  };
}

function sum<T>(parts: readonly T[], pick: (p: T) => number): number {
  let n = 0;
  for (const p of parts) n += pick(p);
  return n;
}
