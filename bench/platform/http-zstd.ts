// zstd over HTTP against the zstd CLI, three lines, each against its command-line peer in the same run:
//   compress    POST /api/v1/compress?codec=zstd&level=3  vs  zstd -3 -T1             (targets: median ≥ 0.75×, every round ≥ 0.6×)
//   decompress  POST /api/v1/decompress                   vs  zstd -d                 (target: median ≥ 0.75×)
//   store       POST /api/v1/files?codec=zstd&level=3     vs  sha256sum + zstd -3 -T1 -o FILE (target: median ≥ 0.6×, server peak RSS < 150 MB)
//
//   node bench/platform/http-zstd.ts [--size 48MiB] [--store-size 1GiB] [--rounds 5] [--bin dist/cli/bin.js] [--cpu-prof DIR]
//
// Each round runs the HTTP request, then its peer, on the same file; the ratio of a round is the
// peer's CPU over the server's (MB per CPU-second, server over peer), and the median and min over
// rounds are printed beside the target, with wall-clock ratios. Server CPU is the whole process from
// /proc/PID/stat (main thread, V8's helpers, the libuv threadpool that runs zstd and the hash), a
// peer's is user + system of all its threads (/usr/bin/time). On a shared machine compare ratios
// within one run, not MB/s across runs. The store line runs in a server of its own, so its peak RSS
// (VmHWM) is that of the upload. --cpu-prof DIR writes a V8 CPU profile of each server (main thread).
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';
import { parseSize } from '../../src/core/index.ts';
import { jsonLogs, text } from './corpus.ts';
import { type ServeProcess, startServe } from './serve-process.ts';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '48MiB' },
    'store-size': { type: 'string', default: '1GiB' },
    rounds: { type: 'string', default: '5' },
    bin: { type: 'string' },
    'cpu-prof': { type: 'string' },
  },
});
const size = parseSize(values.size);
const storeSize = parseSize(values['store-size']);
const ROUNDS = Number(values.rounds);
const bin = values.bin === undefined ? undefined : resolve(values.bin);
const nodeArgs = values['cpu-prof'] === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${resolve(values['cpu-prof'])}`];

/** Posts `file` to `path` and discards the answer. */
function post(url: string, path: string, file: string, length: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, url),
      { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'content-length': length } },
      (res) => {
        res.on('data', () => undefined);
        res.on('end', () =>
          res.statusCode !== undefined && res.statusCode < 300 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    pipeline(createReadStream(file, { highWaterMark: 64 * 1024 }), req).catch(reject);
  });
}

/** Runs `sh -c script` under /usr/bin/time: CPU ms of the shell and everything it ran. */
function cli(script: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', 'cpu %U %S', 'sh', '-c', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const m = /cpu ([\d.]+) ([\d.]+)/.exec(err);
      if (code !== 0 || m === null) reject(new Error(`${script} exited ${code}: ${err}`));
      else resolve((Number(m[1]) + Number(m[2])) * 1000);
    });
  });
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
    // After the command name, utime and stime are fields 12 and 13 (0-based), in clock ticks of 10 ms.
    kinds.set(kind, (kinds.get(kind) ?? 0) + (Number(fields[11]) + Number(fields[12])) * 10);
  }
  return kinds;
}

interface Round {
  serverMs: number;
  serverWall: number;
  split: Map<string, number>;
  peerMs: number;
  peerWall: number;
}

/** One round: the request on the server (CPU by thread), then the peer. */
async function round(server: ServeProcess, send: () => Promise<void>, peer: string): Promise<Round> {
  const before = await cpuMsByThread(server.pid);
  let t = performance.now();
  await send();
  const serverWall = performance.now() - t;
  const after = await cpuMsByThread(server.pid);
  const split = new Map([...after].map(([k, v]) => [k, v - (before.get(k) ?? 0)]));
  t = performance.now();
  const peerMs = await cli(peer);
  return { serverMs: [...split.values()].reduce((a, b) => a + b, 0), serverWall, split, peerMs, peerWall: performance.now() - t };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function report(name: string, peerName: string, bytes: number, rounds: Round[], target: number, floor: number | undefined): boolean {
  const mb = bytes / 1e6;
  const cpu = rounds.map((r) => r.peerMs / r.serverMs);
  const wall = rounds.map((r) => r.peerWall / r.serverWall);
  const med = median(cpu);
  const min = Math.min(...cpu);
  // The round whose ratio is the median, by position: a round too short to measure cannot break it.
  const order = [...cpu.keys()].sort((a, b) => (cpu[a] as number) - (cpu[b] as number));
  const mid = rounds[order[Math.floor(order.length / 2)] as number] as Round;
  const met = med >= target && (floor === undefined || min >= floor);
  const goal = `target ≥ ${target.toFixed(2)}${floor === undefined ? '' : `, every round ≥ ${floor.toFixed(2)}`}`;
  console.log(`${name} vs ${peerName}, ${mb.toFixed(1)} MB, ${rounds.length} rounds`);
  console.log(
    `  per CPU-s: median ${med.toFixed(2)}, min ${min.toFixed(2)} (${goal}: ${met ? 'met' : 'NOT met'}); wall: median ${median(wall).toFixed(2)}, min ${Math.min(...wall).toFixed(2)}`,
  );
  console.log(
    `  median round: server ${(mb / (mid.serverMs / 1000)).toFixed(1)} MB per CPU-s, ${(mb / (mid.serverWall / 1000)).toFixed(1)} MB/s wall; peer ${(mb / (mid.peerMs / 1000)).toFixed(1)} MB per CPU-s, ${(mb / (mid.peerWall / 1000)).toFixed(1)} MB/s wall`,
  );
  console.log(
    `  server CPU ms by thread (median round): ${[...mid.split]
      .filter(([, v]) => v > 0)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}; per round: server ${rounds.map((r) => r.serverMs).join(' ')}, peer ${rounds.map((r) => r.peerMs.toFixed(0)).join(' ')}`,
  );
  return met;
}

const dir = await mkdtemp(join(tmpdir(), 'piper-bench-http-'));
try {
  const file = join(dir, 'input.bin');
  const packed = join(dir, 'input.bin.zst');
  const out = join(dir, 'out.zst');
  const corpus = Buffer.concat([text(Math.floor(size / 2)), jsonLogs(size - Math.floor(size / 2))]);
  await writeFile(file, corpus);
  // As the CLI writes a file it knows the size of: one frame, content size and checksum declared.
  await writeFile(packed, zlib.zstdCompressSync(corpus, { pledgedSrcSize: size, params: { [zlib.constants.ZSTD_c_checksumFlag]: 1 } }));
  const packedSize = (await readFile(packed)).length;
  let met = true;
  const server = await startServe(join(dir, 'data'), [], bin, nodeArgs);
  try {
    console.log(`server: ${await server.commandLine()}`);
    const compressPath = '/api/v1/compress?codec=zstd&level=3';
    await post(server.url, compressPath, file, size); // warm-up
    const compress: Round[] = [];
    const decompress: Round[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      compress.push(await round(server, () => post(server.url, compressPath, file, size), `zstd -3 -T1 -q -c ${file} > /dev/null`));
      decompress.push(
        await round(server, () => post(server.url, '/api/v1/decompress', packed, packedSize), `zstd -d -q -c ${packed} > /dev/null`),
      );
    }
    met = report('POST /api/v1/compress zstd-3', 'zstd -3 -T1', size, compress, 0.75, 0.6) && met;
    met = report('POST /api/v1/decompress', 'zstd -d', size, decompress, 0.75, undefined) && met;
  } finally {
    await server.close();
  }

  // The store line: a file of storeSize made of the corpus over and over (zstd's window at level 3
  // is far smaller than the corpus, so the repeats are not found), uploaded to a server of its own.
  const big = join(dir, 'store.bin');
  const w = createWriteStream(big);
  for (let left = storeSize; left > 0; left -= corpus.length) {
    if (!w.write(corpus.subarray(0, Math.min(left, corpus.length)))) await new Promise<void>((r) => w.once('drain', () => r()));
  }
  await new Promise<void>((r) => w.end(() => r()));
  const store = await startServe(join(dir, 'store-data'), [], bin, nodeArgs);
  try {
    const idle = await store.rss();
    const uploads: Round[] = [];
    const storePath = '/api/v1/files?name=big.bin&codec=zstd&level=3';
    for (let i = 0; i < ROUNDS; i++) {
      uploads.push(
        await round(
          store,
          () => post(store.url, storePath, big, storeSize),
          `sha256sum ${big} > /dev/null && zstd -3 -T1 -q -f ${big} -o ${out}`,
        ),
      );
    }
    met =
      report('POST /api/v1/files zstd-3 (hash + compress + write)', 'sha256sum + zstd -3 -T1 -o', storeSize, uploads, 0.6, undefined) &&
      met;
    const peak = await store.peakRss();
    const rssMet = peak < 150e6;
    console.log(
      `  server RSS: ${(idle / 1e6).toFixed(1)} MB idle, peak (VmHWM) ${(peak / 1e6).toFixed(1)} MB (target < 150 MB: ${rssMet ? 'met' : 'NOT met'})`,
    );
    met = rssMet && met;
  } finally {
    await store.close();
  }
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; all targets ${met ? 'met' : 'NOT met'}`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
