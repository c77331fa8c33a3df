import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isPiperError, type PiperErrorCode } from '../core/index.ts';
import { MetricsRegistry } from './metrics-registry.ts';
import { processMetrics } from './process-metrics.ts';

describe('MetricsRegistry', () => {
  test('renders counters with HELP and TYPE lines, one series per label set', () => {
    const registry = new MetricsRegistry();
    const c = registry.counter({ name: 'piper_requests_total', help: 'Requests.', labelNames: ['pool'] });
    c.inc({ pool: 'a' });
    c.inc({ pool: 'a' }, 5);
    c.inc({ pool: 'b' });
    assert.equal(
      registry.render(),
      [
        '# HELP piper_requests_total Requests.',
        '# TYPE piper_requests_total counter',
        'piper_requests_total{pool="a"} 6',
        'piper_requests_total{pool="b"} 1',
        '',
      ].join('\n'),
    );
  });

  test('labels() returns the same bound child for the same label set', () => {
    const registry = new MetricsRegistry();
    const c = registry.counter({ name: 'x_total', help: 'x', labelNames: ['a', 'b'] });
    const child = c.labels({ a: '1', b: '2' });
    assert.equal(c.labels({ b: '2', a: '1' }), child);
    assert.notEqual(c.labels({ a: '1', b: '3' }), child);
    child.inc();
    child.inc(2);
    assert.equal(c.get({ a: '1', b: '2' }), 3);
    assert.equal(c.get({ a: '1', b: '3' }), 0);
  });

  test('escapes label values and help text', () => {
    const registry = new MetricsRegistry();
    const g = registry.gauge({ name: 'g', help: 'line1\nback\\slash "q"', labelNames: ['v'] });
    g.set({ v: 'a\\b"c"\nd' }, 1);
    const text = registry.render();
    assert.match(text, /^# HELP g line1\\nback\\\\slash "q"$/m);
    assert.match(text, /^g\{v="a\\\\b\\"c\\"\\nd"\} 1$/m);
  });

  test('unlabelled metrics render 0 before they are touched', () => {
    const registry = new MetricsRegistry();
    registry.counter({ name: 'c_total', help: 'c' });
    assert.match(registry.render(), /^c_total 0$/m);
  });

  test('gauges set, go up and down, and reset drops every series', () => {
    const registry = new MetricsRegistry();
    const g = registry.gauge({ name: 'inflight', help: 'in flight', labelNames: ['pool'] });
    g.set({ pool: 'a' }, 10);
    g.inc({ pool: 'a' });
    g.dec({ pool: 'a' }, 3);
    g.inc({ pool: 'b' }, 2.5);
    assert.equal(g.get({ pool: 'a' }), 8);
    assert.match(registry.render(), /^inflight\{pool="b"\} 2.5$/m);
    g.remove({ pool: 'b' });
    assert.doesNotMatch(registry.render(), /pool="b"/);
    g.reset();
    assert.doesNotMatch(registry.render(), /pool="a"/);
    g.set({ pool: 'c' }, Number.POSITIVE_INFINITY);
    assert.match(registry.render(), /^inflight\{pool="c"\} \+Inf$/m);
  });

  test('histograms render cumulative buckets with +Inf, _sum and _count', () => {
    const registry = new MetricsRegistry();
    const h = registry.histogram({ name: 'd_seconds', help: 'd', labelNames: ['route'], buckets: [0.1, 0.5, 1] });
    for (const v of [0.05, 0.1, 0.3, 0.7, 2]) h.observe({ route: 'r' }, v);
    const text = registry.render();
    assert.match(text, /^# TYPE d_seconds histogram$/m);
    assert.match(text, /^d_seconds_bucket\{route="r",le="0.1"\} 2$/m);
    assert.match(text, /^d_seconds_bucket\{route="r",le="0.5"\} 3$/m);
    assert.match(text, /^d_seconds_bucket\{route="r",le="1"\} 4$/m);
    assert.match(text, /^d_seconds_bucket\{route="r",le="\+Inf"\} 5$/m);
    assert.match(text, /^d_seconds_sum\{route="r"\} 3.15$/m);
    assert.match(text, /^d_seconds_count\{route="r"\} 5$/m);
  });

  test('observeDistribution adds bucket counts in bulk', () => {
    const registry = new MetricsRegistry();
    const h = registry.histogram({ name: 'h', help: 'h', buckets: [1, 2] });
    h.labels().observeDistribution([1, 0, 2], 7);
    h.observe(undefined, 1.5);
    assert.deepEqual(h.labels().cumulative(), [1, 2, 4]);
    assert.equal(h.labels().sum, 8.5);
    assert.throws(
      () => h.labels().observeDistribution([1, 2], 1),
      (e) => isPiperError(e, 'PIPER_TELEMETRY_INVALID_VALUE'),
    );
  });

  test('rejects invalid and duplicate names, bad labels and bad values with PiperError codes', () => {
    const registry = new MetricsRegistry();
    const code = (c: PiperErrorCode) => (e: unknown) => isPiperError(e, c);
    assert.throws(() => registry.counter({ name: '1abc', help: 'x' }), code('PIPER_TELEMETRY_INVALID_METRIC'));
    assert.throws(() => registry.counter({ name: 'a-b', help: 'x' }), code('PIPER_TELEMETRY_INVALID_METRIC'));
    assert.throws(() => registry.counter({ name: 'ok', help: 'x', labelNames: ['__x'] }), code('PIPER_TELEMETRY_INVALID_METRIC'));
    assert.throws(() => registry.counter({ name: 'ok', help: 'x', labelNames: ['a', 'a'] }), code('PIPER_TELEMETRY_INVALID_METRIC'));
    assert.throws(() => registry.counter({ name: 'ok', help: 'x', labelNames: ['a.b'] }), code('PIPER_TELEMETRY_INVALID_METRIC'));
    assert.throws(() => registry.histogram({ name: 'h1', help: 'x', labelNames: ['le'] }), code('PIPER_TELEMETRY_INVALID_METRIC'));
    assert.throws(() => registry.histogram({ name: 'h2', help: 'x', buckets: [1, 1] }), code('PIPER_TELEMETRY_INVALID_METRIC'));
    assert.throws(() => registry.histogram({ name: 'h3', help: 'x', buckets: [] }), code('PIPER_TELEMETRY_INVALID_METRIC'));
    const c = registry.counter({ name: 'ns:ok_total', help: 'x', labelNames: ['pool'] });
    assert.throws(() => registry.gauge({ name: 'ns:ok_total', help: 'x' }), code('PIPER_TELEMETRY_DUPLICATE_METRIC'));
    assert.throws(() => c.inc({}), code('PIPER_TELEMETRY_INVALID_LABELS'));
    assert.throws(() => c.inc({ pool: 'a', extra: 'b' }), code('PIPER_TELEMETRY_INVALID_LABELS'));
    assert.throws(() => c.inc({ pol: 'a' }), code('PIPER_TELEMETRY_INVALID_LABELS'));
    assert.throws(() => c.inc({ pool: 'a' }, -1), code('PIPER_TELEMETRY_INVALID_VALUE'));
    assert.throws(() => c.inc({ pool: 'a' }, Number.NaN), code('PIPER_TELEMETRY_INVALID_VALUE'));
    assert.equal(c.get({ pool: 'a' }), 0);
  });

  test('numeric label values are written in decimal and share the series of their string form', () => {
    const registry = new MetricsRegistry();
    const c = registry.counter({ name: 'by_status_total', help: 'x', labelNames: ['code'] });
    c.inc({ code: 503 });
    c.inc({ code: '503' });
    assert.match(registry.render(), /^by_status_total\{code="503"\} 2$/m);
  });

  test('collect callbacks run before each render and can be unregistered', () => {
    const registry = new MetricsRegistry();
    const g = registry.gauge({ name: 'live', help: 'x' });
    let n = 0;
    const off = registry.collect(() => g.set(undefined, ++n));
    assert.match(registry.render(), /^live 1$/m);
    assert.match(registry.render(), /^live 2$/m);
    off();
    assert.match(registry.render(), /^live 2$/m);
    assert.equal(MetricsRegistry.contentType, 'text/plain; version=0.0.4; charset=utf-8');
  });
});

describe('processMetrics', () => {
  test('fills memory, CPU, start time and event-loop lag on render', () => {
    const registry = new MetricsRegistry();
    const handle = processMetrics(registry);
    try {
      const text = registry.render();
      const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
      assert.ok(value('process_resident_memory_bytes') > 1_000_000);
      assert.ok(value('process_cpu_seconds_total') > 0);
      const startedAt = value('process_start_time_seconds');
      assert.ok(startedAt > 1_600_000_000 && startedAt <= performance.timeOrigin / 1000 + 1);
      assert.ok(value('nodejs_eventloop_lag_seconds') >= 0);
      assert.match(text, /^# TYPE process_cpu_seconds_total counter$/m);
    } finally {
      handle.close();
      handle.close();
    }
  });
});
