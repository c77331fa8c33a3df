/**
 * The capacity finder against simulated known-capacity servers on virtual time: the same search,
 * the same verdicts, the same server rules, no sockets, so many seeds take seconds. It shows the
 * finder's statistical bias and run-to-run spread apart from the noise of a shared machine; the
 * real servers (`accuracy.ts`) remain the measurement of record.
 *
 *   node_modules/.bin/node bench/capacity/simulated.ts --shapes single-queue --capacities 40 --seeds 20
 */
import { parseArgs } from 'node:util';
import { SeededRandom } from '../../src/core/index.ts';
import { constantPlan, findCapacity } from '../../src/loadgen/index.ts';
import { LatencyHistogram } from '../../src/telemetry/index.ts';
import { BENCH_FINDER } from '../../test/fixtures/known-capacity/certify-known-capacity.ts';
import { CapacityModel, KNOWN_CAPACITY_SHAPES, type KnownCapacityShape } from '../../test/fixtures/known-capacity/known-capacity-server.ts';
import { trueLimit } from '../../test/fixtures/known-capacity/true-limit.ts';
import { simulatedRun, VirtualClock } from './simulated-run.ts';

const { values } = parseArgs({
  options: {
    shapes: { type: 'string', default: KNOWN_CAPACITY_SHAPES.join(',') },
    capacities: { type: 'string', default: '40,150,400' },
    seeds: { type: 'string', default: '10' },
    trial: { type: 'string', default: String(BENCH_FINDER.trialMs) },
    'max-trial': { type: 'string', default: String(BENCH_FINDER.maxTrialMs) },
    'max-trial-requests': { type: 'string' },
    'max-trial-cap': { type: 'string' },
    confirm: { type: 'string', default: String(BENCH_FINDER.confirmations) },
    verbose: { type: 'boolean', default: false },
    trials: { type: 'boolean', default: false },
    noise: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(`usage: node bench/capacity/simulated.ts [--shapes a,b] [--capacities 40,150,400] [--seeds N]
       [--trial MS] [--max-trial MS] [--max-trial-requests N] [--max-trial-cap MS] [--confirm N]
       [--verbose] [--trials] [--noise]
Runs the capacity finder against simulated known-capacity servers (virtual time) for seeds 1..N
and prints, per shape and capacity, the true limit and the certified rates' error: median, worst
low, worst high, spread (max − min over the median), virtual time per run. --verbose prints each
run, --trials each trial. --max-trial-requests and --max-trial-cap default to the finder's own. --noise instead runs 40 trials of --max-trial at each true limit and
prints how much one trial's p99 and miss ratio vary there (what one trial can tell).`);
  process.exit(0);
}

const slo = { p99Ms: 300, maxErrorRatio: 0.01 };
const shapes = values.shapes.split(',') as KnownCapacityShape[];
const capacities = values.capacities.split(',').map(Number);
const seeds = Number(values.seeds);

if (values.noise) {
  await trialNoise();
  process.exit(0);
}

const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
console.log('| shape | N | true /s | median | low | high | spread | virtual time |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const shape of shapes) {
  for (const capacityRps of capacities) {
    const truth = trueLimit(shape, capacityRps, slo);
    const errors: number[] = [];
    const times: number[] = [];
    for (let seed = 1; seed <= seeds; seed++) {
      const clock = new VirtualClock();
      const model = new CapacityModel({ shape, capacityRps, seed: 1000 + seed, sloMs: slo.p99Ms });
      const random = new SeededRandom(seed);
      const result = await findCapacity({
        target: 'http://simulated',
        requests: [{ name: 'get', method: 'GET', path: '/', headers: {}, body: null, weight: 1 }],
        slo,
        clock,
        random,
        trialMs: Number(values.trial),
        maxTrialMs: Number(values['max-trial']),
        ...(values['max-trial-requests'] === undefined ? {} : { maxTrialRequests: Number(values['max-trial-requests']) }),
        ...(values['max-trial-cap'] === undefined ? {} : { maxTrialCapMs: Number(values['max-trial-cap']) }),
        warmupMs: BENCH_FINDER.warmupMs,
        confirmations: Number(values.confirm),
        run: simulatedRun(model, clock, random),
        ...(values.trials
          ? {
              onProgress: (e) => {
                if (e.type === 'trial-end' && e.verdict.verdict !== 'pass') {
                  console.error(`      ${e.verdict.rateRps.toFixed(2)}/s ${e.verdict.verdict}: ${e.verdict.reasons.join('; ')}`);
                }
              },
            }
          : {}),
      });
      errors.push(result.capacityRps / truth - 1);
      times.push(clock.monotonic() / 1000);
      if (values.verbose) {
        console.error(
          `${shape} ${capacityRps}/s seed ${seed}: ${result.capacityRps}/s (${pct(result.capacityRps / truth - 1)}), ${result.trials.length} trials, ${result.reason}`,
        );
        if (values.trials)
          for (const t of result.trials)
            console.error(
              `    ${t.rateRps}/s ${t.durationMs} ms p99 ${t.p99Ms.toFixed(0)} err ${(t.errorRatio * 100).toFixed(2)}% ${t.verdict}`,
            );
      }
    }
    const sorted = [...errors].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] as number;
    const low = sorted[0] as number;
    const high = sorted[sorted.length - 1] as number;
    const meanTime = times.reduce((a, b) => a + b, 0) / times.length;
    console.log(
      `| ${shape} | ${capacityRps}/s | ${truth.toFixed(2)} | ${pct(median)} | ${pct(low)} | ${pct(high)} | ${(((high - low) / (1 + median)) * 100).toFixed(1)} pts | ${meanTime.toFixed(0)} s |`,
    );
  }
}

// One trial's p99 and miss ratio at the true limit, over 40 trials in a row (the queue kept).
async function trialNoise(): Promise<void> {
  const durationMs = Number(values['max-trial']);
  console.log(`| shape | N | true /s | trial p99 mean ± sd | trials with no miss | miss ratio p10 / p50 / p90 |`);
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const shape of shapes) {
    for (const capacityRps of capacities) {
      const truth = trueLimit(shape, capacityRps, slo);
      const clock = new VirtualClock();
      // Apart from the arrivals' seed: the same stream for both would tie each service time to a gap.
      const model = new CapacityModel({ shape, capacityRps, seed: 1007, sloMs: slo.p99Ms });
      const random = new SeededRandom(7);
      const run = simulatedRun(model, clock, random);
      const p99s: number[] = [];
      const ratios: number[] = [];
      for (let i = 0; i < 40; i++) {
        const r = await run({
          target: 'http://simulated',
          requests: [],
          model: { kind: 'open', plan: constantPlan(truth, durationMs), arrivals: 'poisson' },
          clock,
          random,
          timeoutMs: 5 * slo.p99Ms,
          judge: { fromMs: durationMs / 4, boundMs: slo.p99Ms },
        });
        const judged = r.judged;
        if (judged === null) continue;
        p99s.push(LatencyHistogram.decode(judged.latency).percentile(99));
        ratios.push(Math.max(judged.slow, judged.errors) / judged.scheduled);
      }
      const mean = p99s.reduce((a, b) => a + b, 0) / p99s.length;
      const sd = Math.sqrt(p99s.reduce((a, b) => a + (b - mean) ** 2, 0) / (p99s.length - 1));
      const sorted = [...ratios].sort((a, b) => a - b);
      const at = (q: number): string => `${(((sorted[Math.floor(q * (sorted.length - 1))] as number) ?? 0) * 100).toFixed(2)}%`;
      console.log(
        `| ${shape} | ${capacityRps}/s | ${truth.toFixed(2)} | ${mean.toFixed(0)} ± ${sd.toFixed(0)} ms | ${ratios.filter((x) => x === 0).length} of ${ratios.length} | ${at(0.1)} / ${at(0.5)} / ${at(0.9)} |`,
      );
    }
  }
}
