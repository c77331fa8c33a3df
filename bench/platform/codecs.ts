// Codec throughput and ratio: piper's node:zlib streams (64 KiB chunks) against the Debian zstd,
// gzip and brotli command-line tools on the same generated corpus, in the same run.
//
//   node bench/platform/codecs.ts [--size 8MiB]
//
// Each measurement is the best of 3 runs, timed in CPU seconds (user + system: for node every thread
// of this process, threadpool included; for the CLI tools, /usr/bin/time on the child, -T1 for zstd),
// because wall time on a shared machine mostly measures the neighbours. Prints MB of uncompressed
// data per CPU-second and the ratio node / CLI per codec, level and corpus part.
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { parseSize } from '../../src/core/index.ts';
import { type Codec, codecs } from '../../src/platform/index.ts';
import { writeCorpus } from './corpus.ts';

const { values } = parseArgs({ options: { size: { type: 'string', default: '8MiB' } } });
const each = parseSize(values.size);
const ROUNDS = 3;

interface Case {
  codec: Codec;
  level: number;
  cli: { compress: (level: number) => string[]; decompress: string[]; bin: string };
}

const cases: Case[] = [
  ...[1, 3, 9].map((level) => ({
    codec: codecs.zstd,
    level,
    cli: { bin: 'zstd', compress: (l: number) => [`-${l}`, '-T1', '-q', '-c'], decompress: ['-d', '-q', '-c'] },
  })),
  ...[1, 6].map((level) => ({
    codec: codecs.gzip,
    level,
    cli: { bin: 'gzip', compress: (l: number) => [`-${l}`, '-c'], decompress: ['-d', '-c'] },
  })),
  ...[1, 5].map((level) => ({
    codec: codecs.brotli,
    level,
    cli: { bin: 'brotli', compress: (l: number) => ['-q', String(l), '-c'], decompress: ['-d', '-c'] },
  })),
];

function nullSink(): Writable & { bytes: number } {
  const w = new Writable({
    write(c: Buffer, _e, done) {
      (w as unknown as { bytes: number }).bytes += c.length;
      done();
    },
  }) as Writable & { bytes: number };
  w.bytes = 0;
  return w;
}

/** CPU milliseconds of this process (all threads) spent in `fn`. */
async function nodeRun(file: string, stream: () => NodeJS.ReadWriteStream): Promise<{ ms: number; out: number }> {
  const sink = nullSink();
  const before = process.cpuUsage();
  await pipeline(createReadStream(file, { highWaterMark: 64 * 1024 }), stream(), sink);
  const used = process.cpuUsage(before);
  return { ms: (used.user + used.system) / 1000, out: sink.bytes };
}

/** CPU milliseconds of a CLI run, as /usr/bin/time reports them (10 ms resolution). */
function cliRun(bin: string, args: string[], file: string): Promise<{ ms: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', 'cpu %U %S', bin, ...args, file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const m = /cpu ([\d.]+) ([\d.]+)/.exec(err);
      if (code !== 0 || m === null) reject(new Error(`${bin} exited ${code}: ${err}`));
      else resolve({ ms: Math.max((Number(m[1]) + Number(m[2])) * 1000, 10) });
    });
  });
}

const best = async <T extends { ms: number }>(f: () => Promise<T>): Promise<T> => {
  let b: T | undefined;
  for (let i = 0; i < ROUNDS; i++) {
    const r = await f();
    if (b === undefined || r.ms < b.ms) b = r;
  }
  return b as T;
};

const dir = await mkdtemp(join(tmpdir(), 'piper-bench-codecs-'));
try {
  const corpus = await writeCorpus(dir, each);
  const mb = each / 1e6;
  console.log(
    `corpus: ${Object.keys(corpus).join(', ')}, ${mb.toFixed(1)} MB each; best of ${ROUNDS}; MB of uncompressed data per CPU-second`,
  );
  console.log(
    'part        codec    lvl  ratio  node c MB/s  cli c MB/s  c node/cli  node d MB/s  cli d MB/s  d node/cli   (MB/s = MB per CPU-s)',
  );
  for (const [part, file] of Object.entries(corpus)) {
    for (const c of cases) {
      const nc = await best(() => nodeRun(file, () => c.codec.createCompressor(c.level)));
      const packed = join(dir, `${part}.${c.codec.name}${c.level}`);
      await pipeline(createReadStream(file), c.codec.createCompressor(c.level), createWriteStream(packed));
      const cc = await best(() => cliRun(c.cli.bin, c.cli.compress(c.level), file));
      const nd = await best(() => nodeRun(packed, () => c.codec.createDecompressor()));
      const cd = await best(() => cliRun(c.cli.bin, c.cli.decompress, packed));
      const ratio = each / (await stat(packed)).size;
      const f = (ms: number) => (mb / (ms / 1000)).toFixed(0).padStart(11);
      console.log(
        `${part.padEnd(11)} ${c.codec.name.padEnd(8)} ${String(c.level).padStart(3)} ${ratio.toFixed(2).padStart(6)} ${f(nc.ms)} ${f(cc.ms)} ${(cc.ms / nc.ms).toFixed(2).padStart(11)} ${f(nd.ms)} ${f(cd.ms)} ${(cd.ms / nd.ms).toFixed(2).padStart(11)}`,
      );
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
