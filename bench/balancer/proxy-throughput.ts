// Proxy throughput: piper's balancer against nginx, HAProxy, http-proxy and @fastify/reply-from,
// and two floors (a bare undici proxy; a Node byte pipe with no HTTP at all), in the same run. Two nginx backends answer 100 bytes; every proxy is pinned to CPU 1 and round-
// robins (or P2C) over them; wrk and the backends share CPU 0. Prints requests per proxy
// CPU-second and ratios. All proxies run at once (idle but for the one measured) and are measured
// in interleaved rounds, so that a slow spell of the shared machine hits every proxy alike: each
// ratio is the median over rounds of piper's figure over the peer's in the same round.
// Usage: node bench/balancer/proxy-throughput.ts [SECONDS] [CONNECTIONS] [ROUNDS]
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort, writeNginxBackends, writeNginxProxy } from './nginx-backends.ts';

const seconds = Number(process.argv[2] ?? '8');
const connections = Number(process.argv[3] ?? '50');
const rounds = Number(process.argv[4] ?? '3');
const node = process.execPath;
const here = new URL('.', import.meta.url).pathname;
const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'piper-bench-'));
const ticks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
const children: ChildProcess[] = [];
// A failed run (a proxy that never answers) must not leave backends or proxies behind.
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
});

function start(cmd: string, args: string[], cpu: string): ChildProcess {
  const child = spawn('taskset', ['-c', cpu, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr?.on('data', () => undefined);
  child.stdout?.on('data', () => undefined);
  children.push(child);
  return child;
}

/** CPU seconds (user + system) used so far by a process and all its descendants. */
function cpuSeconds(pid: number): number {
  let total = 0;
  const visit = (p: number): void => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / ticks;
      const kids = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim();
      for (const k of kids ? kids.split(' ') : []) visit(Number(k));
    } catch {
      // The process ended between listing and reading.
    }
  };
  visit(pid);
  return total;
}

interface Result {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  cpu: number;
  perCpu: number;
  /** Answers other than 2xx/3xx in the measured run (a shed 503 is cheaper than a proxied answer). */
  non2xx: number;
}

function wrk(port: number, secs: number, phase: string): { rps: number; p50: number; p99: number; non2xx: number } {
  const out = execFileSync('taskset', [
    '-c',
    '0',
    'wrk',
    '-t1',
    `-c${connections}`,
    `-d${secs}s`,
    '--latency',
    `http://127.0.0.1:${port}/`,
  ]).toString();
  const ms = (label: string): number => {
    const m = new RegExp(`${label}\\s+([\\d.]+)(us|ms|s)`).exec(out);
    if (!m) return Number.NaN;
    const v = Number(m[1]);
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
  };
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  for (const m of out.matchAll(/Non-2xx or 3xx responses: \d+|Socket errors: .*/g))
    process.stderr.write(`  wrk reported (${phase}): ${m[0]}\n`);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return { rps, p50: ms('50%'), p99: ms('99%'), non2xx };
}

async function measure(name: string, port: number, pid: number, warmup: number): Promise<Result> {
  wrk(port, warmup, `${name} warm-up`); // JIT, connection pools
  const before = cpuSeconds(pid);
  const { rps, p50, p99, non2xx } = wrk(port, seconds, name);
  const cpu = cpuSeconds(pid) - before;
  const result = { name, rps, p50, p99, cpu, perCpu: (rps * seconds) / cpu, non2xx };
  process.stderr.write(`  ${name}: ${Math.round(rps)} req/s, ${cpu.toFixed(2)} CPU-s\n`);
  return result;
}

/** A proxy under test, started once and measured once per round. */
interface Proxy {
  name: string;
  port: number;
  pid: number;
}
const proxies: Proxy[] = [];

// Backends: one nginx, worker on CPU 0, two ports, 100-byte answers.
const [b1, b2] = [await freePort(), await freePort()];
start('nginx', ['-p', dir, '-c', writeNginxBackends(dir, [b1, b2])], '0');
await waitForPort(b1);
await waitForPort(b2);
const urls = [`http://127.0.0.1:${b1}`, `http://127.0.0.1:${b2}`];

// piper up: health checks, outlier detection, adaptive admission and telemetry all on (defaults).
{
  const port = await freePort();
  writeFileSync(
    join(dir, 'piper.yaml'),
    `listeners: [{ name: public, port: ${port} }]
admin: { port: ${await freePort()} }
dashboard: { port: ${await freePort()} }
logging: { level: warn }
pools:
  p:
    backends: [{ name: b1, url: "${urls[0]}" }, { name: b2, url: "${urls[1]}" }]
routes: [{ name: web, split: { p: 1 } }]
`,
  );
  const child = start(node, [join(root, 'src/cli/bin.ts'), 'up', '--config', join(dir, 'piper.yaml')], '1');
  proxies.push({ name: 'piper up', port, pid: child.pid as number });
}
// nginx as a proxy, 1 worker, upstream keep-alive.
{
  const port = await freePort();
  const child = start('nginx', ['-p', dir, '-c', writeNginxProxy(dir, port, [b1, b2])], '1');
  proxies.push({ name: 'nginx', port, pid: child.pid as number });
}
// HAProxy, one thread, connection reuse.
{
  const port = await freePort();
  writeFileSync(
    join(dir, 'haproxy.cfg'),
    `global
  nbthread 1
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  http-reuse always
frontend f
  bind 127.0.0.1:${port}
  default_backend b
backend b
  balance roundrobin
  server s1 127.0.0.1:${b1}
  server s2 127.0.0.1:${b2}
`,
  );
  const child = start('haproxy', ['-f', join(dir, 'haproxy.cfg')], '1');
  proxies.push({ name: 'HAProxy', port, pid: child.pid as number });
}
for (const [name, script] of [
  ['http-proxy', 'http-proxy-peer.ts'],
  ['@fastify/reply-from', 'reply-from-peer.ts'],
  ['bare undici Pool.stream', 'undici-peer.ts'],
  ['Node byte pipe (no HTTP)', 'node-pipe-peer.ts'],
] as const) {
  const port = await freePort();
  const child = start(node, [join(here, script), String(port), ...urls], '1');
  proxies.push({ name, port, pid: child.pid as number });
}
for (const p of proxies) await waitForPort(p.port);
// Rounds: every proxy once per round, in the same order; the first round warms up longer.
const byRound: Result[][] = [];
for (let r = 0; r < rounds; r++) {
  process.stderr.write(`round ${r + 1} of ${rounds}\n`);
  const round: Result[] = [];
  for (const p of proxies) round.push(await measure(p.name, p.port, p.pid, r === 0 ? 2 : 1));
  byRound.push(round);
}
for (const c of children) c.kill('SIGTERM');

const median = (xs: number[]): number => {
  const v = [...xs].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 === 1 ? (v[m] as number) : ((v[m - 1] as number) + (v[m] as number)) / 2;
};
const of = (round: Result[], n: string): Result => round.find((r) => r.name === n) as Result;
/** Median over rounds of piper's per-CPU figure over the peer's, each pair from the same round. */
const ratio = (peer: string): number => median(byRound.map((round) => of(round, 'piper up').perCpu / of(round, peer).perCpu));
const k = (v: number): string => `${(v / 1000).toFixed(1)} k`;
process.stdout.write(
  `\nwrk -t1 -c${connections} -d${seconds}s, 100-byte GET, two nginx backends; each proxy pinned to CPU 1; ${rounds} interleaved rounds, medians\n\n`,
);
process.stdout.write(
  '| proxy | req/s | non-2xx | p50 ms | p99 ms | req per proxy CPU-s (each round) | median | piper ÷ it (median of rounds) |\n|---|---|---|---|---|---|---|---|\n',
);
for (const p of proxies) {
  const rs = byRound.map((round) => of(round, p.name));
  const perCpu = rs.map((r) => r.perCpu);
  process.stdout.write(
    `| ${p.name} | ${k(median(rs.map((r) => r.rps)))} | ${rs.reduce((n, r) => n + r.non2xx, 0)} | ${median(rs.map((r) => r.p50)).toFixed(2)} | ` +
      `${median(rs.map((r) => r.p99)).toFixed(2)} | ${perCpu.map(k).join(', ')} | ${k(median(perCpu))} | ${p.name === 'piper up' ? '–' : `${ratio(p.name).toFixed(2)}×`} |\n`,
  );
}
process.stdout.write(
  `\npiper per CPU-second (median of same-round ratios): ${ratio('nginx').toFixed(2)}× nginx, ${ratio('HAProxy').toFixed(2)}× HAProxy, ` +
    `${ratio('http-proxy').toFixed(2)}× http-proxy, ${ratio('@fastify/reply-from').toFixed(2)}× @fastify/reply-from, ` +
    `${ratio('bare undici Pool.stream').toFixed(2)}× a bare undici proxy, ${ratio('Node byte pipe (no HTTP)').toFixed(2)}× a Node byte pipe\n`,
);
