// The long differential run, as `npm run fuzz`:
//
//   npm run fuzz -- --seconds 600              parser mutants for ten minutes (a fresh seed, printed)
//   npm run fuzz -- --seed 7 --count 50000     exactly those 50000 mutants again
//   npm run fuzz -- --e2e --mutants 500 --report DIR
//                                              also piper, nginx and HAProxy end to end, the report in DIR
//
// Prints a summary table and every failing input as a string literal to paste into a test; exits
// 1 when piper failed (a parser disagreement, or an end-to-end case without a todo).
import { parseArgs } from 'node:util';
import { writeReport } from './end-to-end-report.ts';
import { runEndToEnd } from './end-to-end-run.ts';
import { ParserDifferential } from './parser-differential.ts';
import { fuzzParser } from './parser-fuzz.ts';

const USAGE = `Usage: npm run fuzz -- [options]

The balancer's HTTP/1.1 parser against llhttp on seeded mutants of llhttp's own cases, and with
--e2e the same attack bytes sent through piper, nginx and HAProxy to echo backends.

Options:
  --seconds N     run the parser mutants for N seconds (default 60)
  --count N       run exactly N mutants instead (with --seed, repeats a run)
  --seed N        the mutants' seed (default: a fresh one, printed)
  --e2e           also run the end-to-end differential (needs nginx and haproxy from Debian)
  --mutants N     mutated end-to-end cases besides the hand-made ones (default 200)
  --report DIR    write the end-to-end report (differential-report.md and .json) to DIR
  --help          this text

Exit codes: 0 no failure, 1 piper failed (a framing disagreement, or an end-to-end case), 2 usage.`;

function usage(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

let values: { seconds: string; count?: string; seed?: string; e2e: boolean; mutants: string; report?: string; help: boolean };
try {
  values = parseArgs({
    options: {
      seconds: { type: 'string', default: '60' },
      count: { type: 'string' },
      seed: { type: 'string' },
      e2e: { type: 'boolean', default: false },
      mutants: { type: 'string', default: '200' },
      report: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  }).values;
} catch (err) {
  usage((err as Error).message);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

function number(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) usage(`--${flag} must be a whole number, got "${value}"`);
  return n;
}

// A fresh seed per run unless one is given; printed, so any run can be repeated.
const seed = number('seed', values.seed, Math.floor(Math.random() * 2 ** 31));
const seconds = number('seconds', values.seconds, 60);
const count = values.count === undefined ? null : number('count', values.count, 0);
const deadline = performance.now() + seconds * 1000;

const d = await ParserDifferential.start();
const started = performance.now();
const summary = await fuzzParser(d, { seed, more: (n) => (count === null ? performance.now() < deadline : n < count) });
await d.close();
const elapsed = (performance.now() - started) / 1000;

console.log(
  `parser differential: ${summary.inputs} mutants in ${elapsed.toFixed(1)} s, seed ${seed} (repeat: --seed ${seed} --count ${summary.inputs})`,
);
console.log('| verdict | inputs | share |');
console.log('|---|---|---|');
for (const [verdict, n] of Object.entries(summary.byVerdict).sort((a, b) => b[1] - a[1])) {
  console.log(`| ${verdict} | ${n} | ${((100 * n) / summary.inputs).toFixed(2)} % |`);
}
for (const f of summary.failures) {
  console.log(`\nFAIL ${f.role} ${f.verdict} (${f.steps.join(' + ')})\n  input: ${f.input}\n  ${f.detail}`);
}
let failed = summary.failures.length > 0;

if (values.e2e) {
  const run = await runEndToEnd({ seed, mutants: number('mutants', values.mutants, 200) });
  const dir = values.report;
  if (dir !== undefined) console.log(`\nend-to-end report: ${writeReport(run, dir)}`);
  const k = run.proxies.indexOf('piper');
  run.results.forEach((byProxy, i) => {
    const r = byProxy[k];
    if (r === undefined || r.failures.length === 0) return;
    const todo = run.cases[i]?.todo;
    console.log(`\npiper FAIL${todo === undefined ? '' : ` (todo: ${todo})`}: ${r.case}\n  ${r.failures.join('; ')}`);
    if (todo === undefined) failed = true;
  });
  const passed = run.results.map((byProxy) => byProxy.map((r) => (r.failures.length === 0 ? 1 : 0)));
  console.log(`\nend-to-end: ${run.cases.length} cases in ${(run.durationMs / 1000).toFixed(1)} s`);
  console.log('| proxy | passed | failed |');
  console.log('|---|---|---|');
  run.proxies.forEach((name, p) => {
    const ok = passed.reduce((sum, row) => sum + (row[p] ?? 0), 0);
    console.log(`| ${name} | ${ok} | ${run.cases.length - ok} |`);
  });
}

process.exitCode = failed ? 1 : 0;
