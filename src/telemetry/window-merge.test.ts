import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeUserIds, encodeUserIds } from '../core/index.ts';
import { LatencyHistogram } from './latency-histogram.ts';
import type { FlowWindowStats, PoolWindowStats, TelemetryWindow, WindowStats } from './telemetry-window.ts';
import { mergeWindows } from './window-merge.ts';

/** Stats of `latencies` (ms), `failed` of them 5xx, the rest 2xx. */
function stats(latencies: readonly number[], failed: number, users?: { ids: number[]; failedIds: number[] }): WindowStats {
  const h = new LatencyHistogram();
  for (const ms of latencies) h.record(ms);
  return {
    requests: latencies.length,
    failed,
    status: { '1xx': 0, '2xx': latencies.length - failed, '3xx': 0, '4xx': 0, '5xx': failed },
    errors: failed > 0 ? { timeout: 1 } : {},
    shed: 0,
    retries: 1,
    ejections: 0,
    inFlight: 2,
    bytesIn: 100,
    bytesOut: 1000,
    latency: h.summary(),
    histogram: h.encode(),
    firstFailureAt: failed > 0 ? 1_000_000 + failed : null,
    ...(users === undefined
      ? {}
      : {
          users: {
            count: users.ids.length,
            failed: users.failedIds.length,
            ids: encodeUserIds(users.ids),
            failedIds: encodeUserIds(users.failedIds),
            by: ['address' as const],
            capped: false,
          },
        }),
  };
}

function pool(s: WindowStats, healthy: number, limit: number): PoolWindowStats {
  return { ...s, healthyBackends: healthy, totalBackends: 2, concurrencyLimit: limit };
}

function flow(backend: string | null, requests: number, failed: number): FlowWindowStats {
  return {
    route: 'web',
    pool: 'inhouse',
    backend,
    requests,
    failed,
    status: { '1xx': 0, '2xx': requests - failed, '3xx': 0, '4xx': 0, '5xx': failed },
    errors: {},
    retries: 0,
  };
}

const A_LATENCIES = [5, 5, 5, 5, 5, 5, 5, 5, 5, 5];
const B_LATENCIES = [50, 60, 70, 80, 900];

function windowA(): TelemetryWindow {
  const s = stats(A_LATENCIES, 0, { ids: [1, 2, 3], failedIds: [] });
  return {
    start: 1_000_000,
    durationMs: 1000,
    routes: { web: s },
    pools: { inhouse: pool(s, 2, 100) },
    backends: { 'inhouse/ih-1': { ...s, pool: 'inhouse', health: 'healthy' } },
    flows: [flow('ih-1', 10, 0)],
  };
}

function windowB(): TelemetryWindow {
  const s = stats(B_LATENCIES, 2, { ids: [3, 4], failedIds: [4] });
  return {
    start: 1_000_000,
    durationMs: 1000,
    routes: { web: s },
    pools: { inhouse: pool(s, 1, 80) },
    backends: { 'inhouse/ih-1': { ...s, pool: 'inhouse', health: 'ejected' } },
    flows: [flow('ih-1', 4, 1), flow(null, 1, 1)],
  };
}

describe('mergeWindows', () => {
  it("sums counts and recomputes latency from the merged histograms, as one data plane serving both members' requests would", () => {
    const merged = mergeWindows([windowA(), windowB()]);
    const web = merged.routes.web;
    assert.ok(web);
    assert.equal(web.requests, 15);
    assert.equal(web.failed, 2);
    assert.deepEqual(web.status, { '1xx': 0, '2xx': 13, '3xx': 0, '4xx': 0, '5xx': 2 });
    assert.deepEqual(web.errors, { timeout: 1 });
    assert.equal(web.retries, 2);
    assert.equal(web.inFlight, 4);
    assert.equal(web.bytesOut, 2000);
    const all = new LatencyHistogram();
    for (const ms of [...A_LATENCIES, ...B_LATENCIES]) all.record(ms);
    assert.deepEqual(web.latency, all.summary());
    assert.equal(LatencyHistogram.decode(web.histogram).count, 15);
    assert.equal(web.latencyBuckets?.at(-1), 15);
    assert.equal(web.firstFailureAt, 1_000_002);
    assert.equal(merged.complete, undefined, 'every member sent its window');
  });

  it('unites users by id (a user on both members counts once), and fails a user who failed on either', () => {
    const users = mergeWindows([windowA(), windowB()]).routes.web?.users;
    assert.ok(users);
    assert.equal(users.count, 4);
    assert.equal(users.failed, 1);
    assert.deepEqual(decodeUserIds(users.ids), [1, 2, 3, 4]);
    assert.deepEqual(decodeUserIds(users.failedIds), [4]);
  });

  it("sums pools' spills, and shows none where no member counts them (the HAProxy data plane)", () => {
    const a = windowA();
    const b = windowB();
    const spilled = (w: TelemetryWindow, n: number): TelemetryWindow => ({
      ...w,
      pools: { ...w.pools, inhouse: { ...(w.pools.inhouse as PoolWindowStats), spilled: n } },
    });
    assert.equal(mergeWindows([spilled(a, 2), spilled(b, 3)]).pools.inhouse?.spilled, 5);
    assert.equal(mergeWindows([spilled(a, 2), b]).pools.inhouse?.spilled, 2);
    assert.equal('spilled' in (mergeWindows([a, b]).pools.inhouse ?? {}), false);
  });

  it("sums pools' limits, keeps the fewest healthy backends, reports a backend with the member that finds it unhealthy, and sums flows per path", () => {
    const merged = mergeWindows([windowA(), windowB()]);
    assert.equal(merged.pools.inhouse?.concurrencyLimit, 180);
    assert.equal(merged.pools.inhouse?.healthyBackends, 1);
    assert.equal(merged.backends['inhouse/ih-1']?.health, 'ejected');
    assert.deepEqual(
      merged.flows?.map((f) => [f.backend, f.requests, f.failed]),
      [
        ['ih-1', 14, 1],
        [null, 1, 1],
      ],
    );
  });

  it('is incomplete when a member sent no window, or sent an incomplete one, saying which', () => {
    const late = mergeWindows([windowA()], ['edge-b']);
    assert.equal(late.complete, false);
    assert.equal(late.incompleteReason, 'edge-b sent no window');
    const lossy = mergeWindows([windowA(), { ...windowB(), complete: false, incompleteReason: '3 log lines lost' }]);
    assert.equal(lossy.complete, false);
    assert.equal(lossy.incompleteReason, '3 log lines lost');
  });

  it('keeps what only one member saw', () => {
    const b = windowB();
    const merged = mergeWindows([windowA(), { ...b, routes: { api: b.routes.web as WindowStats } }]);
    assert.deepEqual(Object.keys(merged.routes), ['web', 'api']);
    assert.equal(merged.routes.api?.requests, 5);
  });

  it('merges windows without a histogram (a data plane that measures no latency) by counts, percentiles an upper bound', () => {
    const a = windowA();
    const b = windowB();
    const bare = (w: TelemetryWindow): TelemetryWindow => {
      const { latencyBuckets: _, ...stats } = w.routes.web as WindowStats;
      return { ...w, routes: { web: { ...stats, histogram: '' } } };
    };
    const web = mergeWindows([bare(a), bare(b)]).routes.web;
    assert.equal(web?.histogram, '');
    assert.equal(web?.requests, 15);
    assert.equal(web?.latency.count, 15);
    assert.equal(web?.latency.p99, b.routes.web?.latency.p99);
    const mixed = mergeWindows([bare(a), b]).routes.web;
    assert.equal(LatencyHistogram.decode(mixed?.histogram ?? '').count, 5, 'only the measured window adds to the histogram');
  });
});
