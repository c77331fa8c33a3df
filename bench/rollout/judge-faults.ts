// The judge under faults (issue 24, "Measured"): degrade, stall and A/A on a real `piper up`, each
// figure printed beside its requirement, as a table and as JSON. The scenarios are the ones the
// bounded tests run (test/judge-faults.ts); here they run more often and longer.
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { type AaResult, aaRun, type DegradeResult, degradeRun, type StallResult, stallRun } from '../../test/judge-faults.ts';

const USAGE = `Usage: node bench/rollout/judge-faults.ts [options]

A real piper up in front of two node:http pools (vendor, inhouse), 100 GETs a second through it,
a migration to inhouse held at 50 % (route SLO 300 ms, failover vendor), then a fault on inhouse:

  degrade  5 % of its requests slower by 10 ms more each second, no errors; adaptive concurrency
           on and off. Requirement: rollback ≤ 10 s after the fault starts, 0 failed requests.
  stall    it stops answering (health checks too). Requirement: rollback ≤ 0.5 s after the
           stall, no client waits more than 1 s beyond the rollback, 0 GETs answered 504.
  aa       no fault (both pools the same server) for --aa-minutes. Requirement: no rollback,
           no hold.

  --runs N          runs of degrade (for each adaptive setting) and of stall (default 3)
  --aa-minutes M    length of the A/A run (default 10)
  --only S          one scenario: degrade, stall or aa (default: all three)
  --help            this text
`;

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'aa-minutes': { type: 'string', default: '10' },
    only: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const runs = Number(values.runs);
const aaMinutes = Number(values['aa-minutes']);
const only = values.only;
if (!Number.isInteger(runs) || runs < 1) usage(`--runs must be a whole number ≥ 1, not ${values.runs}`);
if (!(aaMinutes > 0)) usage(`--aa-minutes must be a number > 0, not ${values['aa-minutes']}`);
if (only !== undefined && !['degrade', 'stall', 'aa'].includes(only)) usage(`--only must be degrade, stall or aa, not ${only}`);

function usage(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}`);
  process.exit(2);
}

const wanted = (s: string): boolean => only === undefined || only === s;
const progress = (line: string): boolean => process.stderr.write(`  ${line}\n`);
const list = (xs: readonly (number | string | null)[]): string => xs.map((x) => x ?? '–').join(', ');
const max = (xs: readonly number[]): number => Math.max(...xs);
const verdict = (ok: boolean): string => (ok ? 'met' : '**NOT met**');
/** `37 (503: 30, 504: 7)`: a run's failed requests and their statuses. */
const failures = (r: { failed: number; failedBy: Record<string, number> }): string =>
  r.failed === 0
    ? '0'
    : `${r.failed} (${Object.entries(r.failedBy)
        .map(([status, n]) => `${status}: ${n}`)
        .join(', ')})`;

const started = new Date();
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim();
const load = loadavg()[0]?.toFixed(1);

const degrade: DegradeResult[] = [];
if (wanted('degrade')) {
  for (const adaptive of [true, false]) {
    for (let i = 0; i < runs; i++) {
      degrade.push(await degradeRun({ adaptive }));
      progress(`degrade, adaptive ${adaptive ? 'on' : 'off'}, run ${i + 1}: ${JSON.stringify(degrade.at(-1))}`);
    }
  }
}
const stall: StallResult[] = [];
if (wanted('stall')) {
  for (let i = 0; i < runs; i++) {
    stall.push(await stallRun());
    progress(`stall, run ${i + 1}: ${JSON.stringify(stall.at(-1))}`);
  }
}
let aa: AaResult | null = null;
if (wanted('aa')) {
  progress(`A/A for ${aaMinutes} min`);
  aa = await aaRun(aaMinutes);
  progress(`A/A: ${JSON.stringify(aa)}`);
}

console.log(
  `\n${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, commit ${commit}, Node ${process.versions.node}, load average ${load} at the start\n`,
);
console.log('| scenario | figure | each run | requirement | |');
console.log('|---|---|---|---|---|');
for (const adaptive of [true, false]) {
  const rs = degrade.filter((r) => r.adaptive === adaptive);
  if (rs.length === 0) continue;
  const name = `degrade, adaptive ${adaptive ? 'on' : 'off'}`;
  const ms = rs.map((r) => r.rollbackMs);
  const failed = rs.map((r) => r.failed);
  console.log(`| ${name} | fault start → rollback, ms | ${list(ms)} | ≤ 10 000 | ${verdict(max(ms) <= 10_000)} |`);
  console.log(`| ${name} | failed requests (by status) | ${list(rs.map(failures))} | 0 | ${verdict(max(failed) === 0)} |`);
  console.log(`| ${name} | rule | ${list(rs.map((r) => r.reason))} | | |`);
  console.log(`| ${name} | target p99 at the rollback, ms | ${list(rs.map((r) => r.targetP99Ms))} | | |`);
}
if (stall.length > 0) {
  const ms = stall.map((r) => r.rollbackMs);
  const beyond = stall.map((r) => r.longestWaitBeyondMs);
  const r504 = stall.map((r) => r.answered504);
  console.log(`| stall | stall → rollback, ms | ${list(ms)} | ≤ 500 | ${verdict(max(ms) <= 500)} |`);
  console.log(`| stall | longest client wait beyond the rollback, ms | ${list(beyond)} | ≤ 1 000 | ${verdict(max(beyond) <= 1000)} |`);
  console.log(`| stall | GETs answered 504 | ${list(r504)} | 0 | ${verdict(max(r504) === 0)} |`);
  console.log(`| stall | requests waiting at the rollback | ${list(stall.map((r) => r.waitingAtRollback))} | | |`);
  console.log(`| stall | requests not answered 200 (by status) | ${list(stall.map(failures))} | | |`);
  console.log(`| stall | rule | ${list(stall.map((r) => r.reason))} | | |`);
}
if (aa !== null) {
  const name = `A/A, ${aa.minutes} min, ${aa.requests} requests`;
  console.log(`| ${name} | rollbacks | ${aa.rollbacks} | 0 | ${verdict(aa.rollbacks === 0)} |`);
  console.log(`| ${name} | holds | ${aa.holds} | 0 | ${verdict(aa.holds === 0)} |`);
  console.log(`| ${name} | failed requests (by status) | ${failures(aa)} | | |`);
}
console.log(
  `\n${JSON.stringify({ at: started.toISOString(), commit, node: process.versions.node, loadAverage: Number(load), degrade, stall, aa })}`,
);
