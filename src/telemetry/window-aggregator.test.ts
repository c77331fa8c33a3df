import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Clock, flushMicrotasks, ManualClock, type TimerHandle } from '../core/index.ts';
import { decodeUserIds } from '../core/index.ts';
import { LatencyHistogram } from './latency-histogram.ts';
import type { TelemetryProbe } from './telemetry-probe.ts';
import type { RequestOutcome, TelemetryWindow } from './telemetry-window.ts';
import { MAX_USER_IDS, userIdOf } from './user-set.ts';
import { WindowAggregator } from './window-aggregator.ts';

const T0 = Date.UTC(2017, 2, 31, 21, 50, 0);

function outcome(over: Partial<RequestOutcome> = {}): RequestOutcome {
  return {
    route: 'web',
    pool: 'vendor',
    backend: 'v1',
    status: 200,
    errorKind: null,
    latencyMs: 10,
    bytesIn: 100,
    bytesOut: 1000,
    retries: 0,
    ...over,
  };
}

function setup(options: { start?: number; retain?: number; probe?: () => TelemetryProbe } = {}) {
  const clock = new ManualClock(options.start ?? T0);
  const agg = new WindowAggregator({
    clock,
    windowMs: 1000,
    retain: options.retain ?? 300,
    ...(options.probe ? { probe: options.probe } : {}),
  });
  const windows: TelemetryWindow[] = [];
  agg.onWindow((w) => windows.push(w));
  return { clock, agg, windows };
}

describe('WindowAggregator', () => {
  test('closes windows on second boundaries of the injected clock', () => {
    const { clock, agg, windows } = setup({ start: T0 + 300 });
    clock.advance(699);
    assert.equal(windows.length, 0);
    clock.advance(1);
    assert.equal(windows.length, 1);
    assert.equal(windows[0]?.start, T0);
    assert.equal(windows[0]?.durationMs, 1000);
    clock.advance(2000);
    assert.deepEqual(
      windows.map((w) => w.start),
      [T0, T0 + 1000, T0 + 2000],
    );
    agg.close();
  });

  test('counts requests by status class, errors by kind, shed, retries and bytes per route, pool and backend', () => {
    const { clock, agg, windows } = setup();
    agg.record(outcome({ status: 200, latencyMs: 5 }));
    agg.record(outcome({ status: 404, backend: 'v2', latencyMs: 15 }));
    agg.record(outcome({ status: 503, backend: null, errorKind: 'shed', latencyMs: 0.2 }));
    agg.record(outcome({ status: 502, errorKind: 'connect', retries: 1 }));
    agg.record(outcome({ status: 500 }));
    agg.record(outcome({ status: 0, errorKind: 'client_abort', bytesOut: 0 }));
    agg.record(outcome({ route: 'api', pool: 'inhouse', backend: 'i1', status: 504, errorKind: 'timeout', retries: 2 }));
    clock.advance(1000);
    const w = windows[0] as TelemetryWindow;

    const web = w.routes.web;
    assert.ok(web);
    assert.equal(web.requests, 6);
    assert.deepEqual(web.status, { '1xx': 0, '2xx': 1, '3xx': 0, '4xx': 1, '5xx': 3 });
    assert.equal(web.failed, 3, 'shed, connect and 500 fail; 404 and client_abort do not');
    assert.deepEqual(web.errors, { shed: 1, connect: 1, client_abort: 1 });
    assert.equal(web.shed, 1);
    assert.equal(web.retries, 1);
    assert.equal(web.bytesIn, 600);
    assert.equal(web.bytesOut, 5000);
    assert.equal(web.latency.count, 6);

    assert.equal(w.routes.api?.failed, 1);
    assert.deepEqual(w.routes.api?.errors, { timeout: 1 });
    assert.equal(w.pools.vendor?.requests, 6);
    assert.equal(w.pools.vendor?.shed, 1);
    assert.equal(w.pools.inhouse?.retries, 2);
    assert.equal(w.backends['vendor/v1']?.requests, 4, 'the shed request reached no backend');
    assert.equal(w.backends['vendor/v1']?.pool, 'vendor');
    assert.equal(w.backends['vendor/v2']?.status['4xx'], 1);
    assert.equal(w.backends['inhouse/i1']?.failed, 1);
    agg.close();
  });

  test('a connect error or timeout without a 5xx status still counts as failed', () => {
    const { clock, agg, windows } = setup();
    agg.record(outcome({ status: 0, errorKind: 'connect' }));
    agg.record(outcome({ status: 0, errorKind: 'timeout' }));
    agg.record(outcome({ status: 0, errorKind: 'client_abort' }));
    clock.advance(1000);
    assert.equal(windows[0]?.routes.web?.failed, 2);
    agg.close();
  });

  test('latency summary and the encoded HDR histogram describe the window', () => {
    const { clock, agg, windows } = setup();
    for (let i = 1; i <= 100; i++) agg.record(outcome({ latencyMs: i }));
    clock.advance(1000);
    const stats = windows[0]?.pools.vendor;
    assert.ok(stats);
    assert.equal(stats.latency.count, 100);
    assert.ok(Math.abs(stats.latency.p50 - 50) < 0.1);
    assert.ok(Math.abs(stats.latency.p99 - 99) < 0.1);
    const h = LatencyHistogram.decode(stats.histogram);
    assert.equal(h.count, 100);
    assert.equal(h.countAtOrBelow(25), 25);
    // Cumulative at 5, 10, 25, 50, 75, 100 ms, then the rest of DURATION_BUCKETS_SECONDS.
    assert.deepEqual(stats.latencyBuckets?.slice(0, 7), [5, 10, 25, 50, 75, 100, 100]);
    agg.close();
  });

  test('each window starts from zero', () => {
    const { clock, agg, windows } = setup();
    agg.record(outcome());
    clock.advance(1000);
    agg.record(outcome());
    agg.record(outcome());
    clock.advance(1000);
    clock.advance(1000);
    assert.deepEqual(
      windows.map((w) => w.routes.web?.requests),
      [1, 2, undefined],
    );
    assert.equal(windows[1]?.routes.web?.latency.count, 2);
    agg.close();
  });

  test('entities the probe lists appear with zeros and live state when idle', () => {
    const probe: TelemetryProbe = {
      routes: { web: { inFlight: 3 } },
      pools: { vendor: { inFlight: 3, healthyBackends: 1, totalBackends: 2, concurrencyLimit: 40 } },
      backends: {
        'vendor/v1': { pool: 'vendor', health: 'healthy', inFlight: 3 },
        'vendor/v2': { pool: 'vendor', health: 'ejected', inFlight: 0 },
      },
    };
    const { clock, agg, windows } = setup({ probe: () => probe });
    clock.advance(1000);
    const w = windows[0] as TelemetryWindow;
    assert.equal(w.routes.web?.requests, 0);
    assert.equal(w.routes.web?.inFlight, 3);
    assert.deepEqual(w.routes.web?.latency, { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 });
    assert.equal(LatencyHistogram.decode(w.routes.web?.histogram ?? '').count, 0);
    assert.deepEqual(
      { ...w.pools.vendor, latency: undefined, histogram: undefined, status: undefined, latencyBuckets: undefined },
      {
        requests: 0,
        failed: 0,
        firstFailureAt: null,
        errors: {},
        shed: 0,
        spilled: 0,
        retries: 0,
        savedByRetry: 0,
        ejections: 0,
        inFlight: 3,
        bytesIn: 0,
        bytesOut: 0,
        healthyBackends: 1,
        totalBackends: 2,
        concurrencyLimit: 40,
        latency: undefined,
        histogram: undefined,
        status: undefined,
        latencyBuckets: undefined,
      },
    );
    assert.equal(w.backends['vendor/v2']?.health, 'ejected');
    assert.equal(w.backends['vendor/v1']?.inFlight, 3);
    assert.deepEqual(w.flows, []);
    agg.close();
  });

  test('a backend with traffic but unknown to the probe has health unknown', () => {
    const { clock, agg, windows } = setup();
    agg.record(outcome());
    clock.advance(1000);
    assert.equal(windows[0]?.backends['vendor/v1']?.health, 'unknown');
    assert.equal(windows[0]?.pools.vendor?.concurrencyLimit, 0);
    agg.close();
  });

  test('recordEjection counts on the backend and its pool', () => {
    const { clock, agg, windows } = setup();
    agg.recordEjection('inhouse', 'i2');
    agg.recordEjection('inhouse', 'i2');
    clock.advance(1000);
    assert.equal(windows[0]?.backends['inhouse/i2']?.ejections, 2);
    assert.equal(windows[0]?.pools.inhouse?.ejections, 2);
    assert.equal(windows[0]?.backends['inhouse/i2']?.requests, 0);
    agg.close();
  });

  test('recordSpill counts on the refusing pool, in neither its requests nor its failures', () => {
    const { clock, agg, windows } = setup();
    agg.recordSpill('inhouse');
    agg.recordSpill('inhouse');
    agg.record(outcome({ pool: 'vendor', backend: 'v1' }));
    clock.advance(1000);
    assert.equal(windows[0]?.pools.inhouse?.spilled, 2, 'a pool with only spills still shows in the window');
    assert.equal(windows[0]?.pools.inhouse?.requests, 0);
    assert.equal(windows[0]?.pools.inhouse?.failed, 0);
    assert.equal(windows[0]?.pools.vendor?.spilled, 0);
    clock.advance(1000);
    assert.equal(windows[1]?.pools.inhouse?.spilled ?? 0, 0, 'each window starts from zero');
    agg.close();
  });

  test('flows split a route over pools and backends', () => {
    const { clock, agg, windows } = setup();
    agg.record(outcome({ pool: 'vendor', backend: 'v1' }));
    agg.record(outcome({ pool: 'vendor', backend: 'v1', status: 502, errorKind: 'reset' }));
    agg.record(outcome({ pool: 'inhouse', backend: 'i1' }));
    agg.record(outcome({ pool: 'inhouse', backend: null, status: 503, errorKind: 'no_backend' }));
    clock.advance(1000);
    const flows = [...(windows[0]?.flows ?? [])].sort((a, b) => `${a.pool}/${a.backend}`.localeCompare(`${b.pool}/${b.backend}`));
    assert.deepEqual(
      flows.map((f) => [f.route, f.pool, f.backend, f.requests, f.failed]),
      [
        ['web', 'inhouse', 'i1', 1, 0],
        ['web', 'inhouse', null, 1, 1],
        ['web', 'vendor', 'v1', 2, 1],
      ],
    );
    assert.deepEqual(flows[2]?.errors, { reset: 1 });
    agg.close();
  });

  test('windows are frozen', () => {
    const { clock, agg, windows } = setup();
    agg.record(outcome());
    clock.advance(1000);
    const w = windows[0] as TelemetryWindow;
    assert.ok(Object.isFrozen(w));
    assert.ok(Object.isFrozen(w.routes));
    assert.ok(Object.isFrozen(w.routes.web));
    assert.ok(Object.isFrozen(w.routes.web?.status));
    agg.close();
  });

  test('recent() keeps the last `retain` windows, oldest first, filtered by start', () => {
    const { clock, agg } = setup({ retain: 3 });
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j <= i; j++) agg.record(outcome());
      clock.advance(1000);
    }
    const recent = agg.recent();
    assert.deepEqual(
      recent.map((w) => [w.start - T0, w.routes.web?.requests]),
      [
        [2000, 3],
        [3000, 4],
        [4000, 5],
      ],
    );
    assert.deepEqual(
      agg.recent(T0 + 3000).map((w) => w.start - T0),
      [3000, 4000],
    );
    agg.close();
  });

  test('onWindow returns an unsubscribe function, and a throwing listener does not stop the others', () => {
    const { clock, agg, windows } = setup();
    const seen: number[] = [];
    agg.onWindow(() => {
      throw new Error('listener bug');
    });
    const off = agg.onWindow((w) => seen.push(w.start));
    clock.advance(1000);
    off();
    clock.advance(1000);
    assert.deepEqual(seen, [T0]);
    assert.equal(windows.length, 2);
    agg.close();
  });

  test('a timer that fires late closes one longer window instead of inventing empty ones', () => {
    const manual = new ManualClock(T0);
    const late: Clock = {
      now: () => manual.now(),
      monotonic: () => manual.monotonic(),
      setTimeout: (fn, ms): TimerHandle => manual.setTimeout(fn, ms + 2500),
      setInterval: (fn, ms) => manual.setInterval(fn, ms),
      sleep: (ms, signal) => manual.sleep(ms, signal),
    };
    const agg = new WindowAggregator({ clock: late });
    const windows: TelemetryWindow[] = [];
    agg.onWindow((w) => windows.push(w));
    agg.record(outcome());
    manual.advance(3500);
    assert.equal(windows.length, 1);
    assert.equal(windows[0]?.start, T0);
    assert.equal(windows[0]?.durationMs, 3000);
    assert.equal(windows[0]?.routes.web?.requests, 1);
    agg.close();
  });

  test('windows() yields closed windows and ends on close()', async () => {
    const { clock, agg } = setup();
    const got: number[] = [];
    const done = (async () => {
      for await (const w of agg.windows()) got.push(w.start);
    })();
    await flushMicrotasks();
    clock.advance(1000);
    await flushMicrotasks();
    clock.advance(1000);
    await flushMicrotasks();
    agg.close();
    agg.close();
    await done;
    assert.deepEqual(got, [T0, T0 + 1000]);
    assert.equal(clock.pending, 0, 'close() cancels the window timer');
  });

  test('windows(signal) ends when the signal aborts, and a slow reader keeps only the newest windows', async () => {
    const { clock, agg } = setup({ retain: 2 });
    const controller = new AbortController();
    const iterator = agg.windows(controller.signal)[Symbol.asyncIterator]();
    clock.advance(5000);
    const first = await iterator.next();
    assert.equal(first.done, false);
    assert.equal(first.value?.start, T0 + 3000, 'the three oldest of five were dropped');
    assert.equal((await iterator.next()).value?.start, T0 + 4000);
    const pending = iterator.next();
    controller.abort();
    assert.deepEqual(await pending, { done: true, value: undefined });
    agg.close();
    assert.deepEqual(await agg.windows()[Symbol.asyncIterator]().next(), { done: true, value: undefined });
  });

  test('stamps each window with the clock time of its first failure, per route, pool and backend', () => {
    const { clock, agg, windows } = setup();
    clock.advance(100);
    agg.record(outcome({ status: 200 }));
    agg.record(outcome({ status: 404 }));
    agg.record(outcome({ status: 0, backend: null, errorKind: 'client_abort' }));
    assert.equal(agg.inProgress().pools.vendor?.firstFailureAt, null, '4xx and client aborts are not failures');
    clock.advance(250);
    agg.record(outcome({ pool: 'inhouse', backend: 'i1', status: 502 }));
    clock.advance(100);
    agg.record(outcome({ status: 0, errorKind: 'connect' }));
    clock.advance(200);
    agg.record(outcome({ status: 500 }));
    agg.record(outcome({ pool: 'inhouse', backend: 'i2', status: 503 }));
    clock.advance(350);
    const w = windows[0] as TelemetryWindow;
    assert.equal(w.start, T0);
    assert.equal(w.routes.web?.firstFailureAt, T0 + 350);
    assert.equal(w.pools.inhouse?.firstFailureAt, T0 + 350);
    assert.equal(w.pools.vendor?.firstFailureAt, T0 + 450);
    assert.equal(w.backends['vendor/v1']?.firstFailureAt, T0 + 450);
    assert.equal(w.backends['inhouse/i1']?.firstFailureAt, T0 + 350);
    assert.equal(w.backends['inhouse/i2']?.firstFailureAt, T0 + 650);
    // The next window starts afresh.
    clock.advance(300);
    agg.record(outcome({ status: 200 }));
    clock.advance(200);
    agg.record(outcome({ status: 504, errorKind: 'timeout' }));
    clock.advance(500);
    assert.equal(windows[1]?.pools.vendor?.firstFailureAt, T0 + 1500);
    clock.advance(1000);
    agg.record(outcome());
    clock.advance(1000);
    assert.equal(windows[3]?.pools.vendor?.failed, 0);
    assert.equal(windows[3]?.pools.vendor?.firstFailureAt, null);
    agg.close();
  });

  test('inProgress() counts the open window so far, per pool, and starts afresh with each window', () => {
    const { clock, agg, windows } = setup({ start: T0 + 100 });
    assert.deepEqual(agg.inProgress(), { start: T0, pools: {} });
    agg.record(outcome({ pool: 'inhouse', backend: 'i1' }));
    clock.advance(200);
    agg.record(outcome({ pool: 'inhouse', backend: 'i1', status: 500 }));
    clock.advance(100);
    agg.record(outcome({ pool: 'inhouse', backend: 'i1', status: 0, errorKind: 'connect' }));
    agg.record(outcome({ pool: 'inhouse', backend: null, status: 503, errorKind: 'no_backend' }));
    agg.record(outcome({ pool: 'inhouse', backend: 'i1', status: 0, errorKind: 'reset' }));
    agg.record(outcome({ pool: 'inhouse', backend: 'i1', status: 504, errorKind: 'timeout' }));
    agg.record(outcome({ pool: 'vendor', status: 200 }));
    assert.deepEqual(agg.inProgress(), {
      start: T0,
      pools: {
        inhouse: { requests: 6, failed: 5, connectFailures: 3, firstFailureAt: T0 + 300 },
        vendor: { requests: 1, failed: 0, connectFailures: 0, firstFailureAt: null },
      },
    });
    assert.equal(windows.length, 0, 'reading it closes nothing');
    clock.advance(600);
    assert.equal(windows[0]?.pools.inhouse?.failed, 5, 'the closed window holds what was in progress');
    assert.deepEqual(agg.inProgress(), { start: T0 + 1000, pools: {} });
    agg.record(outcome({ status: 500 }));
    assert.deepEqual(agg.inProgress().pools, { vendor: { requests: 1, failed: 1, connectFailures: 0, firstFailureAt: T0 + 1000 } });
    agg.close();
  });

  test('counts a request a retry saved once, on its route, pool and backend, and never a failed one', () => {
    const { clock, agg, windows } = setup();
    agg.record(outcome({ retries: 1 }));
    agg.record(outcome({ retries: 2, status: 404 }));
    agg.record(outcome({ retries: 1, status: 502 }));
    agg.record(outcome({ retries: 1, status: 0, errorKind: 'timeout' }));
    agg.record(outcome());
    clock.advance(1000);
    const w = windows[0] as TelemetryWindow;
    assert.equal(w.routes.web?.savedByRetry, 2, 'a 200 and a 404 after retries: no failure reached the client');
    assert.equal(w.routes.web?.retries, 5);
    assert.equal(w.routes.web?.failed, 2);
    assert.equal(w.pools.vendor?.savedByRetry, 2);
    assert.equal(w.backends['vendor/v1']?.savedByRetry, 2);
    agg.close();
  });

  test('tells the users of a route apart by their id, with those who received a failure, and unites nothing across windows', () => {
    const { clock, agg, windows } = setup();
    const ann = userIdOf('ann');
    const bob = userIdOf('bob');
    const addr = userIdOf('10.0.0.7');
    agg.record(outcome({ user: ann, userBy: 'cookie' }));
    agg.record(outcome({ user: ann, userBy: 'cookie', status: 503, errorKind: 'shed' }));
    agg.record(outcome({ user: bob, userBy: 'cookie' }));
    agg.record(outcome({ user: addr, userBy: 'address', status: 404 }));
    agg.record(outcome({ route: 'api', user: 0 }));
    clock.advance(1000);
    const users = windows[0]?.routes.web?.users;
    assert.ok(users);
    assert.equal(users.count, 3);
    assert.equal(users.failed, 1);
    assert.deepEqual(
      decodeUserIds(users.ids),
      [ann, bob, addr].sort((a, b) => a - b),
    );
    assert.deepEqual(decodeUserIds(users.failedIds), [ann]);
    assert.deepEqual(users.by, ['cookie', 'address']);
    assert.equal(users.capped, false);
    assert.equal(windows[0]?.routes.api?.users, undefined, 'no user known: no users field');
    assert.equal(windows[0]?.pools.vendor?.users, undefined, 'users are counted per route only');
    agg.record(outcome({ user: bob, userBy: 'cookie' }));
    clock.advance(1000);
    assert.equal(windows[1]?.routes.web?.users?.count, 1);
    assert.equal(windows[1]?.routes.web?.users?.failed, 0);
    agg.close();
  });

  test('keeps at most MAX_USER_IDS user ids a window and flags the count as a lower bound', () => {
    const { clock, agg, windows } = setup();
    for (let i = 0; i < MAX_USER_IDS + 10; i++) agg.record(outcome({ user: userIdOf(`user-${i}`), userBy: 'cookie' }));
    clock.advance(1000);
    const users = windows[0]?.routes.web?.users;
    assert.equal(users?.count, MAX_USER_IDS);
    assert.equal(users?.capped, true);
    assert.equal(decodeUserIds(users?.ids ?? '').length, MAX_USER_IDS);
    agg.record(outcome({ user: userIdOf('user-1'), userBy: 'cookie' }));
    clock.advance(1000);
    assert.equal(windows[1]?.routes.web?.users?.capped, false, 'the next window starts afresh');
    agg.close();
  });

  test('record() after close() is ignored', () => {
    const { agg } = setup();
    agg.close();
    agg.record(outcome());
    agg.recordEjection('vendor', 'v1');
    assert.deepEqual(agg.recent(), []);
  });
});
