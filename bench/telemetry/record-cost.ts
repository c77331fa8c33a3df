// Cost of recording one request in piper's telemetry, against prom-client (the usual Node
// Prometheus client) in the same run. Run: node bench/telemetry/record-cost.ts [iterations]
// Prints ns per operation (median of interleaved rounds) and the ratio to prom-client's
// labelled histogram.observe, which is what a typical instrumented Node proxy pays per request.
import { Counter as PromCounter, Histogram as PromHistogram, Registry as PromRegistry } from 'prom-client';
import { ManualClock, SeededRandom } from '../../src/core/index.ts';
import {
  DURATION_BUCKETS_SECONDS,
  LatencyHistogram,
  MetricsRegistry,
  type RequestOutcome,
  WindowAggregator,
} from '../../src/telemetry/index.ts';

const iterations = Number(process.argv[2] ?? 1_000_000);
const rounds = 5;

const random = new SeededRandom(7);
const routes = ['web', 'api'];
const pools = ['vendor', 'inhouse'];
const backends = ['b1', 'b2', 'b3'];
const outcomes: RequestOutcome[] = Array.from({ length: 4096 }, () => {
  const status = random.next() < 0.02 ? 503 : 200;
  return {
    route: routes[random.int(routes.length)] as string,
    pool: pools[random.int(pools.length)] as string,
    backend: backends[random.int(backends.length)] as string,
    status,
    errorKind: status === 503 ? 'timeout' : null,
    latencyMs: 0.3 + -Math.log(1 - random.next()) * 4,
    bytesIn: 120,
    bytesOut: 1000,
    retries: 0,
  };
});
const mask = outcomes.length - 1;

const clock = new ManualClock();
const aggregator = new WindowAggregator({ clock, retain: 10 });
const latency = new LatencyHistogram();
const ours = new MetricsRegistry();
const ourHistogram = ours.histogram({
  name: 'h_seconds',
  help: 'h',
  labelNames: ['route', 'pool', 'backend'],
  buckets: DURATION_BUCKETS_SECONDS,
});
const ourCounter = ours.counter({ name: 'c_total', help: 'c', labelNames: ['route', 'pool', 'backend'] });
const prom = new PromRegistry();
const promHistogram = new PromHistogram({
  name: 'h_seconds',
  help: 'h',
  labelNames: ['route', 'pool', 'backend'],
  buckets: [...DURATION_BUCKETS_SECONDS],
  registers: [prom],
});
const promCounter = new PromCounter({ name: 'c_total', help: 'c', labelNames: ['route', 'pool', 'backend'], registers: [prom] });

const cases: Record<string, () => void> = {
  'WindowAggregator.record': () => {
    for (let i = 0; i < iterations; i++) aggregator.record(outcomes[i & mask] as RequestOutcome);
  },
  'LatencyHistogram.record': () => {
    for (let i = 0; i < iterations; i++) latency.record((outcomes[i & mask] as RequestOutcome).latencyMs);
  },
  'MetricsRegistry histogram.observe (3 labels)': () => {
    for (let i = 0; i < iterations; i++) {
      const o = outcomes[i & mask] as RequestOutcome;
      ourHistogram.observe({ route: o.route, pool: o.pool, backend: o.backend as string }, o.latencyMs / 1000);
    }
  },
  'prom-client histogram.observe (3 labels)': () => {
    for (let i = 0; i < iterations; i++) {
      const o = outcomes[i & mask] as RequestOutcome;
      promHistogram.observe({ route: o.route, pool: o.pool, backend: o.backend as string }, o.latencyMs / 1000);
    }
  },
  'MetricsRegistry counter.inc (3 labels)': () => {
    for (let i = 0; i < iterations; i++) {
      const o = outcomes[i & mask] as RequestOutcome;
      ourCounter.inc({ route: o.route, pool: o.pool, backend: o.backend as string });
    }
  },
  'prom-client counter.inc (3 labels)': () => {
    for (let i = 0; i < iterations; i++) {
      const o = outcomes[i & mask] as RequestOutcome;
      promCounter.inc({ route: o.route, pool: o.pool, backend: o.backend as string });
    }
  },
};

const closes: number[] = [];
const samples = new Map<string, number[]>(Object.keys(cases).map((k) => [k, []]));
for (const fn of Object.values(cases)) fn(); // warm-up: JIT and every label set seen once
for (let r = 0; r < rounds; r++) {
  for (const [name, fn] of Object.entries(cases)) {
    const t0 = process.hrtime.bigint();
    fn();
    samples.get(name)?.push(Number(process.hrtime.bigint() - t0) / iterations);
  }
  // A realistic window: 20k requests (about a saturated single-core balancer's second), then
  // the close the balancer pays once a second: summaries, HDR encoding, bucket counts, probe.
  clock.advance(1000);
  for (let i = 0; i < 20_000; i++) aggregator.record(outcomes[i & mask] as RequestOutcome);
  const t0 = process.hrtime.bigint();
  clock.advance(1000);
  closes.push(Number(process.hrtime.bigint() - t0) / 1000);
}
aggregator.close();

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const peer = median(samples.get('prom-client histogram.observe (3 labels)') ?? []);
console.log(`node ${process.version}, ${iterations} operations per round, median of ${rounds} interleaved rounds`);
console.log('operation'.padEnd(62), 'ns/op'.padStart(8), '  vs prom-client histogram.observe');
for (const [name, xs] of samples) {
  const m = median(xs);
  console.log(name.padEnd(62), m.toFixed(1).padStart(8), ` ${(m / peer).toFixed(2)}x`);
}
console.log(`window close after 20k requests (2 routes, 2 pools, 6 backends, 12 flows): median ${median(closes).toFixed(0)} µs`);
