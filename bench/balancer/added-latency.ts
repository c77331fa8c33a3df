// Added latency of the balancer at half of its maximum rate, with two controls in the same run:
// nginx as a proxy (what one proxy hop written in C adds on this machine) and a Node byte pipe
// with no HTTP (bench/balancer/node-pipe-peer.ts: what Node's sockets add by themselves).
//
// An nginx backend (100-byte answers), `piper up` in front of it (one pool, every default on:
// health checks, outlier detection, adaptive admission, telemetry), an nginx proxy and the Node
// pipe in front of it too. wrk finds piper up's maximum rate; then half of it is offered to the
// backend directly and through each of the three, in interleaved rounds of the same duration (each
// round in another order). The proxies are pinned to CPU 1; the backend, wrk and the generator to
// CPU 0 (`--backend-cpu 1` moves the backend beside the proxies).
//
// The generator (`--generator`):
// - `wrk` (default): wrk with bench/balancer/paced.lua, where each of `--connections` connections
//   waits an exponentially distributed pause between an answer and its next request, a
//   Poisson-like stream at the rate asked for. wrk is C and costs little of its core, so the
//   direct path's own p99 is a fraction of a millisecond and an added millisecond shows. Latency
//   counts from each request's send (a connection whose answer is late sends its next one late,
//   but a stall delays only the few of the many connections waiting on an answer then).
// - `piper`: `piper loadtest`, open model, latency from the intended send. On this machine it
//   lags at the rates reached here, and a run where it lagged decides nothing.
//
// Prints p50/p90/p99/p99.9 per run, and per round what each proxy adds to the direct p99.
//
// Usage: node bench/balancer/added-latency.ts [--duration 10] [--rounds 3] [--max-seconds 5]
//   [--wrk-connections 50] [--connections 100] [--backend-cpu 0|1] [--generator wrk|piper]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadtestCommand, runLoadtest } from './loadtest-process.ts';
import { freePort, waitForPort, writeNginxBackends, writeNginxProxy } from './nginx-backends.ts';
import { PIPER_BIN, ProcessGroup } from './process-group.ts';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    'max-seconds': { type: 'string', default: '5' },
    'wrk-connections': { type: 'string', default: '50' },
    connections: { type: 'string', default: '100' },
    'backend-cpu': { type: 'string', default: '0' },
    generator: { type: 'string', default: 'wrk' },
  },
});
/** Seconds of uncounted load per target before the rounds (connections opened, code compiled). */
const WARMUP_S = 3;
const durationS = Number(flags.duration);
const rounds = Number(flags.rounds);
const maxSeconds = Number(flags['max-seconds']);
const wrkConnections = Number(flags['wrk-connections']);
const connections = Number(flags.connections);
const backendCpu = flags['backend-cpu'] as string;
const generator = flags.generator as string;
if (backendCpu !== '0' && backendCpu !== '1') throw new Error('--backend-cpu: 0 or 1');
if (generator !== 'wrk' && generator !== 'piper') throw new Error('--generator: wrk or piper');
for (const [k, v] of Object.entries({
  duration: durationS,
  rounds,
  'max-seconds': maxSeconds,
  'wrk-connections': wrkConnections,
  connections,
})) {
  if (!(v > 0)) throw new Error(`--${k}: a positive number is needed`);
}
const PACED_LUA = new URL('./paced.lua', import.meta.url).pathname;
const PIPE_PEER = new URL('./node-pipe-peer.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'piper-added-latency-'));
const group = new ProcessGroup();
const node = process.execPath;

type Target = 'direct' | 'piper up' | 'nginx' | 'node pipe';
const TARGETS: readonly Target[] = ['direct', 'piper up', 'nginx', 'node pipe'];

/** One measured run at the offered rate; latencies in ms. */
interface Run {
  target: Target;
  round: number;
  achieved: number;
  /** Answers other than 2xx/3xx, and requests that failed or timed out. */
  bad: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  /** The generator fell behind its schedule (piper loadtest only): the run decides nothing. */
  lagged: boolean;
}

/** wrk's request rate and non-2xx count against `url` at full speed, wrk pinned to CPU 0. */
async function wrkMax(url: string, seconds: number): Promise<{ rps: number; non2xx: number }> {
  const out = await group.run('wrk', ['-t1', `-c${wrkConnections}`, `-d${seconds}s`, url], '0');
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  if (!Number.isFinite(rps)) throw new Error(`wrk printed no rate:\n${out}`);
  return { rps, non2xx };
}

/** The wrk command offering `rate`/s through paced.lua (PACE_MS comes from the environment). */
function pacedArgs(url: string, seconds: number): string[] {
  return ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '5s', '-s', PACED_LUA, url];
}

/** Offers the rate to `url` for `seconds` with the chosen generator, on CPU 0. */
async function offer(target: Target, round: number, url: string, rate: number, seconds: number): Promise<Run> {
  if (generator === 'piper') {
    const r = await runLoadtest(group, { url, rate, durationS: seconds, connections: 64, cpu: '0' });
    const l = r.latency;
    return {
      target,
      round,
      achieved: r.achievedRps,
      bad: r.counts.scheduled - r.counts.completed,
      p50: l.p50,
      p90: l.p90,
      p99: l.p99,
      p999: l.p999,
      max: l.max,
      lagged: r.generator.bottleneck,
    };
  }
  const out = await group.run('wrk', pacedArgs(url, seconds), '0');
  const m = /RESULT requests=(\d+) duration_us=(\d+) errors=(\d+) non2xx=(\d+) p50=(\d+) p90=(\d+) p99=(\d+) p999=(\d+) max=(\d+)/.exec(
    out,
  );
  if (m === null) throw new Error(`wrk printed no RESULT line:\n${out}`);
  const n = m.slice(1).map(Number) as [number, number, number, number, number, number, number, number, number];
  return {
    target,
    round,
    achieved: n[0] / (n[1] / 1e6),
    bad: n[2] + n[3],
    p50: n[4] / 1000,
    p90: n[5] / 1000,
    p99: n[6] / 1000,
    p999: n[7] / 1000,
    max: n[8] / 1000,
    lagged: false,
  };
}

const f = (v: number, digits = 2): string => (Number.isFinite(v) ? v.toFixed(digits) : '–');
const median = (xs: number[]): number => {
  const v = [...xs].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length === 0 ? Number.NaN : v.length % 2 === 1 ? (v[m] as number) : ((v[m - 1] as number) + (v[m] as number)) / 2;
};

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
  const nginxPort = await freePort();
  const proxyConf = writeNginxProxy(dir, nginxPort, [port]);
  await group.start('sh', ['-c', `echo started; exec nginx -p ${dir} -c ${proxyConf}`], '1', /started/);
  await waitForPort(nginxPort);
  const pipePort = await freePort();
  await group.start(node, [PIPE_PEER, String(pipePort), backendUrl], '1', /listening/);
  const urls: Record<Target, string> = {
    direct: `${backendUrl}/`,
    'piper up': `${publicUrl}/`,
    nginx: `http://127.0.0.1:${nginxPort}/`,
    'node pipe': `http://127.0.0.1:${pipePort}/`,
  };

  process.stderr.write(`wrk warm-up 2 s, then ${maxSeconds} s through piper up\n`);
  await wrkMax(urls['piper up'], 2);
  const max = await wrkMax(urls['piper up'], maxSeconds);
  const rate = Math.max(1, Math.round(max.rps / 2));
  const paceMs = (connections * 1000) / rate;
  process.env.PACE_MS = paceMs.toFixed(3);
  process.stderr.write(`max ${Math.round(max.rps)} req/s (${max.non2xx} non-2xx); offering ${rate}/s with ${generator}\n`);

  for (const target of TARGETS) {
    process.stderr.write(`warm-up: ${target}, ${rate}/s for ${WARMUP_S} s (not counted)\n`);
    await offer(target, 0, urls[target], rate, WARMUP_S);
  }
  const runs: Run[] = [];
  for (let round = 1; round <= rounds; round++) {
    // Rotate the order, so no target always runs on a machine just warmed (or disturbed) by another.
    const order = TARGETS.map((_, i) => TARGETS[(i + round - 1) % TARGETS.length] as Target);
    for (const target of order) {
      process.stderr.write(`round ${round}: ${target}, ${rate}/s for ${durationS} s\n`);
      runs.push(await offer(target, round, urls[target], rate, durationS));
    }
  }

  const p99Of = (target: Target, round: number): number => runs.find((r) => r.round === round && r.target === target)?.p99 ?? Number.NaN;
  const roundNumbers = [...new Set(runs.map((r) => r.round))];
  /** Per round, what the proxy adds to the direct p99 of the same round. */
  const addedP99 = (target: Target): number[] => roundNumbers.map((round) => p99Of(target, round) - p99Of('direct', round));
  const medianOf = (target: Target, key: 'p50' | 'p99'): number => median(runs.filter((r) => r.target === target).map((r) => r[key]));

  const lines: string[] = [];
  const out = (s = ''): void => void lines.push(s);
  out(`\nmax rate through piper up: ${Math.round(max.rps)} req/s (wrk -t1 -c${wrkConnections} -d${maxSeconds}s, ${max.non2xx} non-2xx)`);
  out(
    generator === 'wrk'
      ? `offered ${rate}/s (half): wrk, ${connections} connections, exponential pauses of mean ${f(paceMs)} ms; ${rounds} rounds of ${durationS} s; latency from send, ms\n`
      : `offered ${rate}/s (half): piper loadtest, open model; ${rounds} rounds of ${durationS} s; latency from intended send, ms\n`,
  );
  out('| run | achieved /s | failed or non-2xx | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | generator lagging |');
  out('|---|---|---|---|---|---|---|---|---|');
  for (const r of runs) {
    out(
      `| ${r.target} #${r.round} | ${f(r.achieved, 0)} | ${r.bad} | ${f(r.p50)} | ${f(r.p90)} | ${f(r.p99)} | ${f(r.p999)} | ${f(r.max)} | ${r.lagged ? 'yes' : 'no'} |`,
    );
  }
  out('');
  const lagged = runs.filter((r) => r.lagged).length;
  const controls: Partial<Record<Target, string>> = {
    nginx: '(control: a proxy in C on the same core)',
    'node pipe': '(control: bytes copied by Node, no HTTP)',
  };
  for (const target of ['piper up', 'nginx', 'node pipe'] as const) {
    const added = addedP99(target);
    const verdict =
      controls[target] !== undefined
        ? controls[target]
        : lagged > 0
          ? `(target ≤ 1 ms: undecided, the generator lagged in ${lagged} of ${runs.length} runs)`
          : `(target ≤ 1 ms: ${median(added) <= 1 ? 'met' : 'MISSED'})`;
    out(
      `added by ${target}: p50 ${f(medianOf(target, 'p50') - medianOf('direct', 'p50'))} ms, p99 ${f(median(added))} ms (median of the rounds: ${added.map((a) => f(a)).join(', ')} ms) ${verdict}`,
    );
  }
  out('');
  out(
    generator === 'wrk'
      ? `commands: wrk -t1 -c${wrkConnections} -d${maxSeconds}s <piper up>/; PACE_MS=${process.env.PACE_MS} wrk ${pacedArgs('<target>/', durationS).join(' ')}`
      : `commands: wrk -t1 -c${wrkConnections} -d${maxSeconds}s <piper up>/; ${loadtestCommand({ url: '<target>/', rate, durationS, connections: 64, cpu: '0' })}`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await group.close();
  rmSync(dir, { recursive: true, force: true });
}
