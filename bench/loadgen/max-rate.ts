// Maximum request rate of one piper generator worker against nginx on loopback, next to autocannon
// (no pipelining) in the same run, with wrk as the ceiling. Usage: node bench/loadgen/max-rate.ts [SECONDS] [ROUNDS]
// Needs nginx and wrk (apt-get install nginx-light wrk) and autocannon (dev dependency).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const seconds = Number(process.argv[2] ?? '5');
const rounds = Number(process.argv[3] ?? '3');
const connections = 50;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const dir = mkdtempSync(join(tmpdir(), 'piper-bench-nginx-'));
const port = await freePort();
// One worker, keep-alive, a 100-byte body: the same target as the reference figures (ANCHORS §2.3).
writeFileSync(
  join(dir, 'nginx.conf'),
  `worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 1024; }
http { access_log off; keepalive_requests 1000000; keepalive_timeout 60s;
  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  server { listen 127.0.0.1:${port}; location / { return 200 '${'x'.repeat(100)}'; } } }
`,
);
const nginx = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 500));
const url = `http://127.0.0.1:${port}/`;
const here = new URL('.', import.meta.url).pathname;

interface GeneratorFigures {
  rps: number;
  cpuUsPerRequest: number;
  p99Ms: number;
}

type Tool = 'piper-raw' | 'piper-undici' | 'autocannon';

function generator(tool: Tool): GeneratorFigures {
  const out = execFileSync(process.execPath, [join(here, 'generator-run.ts'), tool, url, String(seconds), String(connections)], {
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop() as string);
}

function wrk(): number {
  const out = execFileSync('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, url], { encoding: 'utf8' });
  const m = /Requests\/sec:\s+([\d.]+)/.exec(out);
  return m === null ? Number.NaN : Number(m[1]);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const results: Record<Tool, GeneratorFigures[]> & { wrk: number[] } = { 'piper-raw': [], 'piper-undici': [], autocannon: [], wrk: [] };
try {
  generator('piper-raw'); // warm-up of the file cache and nginx, discarded
  for (let i = 0; i < rounds; i++) {
    // Interleaved, so a noisy neighbour hits every tool alike; the order rotates each round.
    const order: Tool[] = ['piper-raw', 'autocannon', 'piper-undici'];
    for (let k = 0; k < order.length; k++) {
      const tool = order[(k + i) % order.length] as Tool;
      results[tool].push(generator(tool));
    }
    results.wrk.push(wrk());
  }
} finally {
  nginx.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 200));
  rmSync(dir, { recursive: true, force: true });
}
const raw = median(results['piper-raw'].map((r) => r.rps));
const und = median(results['piper-undici'].map((r) => r.rps));
const a = median(results.autocannon.map((r) => r.rps));
const w = median(results.wrk);
const row = (name: string, rps: number, cpu: string, ratio: string) =>
  `${name.padEnd(34)} ${rps.toFixed(0).padStart(8)}  ${cpu.padStart(10)}  ${ratio}`;
console.error(`one nginx worker on loopback, ${connections} connections, ${seconds}s runs, median of ${rounds} interleaved rounds`);
console.error(row('tool', 0, 'CPU µs/req', 'ratio to autocannon').replace(/ +0 /, '   req/s '));
console.error(
  row('piper, 1 worker, raw sender', raw, median(results['piper-raw'].map((r) => r.cpuUsPerRequest)).toFixed(1), (raw / a).toFixed(2)),
);
console.error(
  row(
    'piper, 1 worker, undici sender',
    und,
    median(results['piper-undici'].map((r) => r.cpuUsPerRequest)).toFixed(1),
    (und / a).toFixed(2),
  ),
);
console.error(row('autocannon 9 (pipelining 1)', a, median(results.autocannon.map((r) => r.cpuUsPerRequest)).toFixed(1), '1.00'));
console.error(row('wrk -t1 (ceiling)', w, '-', (w / a).toFixed(2)));
// Each round's own ratio too: the tools ran seconds apart there, so the ratio is steadier than the medians.
const perRound = results['piper-raw'].map((r, i) => (r.rps / (results.autocannon[i] as GeneratorFigures).rps).toFixed(2));
console.error(`raw sender ÷ autocannon per round: ${perRound.join(', ')}`);
console.error(`all rounds: ${JSON.stringify(results)}`);
