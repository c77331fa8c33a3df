// Accuracy of the capacity finder against servers of known capacity (issue 16): every shape at
// three capacities, the certified rate next to the true limit under Poisson arrivals.
// Usage: node bench/capacity/accuracy.ts [--shapes a,b] [--capacities 40,150,400] [--only shape@N,…]
//        [--parallel N] [--trial MS] [--max-trial MS] [--max-trial-requests N] [--max-trial-cap MS] [--confirm N]
//        [--seed N] [--out FILE] [--verbose]
// Prints a table (shape × capacity: certified, true, error, interval, time) and writes it as
// markdown to --out (default bench/capacity/accuracy.md) for docs/benchmarks.md.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type AccuracyRow, certifyKnownCapacity } from '../../test/fixtures/known-capacity/certify-known-capacity.ts';
import { KNOWN_CAPACITY_SHAPES, type KnownCapacityShape } from '../../test/fixtures/known-capacity/known-capacity-server.ts';

const { values } = parseArgs({
  options: {
    shapes: { type: 'string', default: KNOWN_CAPACITY_SHAPES.join(',') },
    capacities: { type: 'string', default: '40,150,400' },
    only: { type: 'string' },
    parallel: { type: 'string', default: '4' },
    trial: { type: 'string', default: '5000' },
    'max-trial': { type: 'string', default: '30000' },
    'max-trial-requests': { type: 'string', default: '0' },
    'max-trial-cap': { type: 'string', default: '300000' },
    confirm: { type: 'string', default: '1' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: new URL('./accuracy.md', import.meta.url).pathname },
    verbose: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(`usage: node bench/capacity/accuracy.ts [--shapes a,b] [--capacities 40,150,400] [--only shape@N,…]
       [--parallel N] [--trial MS] [--max-trial MS] [--max-trial-requests N] [--max-trial-cap MS] [--confirm N]
       [--seed N] [--out FILE] [--verbose]
Runs the capacity finder against real servers of known capacity (one process each, port 0 on
127.0.0.1), --parallel at a time, and prints certified against true per shape and capacity.
Defaults: every shape at 40, 150 and 400/s, 4 in parallel, 5 s trials, 30 s at most (not stretched
to a request count: --max-trial-requests 0; its cap 300 s), 1 confirmation.`);
  process.exit(0);
}
const shapes = (values.shapes as string).split(',') as KnownCapacityShape[];
const capacities = (values.capacities as string).split(',').map(Number);
const finder = {
  trialMs: Number(values.trial),
  maxTrialMs: Number(values['max-trial']),
  maxTrialRequests: Number(values['max-trial-requests']),
  maxTrialCapMs: Number(values['max-trial-cap']),
  confirmations: Number(values.confirm),
  warmupMs: 1000,
};
// --only shape@N,shape@N picks single runs instead of the shapes × capacities grid.
const jobs =
  values.only === undefined
    ? shapes.flatMap((shape) => capacities.map((capacityRps) => ({ shape, capacityRps })))
    : values.only.split(',').map((s) => {
        const [shape, n] = s.split('@');
        return { shape: shape as KnownCapacityShape, capacityRps: Number(n) };
      });
const rows: AccuracyRow[] = [];
const started = performance.now();
// The runs are light (≤ 400 req/s each, servers in processes of their own), so several share the
// machine; each still has its generator health checked by the finder.
const keepAlive = setInterval(() => {}, 1000);
let next = 0;
await Promise.all(
  Array.from({ length: Math.max(1, Number(values.parallel)) }, async () => {
    while (next < jobs.length) {
      const job = jobs[next++] as (typeof jobs)[number];
      const row = await certifyKnownCapacity(job.shape, job.capacityRps, {
        ...finder,
        seed: Number(values.seed) + next,
        onProgress: (e) => {
          if (values.verbose !== true || e.type !== 'trial-end') return;
          const v = e.verdict;
          const why = v.reasons.length > 0 ? `: ${v.reasons.join('; ')}` : '';
          process.stderr.write(`  ${job.shape}@${job.capacityRps} ${v.phase} ${v.rateRps.toFixed(1)}/s ${v.verdict}${why}\n`);
        },
      });
      rows.push(row);
      process.stderr.write(`${line(row)}\n`);
    }
  }),
);
clearInterval(keepAlive);
rows.sort((a, b) => shapes.indexOf(a.shape) - shapes.indexOf(b.shape) || a.capacityRps - b.capacityRps);

function line(r: AccuracyRow): string {
  const i = r.result.interval;
  return [
    r.shape,
    `${r.capacityRps}/s`,
    r.result.capacityRps.toFixed(1),
    r.trueRps.toFixed(1),
    `${r.error >= 0 ? '+' : ''}${(r.error * 100).toFixed(1)}%`,
    `${i.lowerRps.toFixed(1)}–${i.upperRps === null ? '?' : i.upperRps.toFixed(1)}`,
    `${r.result.trials.length}`,
    `${(r.elapsedMs / 1000).toFixed(0)} s`,
  ].join(' | ');
}

const header = '| shape | N | certified /s | true /s | error | interval /s | trials | time |';
const table = [header, '| --- | --- | --- | --- | --- | --- | --- | --- |', ...rows.map((r) => `| ${line(r)} |`)].join('\n');
const outside = rows.filter((r) => r.error < -0.05 || r.error > 0.02);
const summary =
  `${rows.length} runs, ${((performance.now() - started) / 60_000).toFixed(1)} min wall, ${values.parallel} at a time; ` +
  `finder: trial ${finder.trialMs} ms, max trial ${finder.maxTrialMs} ms (${finder.maxTrialRequests} requests, ${finder.maxTrialCapMs} ms at most), ${finder.confirmations} confirmation(s); ` +
  `${outside.length === 0 ? 'every row within −5 % / +2 %' : `${outside.length} row(s) outside −5 % / +2 %`}`;
process.stdout.write(`${table}\n\n${summary}\n`);
writeFileSync(values.out as string, `${table}\n\n${summary}\n`);
