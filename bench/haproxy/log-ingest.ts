// Log ingestion against HAProxy's own speed, in the same run (issue 17, "Speed"):
//  1. HAProxy's maximum request rate on one core: HAProxy 2.6 (nbthread 1, pinned to CPU 1, no
//     logging) in front of one nginx worker answering 100 bytes, driven by wrk; requests per
//     HAProxy CPU-second (and per second).
//  2. No line lost at that rate: a second HAProxy, the same but logging every request in
//     LOG_FORMAT over UDP to the ingestor (its own process, on CPU 0 with wrk and nginx);
//     lines received against HAProxy's request count (`show stat`, frontend req_tot), with
//     HAProxy's DroppedLogs and the socket's kernel drops.
//  3. Lines folded per ingestor CPU-second: the lines captured in 2, streamed again over UDP to a
//     fresh ingestor at twice HAProxy's per-core maximum; and, for reference, the same lines
//     parsed and folded in-process with no socket.
// Ratio = (3, over UDP) ÷ (1, per CPU-second); the target is ≥ 1.5. Rounds interleave the
// phases so a noisy spell of the shared machine hits all alike; medians are printed.
// Usage: node bench/haproxy/log-ingest.ts [SECONDS] [ROUNDS] [CONNECTIONS]
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { SeededRandom, SystemClock } from '../../src/core/index.ts';
import { LOG_FORMAT, RuntimeApiClient, statNumber } from '../../src/haproxy/index.ts';
import { freePort, waitForPort, writeNginxBackends } from '../balancer/nginx-backends.ts';

const seconds = Number(process.argv[2] ?? '4');
const rounds = Number(process.argv[3] ?? '3');
const connections = Number(process.argv[4] ?? '50');
const node = process.execPath;
const here = new URL('.', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'piper-bench-halog-'));
const ticks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));

function start(cmd: string, args: string[], cpu: string): ChildProcess {
  const child = spawn('taskset', ['-c', cpu, cmd, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(`  [${cmd}] ${d}`));
  children.push(child);
  return child;
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / ticks;
}

function wrk(port: number, secs: number): number {
  const out = execFileSync('taskset', ['-c', '0', 'wrk', '-t1', `-c${connections}`, `-d${secs}s`, `http://127.0.0.1:${port}/`]).toString();
  for (const m of out.matchAll(/Non-2xx or 3xx responses: \d+|Socket errors: .*/g)) process.stderr.write(`  wrk: ${m[0]}\n`);
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
}

function writeHaproxyCfg(name: string, port: number, backend: number, log: string | null): string {
  const file = join(dir, `${name}.cfg`);
  writeFileSync(
    file,
    `global
  nbthread 1
  stats socket ${dir}/${name}.sock level admin
${log === null ? '' : `  log ${log} len 1024 local0\n`}defaults
  mode http
${log === null ? '' : `  log global\n  log-format "${LOG_FORMAT}"\n`}  timeout connect 2s
  timeout client 30s
  timeout server 30s
  http-reuse always
frontend public
  bind 127.0.0.1:${port}
  default_backend web
backend web
  server vendor.v1 127.0.0.1:${backend}
`,
  );
  return file;
}

/** A running ingest-process.ts: one command per line, one answer line each. */
class Ingestor {
  readonly child: ChildProcess;
  readonly #lines: Interface;
  readonly #waiting: Array<(line: string) => void> = [];

  private constructor(child: ChildProcess) {
    this.child = child;
    this.#lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    this.#lines.on('line', (l) => this.#waiting.shift()?.(l));
  }

  static async start(port: number, keep: number): Promise<Ingestor> {
    const ing = new Ingestor(start(node, [join(here, 'ingest-process.ts'), String(port), String(keep)], '0'));
    const first = await ing.#next();
    if (!first.startsWith('listening')) throw new Error(`ingestor: ${first}`);
    return ing;
  }

  #next(): Promise<string> {
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  ask(command: string): Promise<string> {
    const answer = this.#next();
    this.child.stdin?.write(`${command}\n`);
    return answer;
  }

  async report(): Promise<Record<string, number>> {
    return JSON.parse(await this.ask('report')) as Record<string, number>;
  }

  /** The report once no more datagrams arrive (lines in flight have landed). */
  async settled(): Promise<Record<string, number>> {
    let last = await this.report();
    for (;;) {
      await new Promise((r) => setTimeout(r, 150));
      const now = await this.report();
      if (now.received === last.received) return now;
      last = now;
    }
  }

  async stop(): Promise<void> {
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin?.end('exit\n');
    await exited;
  }
}

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(resolve));
  return port;
}

// Backend: one nginx worker on CPU 0, 100-byte answers.
const backendPort = await freePort();
start('nginx', ['-p', dir, '-c', writeNginxBackends(dir, [backendPort])], '0');
await waitForPort(backendPort);
// HAProxy alone (its maximum) and HAProxy logging to the ingestor: both on CPU 1, idle but for the one measured.
const logPort = await freeUdpPort();
const plainPort = await freePort();
const loggingPort = await freePort();
const plain = start('haproxy', ['-db', '-f', writeHaproxyCfg('plain', plainPort, backendPort, null)], '1');
const logging = start('haproxy', ['-db', '-f', writeHaproxyCfg('logging', loggingPort, backendPort, `127.0.0.1:${logPort}`)], '1');
await waitForPort(plainPort);
await waitForPort(loggingPort);
const stats = new RuntimeApiClient({ address: { path: join(dir, 'logging.sock') }, clock: new SystemClock(), random: new SeededRandom(1) });
/** Requests the logging HAProxy's frontend received (one log line each), and the lines it could not send. */
async function haproxyCounts(): Promise<{ requests: number; droppedLogs: number }> {
  const { info, stat } = await stats.showInfoAndStat();
  const fe = stat.find((r) => r.type === 'frontend' && r.proxy === 'public');
  return { requests: fe === undefined ? 0 : (statNumber(fe, 'req_tot') ?? 0), droppedLogs: Number(info.DroppedLogs ?? 0) };
}

interface Round {
  haproxyRps: number;
  haproxyPerCpu: number;
  loggedRps: number;
  loggedPerCpu: number;
  haproxyRequests: number;
  linesReceived: number;
  linesFolded: number;
  droppedLogs: number;
  kernelDrops: number;
  replayLines: number;
  replayDrops: number;
  ingestPerCpu: number;
  inProcessPerCpu: number;
  ratio: number;
}
const results: Round[] = [];
const capture = join(dir, 'lines.bin');

for (let r = 0; r < rounds; r++) {
  process.stderr.write(`round ${r + 1} of ${rounds}\n`);
  // 1. HAProxy's maximum, no logging.
  wrk(plainPort, r === 0 ? 2 : 1);
  const cpu0 = cpuSeconds(plain.pid as number);
  const haproxyRps = wrk(plainPort, seconds);
  const haproxyPerCpu = (haproxyRps * seconds) / (cpuSeconds(plain.pid as number) - cpu0);
  process.stderr.write(`  HAProxy alone: ${Math.round(haproxyRps)} req/s, ${Math.round(haproxyPerCpu)} per CPU-s\n`);

  // 2. The same load with every request logged to the ingestor.
  const live = await Ingestor.start(logPort, Math.ceil(haproxyRps * seconds * 1.5));
  wrk(loggingPort, 1);
  await live.settled();
  await live.ask('mark');
  const before = await haproxyCounts();
  const loggedCpu0 = cpuSeconds(logging.pid as number);
  const loggedRps = wrk(loggingPort, seconds);
  const loggedPerCpu = (loggedRps * seconds) / (cpuSeconds(logging.pid as number) - loggedCpu0);
  const got = await live.settled();
  const afterCounts = await haproxyCounts();
  const haproxyRequests = afterCounts.requests - before.requests;
  const dumped = await live.ask(`dump ${capture}`);
  await live.stop();
  process.stderr.write(
    `  HAProxy logging: ${Math.round(loggedRps)} req/s, ${Math.round(loggedPerCpu)} per CPU-s; ${haproxyRequests} requests, ${got.received} lines received, ` +
      `${got.kernelDrops} kernel drops, ${afterCounts.droppedLogs - before.droppedLogs} DroppedLogs (${dumped})\n`,
  );

  // 3. Those lines again, as many as HAProxy alone answered in its measured run, over UDP at
  // twice its per-core maximum to a fresh ingestor; then in-process.
  const count = Math.round(haproxyRps * seconds);
  const replay = await Ingestor.start(logPort, 0);
  await replay.ask('mark');
  const sender = start(
    node,
    [join(here, 'udp-replay.ts'), capture, String(logPort), String(Math.round(2 * haproxyPerCpu)), String(count)],
    '1',
  );
  const sent = await new Promise<string>((resolve) => {
    let out = '';
    sender.stdout?.on('data', (d: Buffer) => {
      out += d;
    });
    sender.once('exit', () => resolve(out.trim()));
  });
  const replayed = await replay.settled();
  const inProcess = JSON.parse(await replay.ask(`replay ${capture} ${count}`)) as Record<string, number>;
  await replay.stop();
  const ingestPerCpu = (replayed.folded as number) / (replayed.cpuSeconds as number);
  const inProcessPerCpu = (inProcess.folded as number) / (inProcess.cpuSeconds as number);
  process.stderr.write(
    `  replay (${sent}): ${replayed.folded} folded, ${replayed.kernelDrops} kernel drops, ${Math.round(ingestPerCpu)} lines per CPU-s over UDP, ` +
      `${Math.round(inProcessPerCpu)} in-process\n`,
  );
  results.push({
    haproxyRps,
    haproxyPerCpu,
    loggedRps,
    loggedPerCpu,
    haproxyRequests,
    linesReceived: got.received as number,
    linesFolded: got.folded as number,
    droppedLogs: afterCounts.droppedLogs - before.droppedLogs,
    kernelDrops: got.kernelDrops as number,
    replayLines: replayed.received as number,
    replayDrops: replayed.kernelDrops as number,
    ingestPerCpu,
    inProcessPerCpu,
    ratio: ingestPerCpu / haproxyPerCpu,
  });
}
for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');

const median = (xs: number[]): number => {
  const v = [...xs].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 === 1 ? (v[m] as number) : ((v[m - 1] as number) + (v[m] as number)) / 2;
};
const k = (v: number): string => `${(v / 1000).toFixed(1)} k`;
const col = (f: (r: Round) => number, fmt: (v: number) => string): string =>
  `${results.map((r) => fmt(f(r))).join(', ')} | ${fmt(median(results.map(f)))}`;
process.stdout.write(
  `\nwrk -t1 -c${connections} -d${seconds}s, 100-byte GET, one nginx worker; HAProxy 2.6 nbthread 1 on CPU 1; ingestor on CPU 0; ${rounds} rounds\n\n`,
);
process.stdout.write('| figure | each round | median |\n|---|---|---|\n');
process.stdout.write(`| HAProxy alone, req/s | ${col((r) => r.haproxyRps, k)} |\n`);
process.stdout.write(`| HAProxy alone, req per HAProxy CPU-s (its one-core maximum) | ${col((r) => r.haproxyPerCpu, k)} |\n`);
process.stdout.write(`| HAProxy logging every request to piper, req/s | ${col((r) => r.loggedRps, k)} |\n`);
process.stdout.write(`| HAProxy logging every request to piper, req per HAProxy CPU-s | ${col((r) => r.loggedPerCpu, k)} |\n`);
process.stdout.write(
  `| share of a core HAProxy used while logging (the rest of the limit is CPU 0: wrk, nginx, ingestor) | ${col(
    (r) => r.loggedRps / r.loggedPerCpu,
    (v) => `${Math.round(v * 100)} %`,
  )} |\n`,
);
process.stdout.write(`| requests HAProxy counted (show stat req_tot) | ${col((r) => r.haproxyRequests, String)} |\n`);
process.stdout.write(`| lines piper received | ${col((r) => r.linesReceived, String)} |\n`);
process.stdout.write(`| lines piper folded | ${col((r) => r.linesFolded, String)} |\n`);
process.stdout.write(`| lost: HAProxy DroppedLogs + kernel socket drops | ${col((r) => r.droppedLogs + r.kernelDrops, String)} |\n`);
process.stdout.write(
  `| replay over UDP at 2× HAProxy's per-core maximum: lines received / kernel drops | ${results.map((r) => `${r.replayLines} / ${r.replayDrops}`).join(', ')} | |\n`,
);
process.stdout.write(`| lines parsed and folded per ingestor CPU-s, over UDP | ${col((r) => r.ingestPerCpu, k)} |\n`);
process.stdout.write(`| lines parsed and folded per CPU-s, in-process (no socket) | ${col((r) => r.inProcessPerCpu, k)} |\n`);
process.stdout.write(
  `| ratio: ingest over UDP ÷ HAProxy per CPU-s (target ≥ 1.5) | ${col(
    (r) => r.ratio,
    (v) => `${v.toFixed(2)}×`,
  )} |\n`,
);
const lost = results.reduce((n, r) => n + r.haproxyRequests - r.linesFolded, 0);
process.stdout.write(
  `\nratio (median of rounds): ${median(results.map((r) => r.ratio)).toFixed(2)}×; lines missing at HAProxy's rate (requests − folded, all rounds): ${lost}\n`,
);
