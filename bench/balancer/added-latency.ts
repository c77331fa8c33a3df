// Added latency of the balancer at half of its maximum rate. An nginx backend (100-byte answers)
// and `piper up` in front of it (one pool, every default on: health checks, outlier detection,
// adaptive admission, telemetry). wrk finds the balancer's maximum rate; then `piper loadtest`
// offers half of it as an open-model constant rate, directly to the backend and through the
// balancer, interleaved in rounds of the same duration. Prints p50/p99 of each and the difference.
// The balancer is pinned to CPU 1; wrk and the load generator to CPU 0; the backend to CPU 0 too
// (`--backend-cpu 0`, the default), or to CPU 1 beside the balancer (`--backend-cpu 1`), which
// leaves the generator a core of its own: at half the balancer's maximum rate a generator sharing
// its core with the backend lags, and its lag is in both latencies.
//
// Usage: node bench/balancer/added-latency.ts [--duration 10] [--rounds 2] [--max-seconds 5] [--wrk-connections 50] [--backend-cpu 0|1]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { LoadResult } from '../../src/loadgen/index.ts';
import { LatencyHistogram } from '../../src/telemetry/index.ts';
import { latencyHistogram, loadtestCommand, runLoadtest } from './loadtest-process.ts';
import { freePort, waitForPort, writeNginxBackends } from './nginx-backends.ts';
import { PIPER_BIN, ProcessGroup } from './process-group.ts';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
    'max-seconds': { type: 'string', default: '5' },
    'wrk-connections': { type: 'string', default: '50' },
    'backend-cpu': { type: 'string', default: '0' },
  },
});
/** Seconds of uncounted load per target before the rounds. */
const WARMUP_S = 3;
const durationS = Number(flags.duration);
const rounds = Number(flags.rounds);
const maxSeconds = Number(flags['max-seconds']);
const wrkConnections = Number(flags['wrk-connections']);
const backendCpu = flags['backend-cpu'] as string;
if (backendCpu !== '0' && backendCpu !== '1') throw new Error('--backend-cpu: 0 or 1');
for (const [k, v] of Object.entries({ durationS, rounds, maxSeconds, wrkConnections })) {
  if (!(v > 0)) throw new Error(`--${k}: a positive number is needed`);
}
const dir = mkdtempSync(join(tmpdir(), 'piper-added-latency-'));
const group = new ProcessGroup();
const node = process.execPath;

/** wrk's request rate and non-2xx count against `url`, wrk pinned to CPU 0. */
async function wrk(url: string, seconds: number): Promise<{ rps: number; non2xx: number }> {
  const out = await group.run('wrk', ['-t1', `-c${wrkConnections}`, `-d${seconds}s`, url], '0');
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  if (!Number.isFinite(rps)) throw new Error(`wrk printed no rate:\n${out}`);
  return { rps, non2xx };
}

/** Median and worst of the per-second p99s: one stall a second shows as a high worst, uniform slowness as a high median. */
function secondP99s(r: LoadResult): string {
  const p = r.timeline.map((t) => t.latencyP99Ms).sort((a, b) => a - b);
  return `${f(p[Math.floor(p.length / 2)] ?? Number.NaN, 1)} / ${f(p[p.length - 1] ?? Number.NaN, 1)}`;
}

const f = (v: number, digits = 2): string => (Number.isFinite(v) ? v.toFixed(digits) : '–');

try {
  // nginx, not a Node server, as the backend: it answers in microseconds at a few % of CPU 0, so
  // the direct p99 measures the generator and the network path, not a second event loop.
  const port = await freePort();
  const conf = writeNginxBackends(dir, [port]);
  await group.start('sh', ['-c', `echo started; exec nginx -p ${dir} -c ${conf}`], backendCpu, /started/);
  await waitForPort(port);
  const backendUrl = `http://127.0.0.1:${port}`;
  const cfg = join(dir, 'piper.yaml');
  writeFileSync(
    cfg,
    `listeners: [{ name: public, port: 0 }]
admin: { port: 0 }
dashboard: { enabled: false }
logging: { level: warn }
pools:
  p:
    backends: [{ name: b1, url: "${backendUrl}" }]
routes: [{ name: web, split: { p: 1 } }]
`,
  );
  const up = await group.start(node, [PIPER_BIN, 'up', '--config', cfg, '--port', '0', '--admin-port', '0'], '1', /listening admin (\S+)/);
  const publicUrl = /listening public (\S+)/.exec(up.match.input)?.[1];
  if (publicUrl === undefined) throw new Error(`piper up printed no public listener: ${up.match.input}`);

  process.stderr.write(`wrk warm-up 2 s, then ${maxSeconds} s through piper up\n`);
  await wrk(`${publicUrl}/`, 2);
  const max = await wrk(`${publicUrl}/`, maxSeconds);
  const rate = Math.max(1, Math.round(max.rps / 2));
  process.stderr.write(`max ${Math.round(max.rps)} req/s (${max.non2xx} non-2xx); offering ${rate}/s\n`);

  // A warm-up run per target at the same rate, not counted: a fresh generator opens its 64
  // connections and compiles its paths in its first second (per-second p99 30–80 ms there, on
  // either target), which would otherwise be the run's p99.
  for (const target of ['direct', 'piper up'] as const) {
    const url = `${target === 'direct' ? backendUrl : publicUrl}/`;
    process.stderr.write(`warm-up: ${target}, ${rate}/s for ${WARMUP_S} s (not counted)\n`);
    await runLoadtest(group, { url, rate, durationS: WARMUP_S, connections: 64, cpu: '0' });
  }
  const runs: { target: 'direct' | 'piper up'; round: number; result: LoadResult }[] = [];
  for (let round = 1; round <= rounds; round++) {
    // Alternate which goes first, so neither always runs on a machine just warmed (or disturbed) by the other.
    const order = round % 2 === 1 ? (['direct', 'piper up'] as const) : (['piper up', 'direct'] as const);
    for (const target of order) {
      const url = `${target === 'direct' ? backendUrl : publicUrl}/`;
      process.stderr.write(`round ${round}: ${target}, ${rate}/s for ${durationS} s\n`);
      runs.push({ target, round, result: await runLoadtest(group, { url, rate, durationS, connections: 64, cpu: '0' }) });
    }
  }

  const merged = (target: string): LatencyHistogram => {
    const h = new LatencyHistogram();
    for (const r of runs.filter((x) => x.target === target)) h.merge(latencyHistogram(r.result));
    return h;
  };
  const direct = merged('direct');
  const via = merged('piper up');
  const lines: string[] = [];
  const out = (s = ''): void => void lines.push(s);
  out(`\nmax rate through piper up: ${Math.round(max.rps)} req/s (wrk -t1 -c${wrkConnections} -d${maxSeconds}s, ${max.non2xx} non-2xx)`);
  out(`offered ${rate}/s (half), open model, ${rounds} interleaved rounds of ${durationS} s each; latency from intended send, ms\n`);
  out(
    '| run | achieved /s | non-2xx | p50 ms | p90 ms | p99 ms | p99.9 ms | generator send-lag p99 ms | generator bottleneck | 1-s p99 median / max ms |',
  );
  out('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of runs) {
    const l = r.result.latency;
    const bad = r.result.counts.scheduled - r.result.counts.completed;
    out(
      `| ${r.target} #${r.round} | ${f(r.result.achievedRps, 0)} | ${bad} | ${f(l.p50)} | ${f(l.p90)} | ${f(l.p99)} | ${f(l.p999)} | ${f(r.result.generator.sendLagP99Ms)} | ${r.result.generator.bottleneck ? 'yes' : 'no'} | ${secondP99s(r.result)} |`,
    );
  }
  const d = direct.summary();
  const v = via.summary();
  out(`| direct, all rounds | | | ${f(d.p50)} | ${f(d.p90)} | ${f(d.p99)} | ${f(d.p999)} | | | |`);
  out(`| piper up, all rounds | | | ${f(v.p50)} | ${f(v.p90)} | ${f(v.p99)} | ${f(v.p999)} | | | |`);
  const added = v.p99 - d.p99;
  // The median of the per-second p99s is what the path adds second after second; the run's p99
  // also holds the few seconds the machine stalls, on either side.
  const medianSecondP99 = (target: string): number => {
    const p = runs
      .filter((r) => r.target === target)
      .flatMap((r) => r.result.timeline.map((t) => t.latencyP99Ms))
      .sort((a, b) => a - b);
    return p[Math.floor(p.length / 2)] ?? Number.NaN;
  };
  const lagged = runs.filter((r) => r.result.generator.bottleneck).length;
  const verdict = lagged > 0 ? `undecided: the generator lagged in ${lagged} of ${runs.length} runs` : added <= 1 ? 'met' : 'MISSED';
  out('');
  out(
    `added by piper up: p50 ${f(v.p50 - d.p50)} ms, p99 ${f(added)} ms (target ≤ 1 ms: ${verdict}); ratio p99 piper up ÷ direct = ${f(v.p99 / d.p99)}×`,
  );
  out(
    `median of the per-second p99s: direct ${f(medianSecondP99('direct'))} ms, piper up ${f(medianSecondP99('piper up'))} ms, added ${f(medianSecondP99('piper up') - medianSecondP99('direct'))} ms`,
  );
  out(
    `per round, p99 added: ${[...new Set(runs.map((r) => r.round))]
      .map((round) => {
        const p = (t: string): number => runs.find((r) => r.round === round && r.target === t)?.result.latency.p99 ?? Number.NaN;
        return f(p('piper up') - p('direct'));
      })
      .join(', ')} ms`,
  );
  out('');
  out(
    `commands: wrk -t1 -c${wrkConnections} -d${maxSeconds}s <piper up>/; ${loadtestCommand({ url: '<backend or piper up>/', rate, durationS, connections: 64, cpu: '0' })}`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await group.close();
  rmSync(dir, { recursive: true, force: true });
}
