// One generator run in its own process, timed by its own CPU clock: node generator-run.ts TOOL URL SECONDS CONNECTIONS
// TOOL is `piper-raw` or `piper-undici` (runLoad with that sender, closed model: the worker's maximum rate) or
// `autocannon` (its library, no pipelining).
// Prints one JSON line: requests per second and CPU microseconds per request of this process.
import { createRequire } from 'node:module';
import { SeededRandom, SystemClock } from '../../src/core/index.ts';
import { runLoad } from '../../src/loadgen/index.ts';

// autocannon ships no types: the part used here, typed by hand.
type Autocannon = (o: { url: string; connections: number; pipelining: number; duration: number }) => Promise<{
  requests: { total: number };
  latency: { p99: number };
}>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const [tool, url, secondsText, connectionsText] = process.argv.slice(2);
if (tool === undefined || url === undefined) {
  throw new Error('usage: generator-run.ts piper-raw|piper-undici|autocannon URL SECONDS CONNECTIONS');
}
const seconds = Number(secondsText ?? '5');
const connections = Number(connectionsText ?? '50');

const cpu0 = process.cpuUsage();
let requests: number;
let elapsedS: number;
let p99Ms: number;
if (tool === 'piper-raw' || tool === 'piper-undici') {
  const u = new URL(url);
  const keepAlive = setInterval(() => {}, 1000);
  const r = await runLoad({
    target: u.origin,
    requests: [{ name: 'get', method: 'GET', path: u.pathname, headers: {}, body: null, weight: 1 }],
    model: { kind: 'closed', concurrency: connections, durationMs: seconds * 1000 },
    clock: new SystemClock(),
    random: new SeededRandom(1),
    connections,
    httpSender: tool === 'piper-raw' ? 'raw' : 'undici',
  });
  clearInterval(keepAlive);
  requests = r.counts.completed;
  elapsedS = r.durationMs / 1000;
  p99Ms = r.latency.p99;
} else {
  const start = performance.now();
  const r = await autocannon({ url, connections, pipelining: 1, duration: seconds });
  elapsedS = (performance.now() - start) / 1000;
  requests = r.requests.total;
  p99Ms = r.latency.p99;
}
const cpu = process.cpuUsage(cpu0);
process.stdout.write(`${JSON.stringify({ tool, rps: requests / elapsedS, cpuUsPerRequest: (cpu.user + cpu.system) / requests, p99Ms })}\n`);
