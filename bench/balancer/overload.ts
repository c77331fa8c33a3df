// Overload: two `piper serve --capacity-rps N` backends (capacity C = 2N) behind `piper up` (one
// pool, adaptive admission and every other default on), first offered ~0.3 C to get the unloaded
// p99, then 3× C with `piper loadtest` (open model). Reports goodput vs C, p99 of admitted requests
// vs 2× the unloaded p99, the shed share and how fast the shed answers were, and the balancer's
// RSS every second. The peer, in the same run: one `piper serve --capacity-rps C` alone under the
// same offered load. The balancer is pinned to CPU 1; backends and load generators to CPU 0.
//
// Usage: node bench/balancer/overload.ts [--duration 60] [--unloaded 10] [--warmup 3] [--capacity 100] [--factor 3] [--probe-rate 20] [--outlier-detection on|off]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { LoadResult } from '../../src/loadgen/index.ts';
import type { TelemetryWindow } from '../../src/telemetry/index.ts';
import { loadtestCommand, perSecond, runLoadtest } from './loadtest-process.ts';
import { PIPER_BIN, ProcessGroup, rssKiB } from './process-group.ts';
import { type ProbeSample, percentileOf, runProbe } from './status-probe.ts';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    unloaded: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    capacity: { type: 'string', default: '100' },
    factor: { type: 'string', default: '3' },
    'probe-rate': { type: 'string', default: '20' },
    connections: { type: 'string', default: '512' },
    // Off only to see what admission alone does: a backend answering 503 is otherwise ejected.
    'outlier-detection': { type: 'string', default: 'on' },
  },
});
const durationS = Number(flags.duration);
const unloadedS = Number(flags.unloaded);
const warmupS = Number(flags.warmup);
const perBackend = Number(flags.capacity);
const factor = Number(flags.factor);
const probeRate = Number(flags['probe-rate']);
const connections = Number(flags.connections);
const outlierDetection = flags['outlier-detection'] === 'on';
if (!['on', 'off'].includes(flags['outlier-detection'] as string)) throw new Error('--outlier-detection: on or off');
for (const [k, v] of Object.entries({ durationS, unloadedS, warmupS, perBackend, factor, probeRate, connections })) {
  if (!(v > 0)) throw new Error(`--${k}: a positive number is needed`);
}
const C = 2 * perBackend;
const offered = Math.round(factor * C);
// The probe is part of the offered load: loadtest sends the rest.
const loadRate = offered - probeRate;
const unloadedRate = Math.round(0.3 * C);
const dir = mkdtempSync(join(tmpdir(), 'piper-overload-'));
const group = new ProcessGroup();
const node = process.execPath;
const LISTENING_PLATFORM = /listening platform (\S+)/;

/** What one system under test did: unloaded, then overloaded. */
interface Outcome {
  name: string;
  unloaded: LoadResult;
  overload: LoadResult;
  probe: ProbeSample[];
  rss: number[];
  windows: TelemetryWindow[];
}

async function serve(capacity: number, name: string): Promise<{ url: string; child: import('node:child_process').ChildProcess }> {
  const s = await group.start(
    node,
    [PIPER_BIN, 'serve', '--port', '0', '--data-dir', join(dir, name), '--capacity-rps', String(capacity), '--log-level', 'warn'],
    '0',
    LISTENING_PLATFORM,
  );
  return { url: s.match[1] as string, child: s.child };
}

/** Unloaded run, then the overload run with the probe beside it and RSS of `pid` sampled every second. */
async function measure(name: string, url: string, pid: number): Promise<Omit<Outcome, 'windows'>> {
  const target = `${url}/api/v1/status`;
  // Warm-up (discarded): JIT, connection pools and the adaptive limit's first windows.
  process.stderr.write(`${name}: warm-up, ${unloadedRate}/s for ${warmupS} s\n`);
  await runLoadtest(group, { url: target, rate: unloadedRate, durationS: warmupS, connections: 64, cpu: '0' });
  process.stderr.write(`${name}: unloaded, ${unloadedRate}/s for ${unloadedS} s\n`);
  const unloaded = await runLoadtest(group, { url: target, rate: unloadedRate, durationS: unloadedS, connections: 64, cpu: '0' });
  process.stderr.write(`${name}: overload, ${offered}/s (${loadRate}/s loadtest + ${probeRate}/s probe) for ${durationS} s\n`);
  const rss: number[] = [rssKiB(pid)];
  const sampler = setInterval(() => rss.push(rssKiB(pid)), 1000);
  try {
    const [overload, probe] = await Promise.all([
      runLoadtest(group, { url: target, rate: loadRate, durationS, connections, cpu: '0' }),
      runProbe(target, probeRate, durationS),
    ]);
    return { name, unloaded, overload, probe, rss };
  } finally {
    clearInterval(sampler);
  }
}

async function viaBalancer(): Promise<Outcome> {
  const b1 = await serve(perBackend, 'b1');
  const b2 = await serve(perBackend, 'b2');
  const cfg = join(dir, 'piper.yaml');
  writeFileSync(
    cfg,
    `listeners: [{ name: public, port: 0 }]
admin: { port: 0 }
dashboard: { enabled: false }
logging: { level: warn }
pools:
  p:
    backends: [{ name: b1, url: "${b1.url}" }, { name: b2, url: "${b2.url}" }]
    outlierDetection: { enabled: ${outlierDetection} }
routes: [{ name: web, split: { p: 1 } }]
`,
  );
  const up = await group.start(node, [PIPER_BIN, 'up', '--config', cfg, '--port', '0', '--admin-port', '0'], '1', /listening admin (\S+)/);
  const stdout = up.match.input;
  const publicUrl = /listening public (\S+)/.exec(stdout)?.[1];
  if (publicUrl === undefined) throw new Error(`piper up printed no public listener: ${stdout}`);
  const since = Date.now();
  const m = await measure('piper up', publicUrl, up.pid);
  const res = await fetch(`${up.match[1]}/api/v1/windows`, { signal: AbortSignal.timeout(5_000) });
  const windows = ((await res.json()) as { windows: TelemetryWindow[] }).windows.filter((w) => w.start >= since);
  await group.stop(up.child);
  await Promise.all([group.stop(b1.child), group.stop(b2.child)]);
  return { ...m, windows };
}

async function backendAlone(): Promise<Outcome> {
  const peer = await serve(C, 'peer');
  const m = await measure('piper serve alone', peer.url, peer.child.pid as number);
  await group.stop(peer.child);
  return { ...m, windows: [] };
}

/** How many times each value occurs, by value. */
const tally = (xs: number[]): Map<number, number> => {
  const m = new Map<number, number>();
  for (const x of [...xs].sort((a, b) => a - b)) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
};
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
/**
 * Means of the first, middle and last third of the RSS samples. The first third holds the warm-up
 * (code paged in, JIT, heap sized to the load); growth that goes on from the middle to the last
 * third is what a leak looks like.
 */
const thirds = (xs: number[]): number[] => {
  const n = Math.max(1, Math.floor(xs.length / 3));
  return [mean(xs.slice(0, n)), mean(xs.slice(n, xs.length - n)), mean(xs.slice(-n))];
};
const f = (v: number, digits = 1): string => (Number.isFinite(v) ? v.toFixed(digits) : '–');

function report(o: Outcome, unloadedP99: number): Record<string, string> {
  const r = o.overload;
  const goodput = perSecond(r, '2xx');
  const shed = o.probe.filter((s) => s.status === 503 && s.retryAfter);
  const ok = o.probe.filter((s) => s.status >= 200 && s.status < 300);
  const rss = thirds(o.rss);
  // Whatever ended without an HTTP answer: connection errors, time-outs, unsent.
  const answered = Object.values(r.counts.statuses).reduce((x, y) => x + y, 0);
  return {
    system: o.name,
    'unloaded p99 ms': f(unloadedP99, 2),
    'goodput /s': f(goodput, 0),
    'goodput ÷ C': f(goodput / C, 2),
    '2xx p99 ms': f(r.completedLatency.p99),
    '2xx p99 ms (probe)': f(
      percentileOf(
        ok.map((s) => s.latencyMs),
        99,
      ),
    ),
    '5xx share': f((100 * (r.counts.statuses['5xx'] ?? 0)) / r.counts.scheduled, 1),
    'shed p99 ms (probe)': f(
      percentileOf(
        shed.map((s) => s.latencyMs),
        99,
      ),
      2,
    ),
    'RSS MiB by third of the run': rss.map((v) => f(v / 1024)).join('→'),
    'no answer': String(r.counts.scheduled - answered),
  };
}

try {
  const balancer = await viaBalancer();
  const alone = await backendAlone();
  const lines: string[] = [];
  const out = (s = ''): void => void lines.push(s);
  const rows = [balancer, alone].map((o) => report(o, o.unloaded.latency.p99));
  out(
    `\nC = ${C}/s (${perBackend}/s per backend × 2 for piper up; one backend of ${C}/s alone), offered ${offered}/s (${factor}× C) for ${durationS} s`,
  );
  out(`outlier detection ${outlierDetection ? 'on (default)' : 'OFF'}, adaptive admission and health checks on (defaults)`);
  out(
    `target /api/v1/status; unloaded ${unloadedRate}/s for ${unloadedS} s after a ${warmupS} s warm-up; probe ${probeRate}/s of the offered load; balancer on CPU 1, the rest on CPU 0\n`,
  );
  const keys = Object.keys(rows[0] as Record<string, string>);
  out(`| ${keys.join(' | ')} |`);
  out(`|${keys.map(() => '---').join('|')}|`);
  for (const r of rows) out(`| ${keys.map((k) => r[k]).join(' | ')} |`);

  const b = balancer.overload;
  const goodput = perSecond(b, '2xx');
  const unloadedP99 = balancer.unloaded.latency.p99;
  const admittedP99 = b.completedLatency.p99;
  const probeOk = balancer.probe.filter((s) => s.status >= 200 && s.status < 300);
  const probeShed = balancer.probe.filter((s) => s.status === 503 && s.retryAfter);
  const codes = new Map<string, number>();
  for (const s of balancer.probe) {
    const k = `${s.status} ${s.code ?? ''}${s.status === 503 ? (s.retryAfter ? ' +Retry-After' : ' no Retry-After') : ''}`.trim();
    codes.set(k, (codes.get(k) ?? 0) + 1);
  }
  const [rssFirst, rssMid, rssLast] = thirds(balancer.rss) as [number, number, number];
  const sum = (pick: (w: TelemetryWindow) => number): number => balancer.windows.reduce((a, w) => a + pick(w), 0);
  const limits = balancer.windows.map((w) => w.pools.p?.concurrencyLimit ?? Number.NaN).filter(Number.isFinite);
  out('');
  out(`piper up under ${factor}× C:`);
  out(
    `  goodput ${f(goodput, 0)}/s = ${f(goodput / C, 2)} C (target ≥ 0.9 C: ${goodput >= 0.9 * C ? 'met' : 'MISSED'}); loadtest statuses ${JSON.stringify(b.counts.statuses)}, errors ${JSON.stringify(b.counts.errors)}`,
  );
  out(
    `  2xx p99: ${f(admittedP99)} ms over ${b.counts.statuses['2xx'] ?? 0} answers (loadtest's completed-latency histogram), probe ${f(
      percentileOf(
        probeOk.map((s) => s.latencyMs),
        99,
      ),
    )} ms over ${probeOk.length} 2xx; unloaded p99 ${f(unloadedP99, 2)} ms → 2× = ${f(2 * unloadedP99, 2)} ms (target: ${admittedP99 <= 2 * unloadedP99 ? 'met' : 'MISSED'})`,
  );
  out(
    `  shed: ${f((100 * (b.counts.statuses['5xx'] ?? 0)) / b.counts.scheduled)} % of offered answered 5xx; probe: ${[...codes].map(([k, v]) => `${k}: ${v}`).join(', ')}; shed answers p50 ${f(
      percentileOf(
        probeShed.map((s) => s.latencyMs),
        50,
      ),
      2,
    )} ms, p99 ${f(
      percentileOf(
        probeShed.map((s) => s.latencyMs),
        99,
      ),
      2,
    )} ms (probe, ${probeShed.length} samples)`,
  );
  out(
    `  balancer windows: ${sum((w) => w.pools.p?.requests ?? 0)} requests, ${sum((w) => w.pools.p?.shed ?? 0)} shed by admission, ${sum((w) => w.pools.p?.status['5xx'] ?? 0)} 5xx, ${sum((w) => w.pools.p?.retries ?? 0)} retries, ${sum((w) => w.pools.p?.ejections ?? 0)} ejections; concurrency limit ${Math.min(...limits)}–${Math.max(...limits)} (at the end of each 1-s window: ${[...tally(limits)].map(([v, n]) => `${v}×${n}`).join(', ')}); windows ejected: ${['b1', 'b2'].map((k) => `${k} ${balancer.windows.filter((w) => w.backends[`p/${k}`]?.health === 'ejected').length}/${balancer.windows.length}`).join(', ')}`,
  );
  out(
    `  RSS every 1 s: ${balancer.rss.length} samples, ${f(Math.min(...balancer.rss) / 1024)}–${f(Math.max(...balancer.rss) / 1024)} MiB; means by third ${f(rssFirst / 1024)} → ${f(rssMid / 1024)} → ${f(rssLast / 1024)} MiB; ` +
      `warm-up (first → middle) ${f((100 * (rssMid - rssFirst)) / rssFirst)} %, then (middle → last) ${f((100 * (rssLast - rssMid)) / rssMid)} %: ${Math.abs(rssLast - rssMid) <= 0.1 * rssMid ? 'flat' : 'NOT flat'} (flat: the last third within 10 % of the middle one)`,
  );
  out(
    `  generator: send-lag p99 ${f(b.generator.sendLagP99Ms, 2)} ms, bottleneck ${b.generator.bottleneck}${b.generator.reasons.length ? ` (${b.generator.reasons.join('; ')})` : ''}`,
  );
  const peerGoodput = perSecond(alone.overload, '2xx');
  out('');
  out(
    `ratio: goodput piper up ÷ piper serve alone = ${f(goodput, 0)} ÷ ${f(peerGoodput, 0)} = ${f(goodput / peerGoodput, 2)}×; ` +
      `2xx p99 ${f(admittedP99)} vs ${f(alone.overload.completedLatency.p99)} ms`,
  );
  out('');
  out('commands (URLs are the ports bound this run):');
  out(`  ${loadtestCommand({ url: '<piper up>/api/v1/status', rate: unloadedRate, durationS: unloadedS, connections: 64, cpu: '0' })}`);
  out(
    `  ${loadtestCommand({ url: '<piper up>/api/v1/status', rate: loadRate, durationS, connections, cpu: '0' })}  (+ ${probeRate}/s probe)`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await group.close();
  rmSync(dir, { recursive: true, force: true });
}
