import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from '../core/index.ts';
import { METRIC_NAMES } from './metric-names.ts';
import { MetricsRegistry } from './metrics-registry.ts';
import type { TelemetryProbe } from './telemetry-probe.ts';
import type { RequestOutcome, TelemetryWindow, WindowStats } from './telemetry-window.ts';
import { WindowAggregator } from './window-aggregator.ts';
import { exportWindowMetrics } from './window-metrics.ts';

function outcome(over: Partial<RequestOutcome> = {}): RequestOutcome {
  return {
    route: 'web',
    pool: 'vendor',
    backend: 'v1',
    status: 200,
    errorKind: null,
    latencyMs: 10,
    bytesIn: 10,
    bytesOut: 100,
    retries: 0,
    ...over,
  };
}

/** The value of one sample line, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function setup(probe?: () => TelemetryProbe) {
  const clock = new ManualClock();
  const agg = new WindowAggregator({ clock, ...(probe ? { probe } : {}) });
  const registry = new MetricsRegistry();
  const metrics = exportWindowMetrics(registry, agg);
  return { clock, agg, registry, metrics };
}

describe('exportWindowMetrics', () => {
  test('declares every metric listed in metric-names.ts', () => {
    const { agg, registry, metrics } = setup();
    for (const name of Object.values(METRIC_NAMES)) assert.ok(registry.get(name), `${name} is not registered`);
    metrics.close();
    agg.close();
  });

  test('counters add each closed window; nothing shows before a window closes', () => {
    const { clock, agg, registry, metrics } = setup();
    agg.record(outcome());
    agg.record(outcome({ status: 404 }));
    agg.record(outcome({ status: 502, errorKind: 'connect', retries: 1 }));
    agg.record(outcome({ status: 500 }));
    agg.record(outcome({ status: 0, errorKind: 'client_abort' }));
    agg.record(outcome({ backend: null, status: 503, errorKind: 'shed' }));
    assert.equal(
      sample(registry.render(), 'piper_upstream_requests_total{route="web",pool="vendor",backend="v1",status_class="2xx"}'),
      undefined,
    );
    clock.advance(1000);
    agg.record(outcome());
    clock.advance(1000);
    const text = registry.render();
    const up = (cls: string) => sample(text, `piper_upstream_requests_total{route="web",pool="vendor",backend="v1",status_class="${cls}"}`);
    assert.equal(up('2xx'), 2);
    assert.equal(up('4xx'), 1);
    assert.equal(up('5xx'), 2);
    assert.equal(up('none'), 1);
    assert.equal(sample(text, 'piper_requests_failed_total{route="web",pool="vendor",kind="connect"}'), 1);
    assert.equal(sample(text, 'piper_requests_failed_total{route="web",pool="vendor",kind="http_5xx"}'), 1);
    assert.equal(sample(text, 'piper_requests_failed_total{route="web",pool="vendor",kind="shed"}'), 1);
    assert.equal(sample(text, 'piper_requests_shed_total{pool="vendor"}'), 1);
    assert.equal(sample(text, 'piper_retries_total{route="web"}'), 1);
    assert.equal(sample(text, 'piper_pool_bytes_total{pool="vendor",direction="out"}'), 700);
    assert.doesNotMatch(text, /backend="null"/);
    metrics.close();
    agg.close();
  });

  test('duration histograms are filled from the window HDR histograms on OTel bucket edges', () => {
    const { clock, agg, registry, metrics } = setup();
    for (const ms of [3, 5, 8, 20, 60, 300, 12_000]) agg.record(outcome({ latencyMs: ms }));
    clock.advance(1000);
    const text = registry.render();
    const bucket = (le: string) => sample(text, `piper_upstream_request_duration_seconds_bucket{pool="vendor",backend="v1",le="${le}"}`);
    assert.equal(bucket('0.005'), 2);
    assert.equal(bucket('0.01'), 3);
    assert.equal(bucket('0.025'), 4);
    assert.equal(bucket('0.075'), 5);
    assert.equal(bucket('0.5'), 6);
    assert.equal(bucket('10'), 6);
    assert.equal(bucket('+Inf'), 7);
    assert.equal(sample(text, 'piper_upstream_request_duration_seconds_count{pool="vendor",backend="v1"}'), 7);
    const sum = sample(text, 'piper_upstream_request_duration_seconds_sum{pool="vendor",backend="v1"}') ?? 0;
    assert.ok(Math.abs(sum - 12.396) < 0.02, `sum ${sum}`);
    assert.equal(sample(text, 'http_server_request_duration_seconds_bucket{http_route="web",le="+Inf"}'), 7);
    metrics.close();
    agg.close();
  });

  test('a window without latencyBuckets (another source) is bucketed from its encoded histogram', () => {
    const clock = new ManualClock();
    const agg = new WindowAggregator({ clock });
    const registry = new MetricsRegistry();
    let forward: (w: TelemetryWindow) => void = () => {};
    const metrics = exportWindowMetrics(registry, {
      onWindow: (fn) => {
        forward = fn;
        return () => {};
      },
    });
    agg.onWindow((w) => {
      const { latencyBuckets: _, ...route } = w.routes.web as WindowStats;
      forward({ ...w, routes: { web: route } });
    });
    for (const ms of [3, 20, 300]) agg.record(outcome({ latencyMs: ms }));
    clock.advance(1000);
    const text = registry.render();
    assert.equal(sample(text, 'http_server_request_duration_seconds_bucket{http_route="web",le="0.005"}'), 1);
    assert.equal(sample(text, 'http_server_request_duration_seconds_bucket{http_route="web",le="0.25"}'), 2);
    assert.equal(sample(text, 'http_server_request_duration_seconds_bucket{http_route="web",le="+Inf"}'), 3);
    metrics.close();
    agg.close();
  });

  test('gauges show the last window and drop entities that left; ejections count', () => {
    let probe: TelemetryProbe = {
      routes: {},
      pools: { vendor: { inFlight: 7, healthyBackends: 1, totalBackends: 2, concurrencyLimit: 50 } },
      backends: {
        'vendor/v1': { pool: 'vendor', health: 'healthy', inFlight: 7 },
        'vendor/v2': { pool: 'vendor', health: 'ejected', inFlight: 0 },
      },
    };
    const { clock, agg, registry, metrics } = setup(() => probe);
    agg.recordEjection('vendor', 'v2');
    clock.advance(1000);
    let text = registry.render();
    assert.equal(sample(text, 'piper_pool_healthy_backends{pool="vendor"}'), 1);
    assert.equal(sample(text, 'piper_pool_backends{pool="vendor"}'), 2);
    assert.equal(sample(text, 'piper_pool_concurrency_limit{pool="vendor"}'), 50);
    assert.equal(sample(text, 'piper_requests_in_flight{pool="vendor"}'), 7);
    assert.equal(sample(text, 'piper_backend_up{pool="vendor",backend="v1"}'), 1);
    assert.equal(sample(text, 'piper_backend_up{pool="vendor",backend="v2"}'), 0);
    assert.equal(sample(text, 'piper_backend_ejections_total{pool="vendor",backend="v2"}'), 1);
    assert.equal(sample(text, 'piper_backend_ejections_total{pool="vendor",backend="v1"}'), 0);
    probe = { routes: {}, pools: {}, backends: {} };
    clock.advance(1000);
    text = registry.render();
    assert.equal(sample(text, 'piper_pool_healthy_backends{pool="vendor"}'), undefined);
    assert.equal(sample(text, 'piper_backend_up{pool="vendor",backend="v1"}'), undefined);
    assert.equal(sample(text, 'piper_backend_ejections_total{pool="vendor",backend="v2"}'), 1, 'counters keep their totals');
    metrics.close();
    agg.close();
  });

  test('close() stops following windows', () => {
    const { clock, agg, registry, metrics } = setup();
    metrics.close();
    metrics.close();
    agg.record(outcome());
    clock.advance(1000);
    assert.equal(sample(registry.render(), 'piper_retries_total{route="web"}'), undefined);
    agg.close();
  });
});
