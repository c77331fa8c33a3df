// HTTP compression throughput: POST /api/v1/compress?codec=zstd&level=3 on `piper serve` against
// the zstd CLI (-3 -T1) on the same input, in the same run. The issue's target: ≥ 0.6× the CLI.
//
//   node bench/platform/http-zstd.ts [--size 48MiB] [--rounds 5] [--bin dist/cli/bin.js]
//
// Rounds alternate HTTP and CLI; best of N each. Two readings: wall MB/s, and MB per CPU-second of
// the whole server process (from /proc/PID/stat: main thread, V8's GC helpers and the libuv
// threadpool that runs the codec) against MB per CPU-second of `zstd -3 -T1` (/usr/bin/time, both
// of its threads): on a shared machine the CPU reading is the stable one. Both read the same file;
// the client streams it from disk and discards the answer. The split of the server's CPU by thread
// (median round) shows where it goes.
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { parseSize } from '../../src/core/index.ts';
import { jsonLogs, text } from './corpus.ts';
import { startServe } from './serve-process.ts';

const { values } = parseArgs({
  options: { size: { type: 'string', default: '48MiB' }, rounds: { type: 'string', default: '5' }, bin: { type: 'string' } },
});
const size = parseSize(values.size);
const ROUNDS = Number(values.rounds);

function post(url: string, file: string): Promise<{ ms: number; out: number }> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const u = new URL('/api/v1/compress?codec=zstd&level=3', url);
    const req = request(u, { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'content-length': size } }, (res) => {
      let out = 0;
      res.on('data', (c: Buffer) => {
        out += c.length;
      });
      res.on('end', () =>
        res.statusCode === 200 ? resolve({ ms: performance.now() - t, out }) : reject(new Error(`HTTP ${res.statusCode}`)),
      );
    });
    req.on('error', reject);
    pipeline(createReadStream(file, { highWaterMark: 64 * 1024 }), req).catch(reject);
  });
}

function cli(file: string): Promise<{ ms: number; cpuMs: number }> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn('/usr/bin/time', ['-f', 'cpu %U %S', 'zstd', '-3', '-T1', '-q', '-c', file], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const m = /cpu ([\d.]+) ([\d.]+)/.exec(err);
      if (code !== 0 || m === null) reject(new Error(`zstd exited ${code}: ${err}`));
      else resolve({ ms: performance.now() - t, cpuMs: (Number(m[1]) + Number(m[2])) * 1000 });
    });
  });
}

/** CPU milliseconds (user + system, all threads) a process has used so far. */
async function cpuMsOf(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  // After the command name: utime and stime are fields 12 and 13 (0-based), in clock ticks of 10 ms.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** CPU milliseconds by thread kind (main, V8 helpers, libuv threadpool) of the threads alive now. */
async function cpuMsByThread(pid: number): Promise<Map<string, number>> {
  const kinds = new Map<string, number>();
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => '');
    const name = /\((.*)\)/.exec(stat)?.[1] ?? '?';
    const kind =
      tid === String(pid) ? 'main' : name.startsWith('libuv-worker') ? 'threadpool' : name.startsWith('V8') ? 'V8 helpers' : 'other';
    const fields = stat.split(') ')[1]?.split(' ') ?? [];
    kinds.set(kind, (kinds.get(kind) ?? 0) + (Number(fields[11]) + Number(fields[12])) * 10);
  }
  return kinds;
}

const dir = await mkdtemp(join(tmpdir(), 'piper-bench-http-'));
const server = await startServe(join(dir, 'data'), [], values.bin === undefined ? undefined : resolve(values.bin));
try {
  const file = join(dir, 'input.bin');
  await writeFile(file, Buffer.concat([text(Math.floor(size / 2)), jsonLogs(size - Math.floor(size / 2))]));
  await post(server.url, file); // warm-up
  const http: number[] = [];
  const httpCpu: number[] = [];
  const peer: number[] = [];
  const peerCpu: number[] = [];
  const split: Map<string, number>[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const before = await cpuMsOf(server.pid);
    const threadsBefore = await cpuMsByThread(server.pid);
    http.push((await post(server.url, file)).ms);
    httpCpu.push((await cpuMsOf(server.pid)) - before);
    const threadsAfter = await cpuMsByThread(server.pid);
    split.push(new Map([...threadsAfter].map(([k, v]) => [k, v - (threadsBefore.get(k) ?? 0)])));
    const c = await cli(file);
    peer.push(c.ms);
    peerCpu.push(c.cpuMs);
  }
  const mbs = (ms: number) => size / 1e6 / (ms / 1000);
  const h = mbs(Math.min(...http));
  const c = mbs(Math.min(...peer));
  const hc = mbs(Math.min(...httpCpu));
  const cc = mbs(Math.min(...peerCpu));
  const median = [...httpCpu].sort((a, b) => a - b)[Math.floor(ROUNDS / 2)];
  const medianSplit = split[httpCpu.indexOf(median as number)] ?? new Map<string, number>();
  const ratio = hc / cc;
  console.log(`input ${(size / 1e6).toFixed(1)} MB (text + JSON logs), best of ${ROUNDS}; load average ${loadavg()[0]?.toFixed(2)}`);
  console.log(`server: ${await server.commandLine()}`);
  console.log(`HTTP  POST /api/v1/compress zstd-3: ${h.toFixed(1)} MB/s wall, ${hc.toFixed(1)} MB per server CPU-s`);
  console.log(`zstd CLI -3 -T1:                   ${c.toFixed(1)} MB/s wall, ${cc.toFixed(1)} MB per CPU-s`);
  console.log(`CPU ms per round: server ${httpCpu.join(' ')}; CLI ${peerCpu.map((v) => v.toFixed(0)).join(' ')}`);
  console.log(
    `server CPU by thread (median round, ms): ${[...medianSplit]
      .filter(([, v]) => v > 0)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  console.log(
    `ratio HTTP / CLI: ${(h / c).toFixed(2)} wall, ${ratio.toFixed(2)} per CPU-s (target ≥ 0.60: ${ratio >= 0.6 ? 'met' : 'NOT met'})`,
  );
} finally {
  await server.close();
  await rm(dir, { recursive: true, force: true });
}
