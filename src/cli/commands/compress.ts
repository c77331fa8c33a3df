import { createReadStream, createWriteStream } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PiperError, SystemClock } from '../../core/index.ts';
import {
  checkLevel,
  chooseCodec,
  type Codec,
  codecByName,
  DEFAULT_AUTO_POLICY,
  gzipCodec,
  platformErrors,
  ProgressBar,
  readHead,
  weissmanScore,
} from '../../platform/index.ts';
import { type Command, ExitCode } from '../command.ts';
import { checkOutputFile } from '../output-path.ts';
import { renderTable } from '../terminal-style.ts';
import { missingArgument } from '../usage-errors.ts';

/** File name extensions by codec. */
export const CODEC_EXTENSIONS: Readonly<Record<string, string>> = { zstd: '.zst', gzip: '.gz', brotli: '.br', identity: '.raw' };

/** Files at least this large show a progress bar on a terminal. */
const PROGRESS_FROM = 8 * 1024 * 1024;

export const compressCommand: Command = {
  name: 'compress',
  summary: 'Compress a file locally (no server), streaming',
  args: 'FILE',
  description:
    'Streams FILE through gzip, brotli or zstd (the same codecs as `piper serve`) into FILE.zst,\n' +
    'FILE.gz or FILE.br (or --output). `--codec auto` samples the first 256 KiB and picks as the\n' +
    'server does. Shows a progress bar on a terminal for files of 8 MiB or more. With --weissman,\n' +
    'also compresses FILE with gzip level 6 (discarding the output) and prints the Weissman score\n' +
    'against it, times in milliseconds (docs/platform.md explains its caveats).\n\n' +
    'Examples:\n' +
    '  piper compress access.log                 # access.log.zst, zstd level 3\n' +
    '  piper compress dump.sql --codec brotli --level 9 -o dump.sql.br\n' +
    '  piper compress corpus.tar --codec auto --weissman --json',
  options: {
    codec: { type: 'string', valueName: 'NAME', description: 'zstd, gzip, brotli or auto (default: zstd)' },
    level: {
      type: 'string',
      short: 'l',
      valueName: 'N',
      description: "compression level within the codec's range (default: the codec's own)",
    },
    output: { type: 'string', short: 'o', valueName: 'FILE', description: 'where to write (default: FILE plus .zst, .gz or .br)' },
    force: { type: 'boolean', short: 'f', description: 'overwrite the output file if it exists' },
    weissman: { type: 'boolean', description: 'also time gzip -6 on FILE and print the Weissman score' },
    json: { type: 'boolean', description: 'print the result as JSON' },
  },
  async run(ctx, { values, positionals }) {
    const file = positionals[0];
    if (file === undefined) {
      throw missingArgument('missing FILE (try: piper compress access.log)');
    }
    const clock = new SystemClock();
    const input = resolve(ctx.cwd, file);
    const size = await fileSize(input);
    const name = typeof values.codec === 'string' ? values.codec : 'zstd';
    let codec: Codec;
    let level: number;
    const head = await readHead(createReadStream(input, { highWaterMark: 64 * 1024 }), 256 * 1024);
    if (name === 'auto') {
      if (values.level !== undefined) throw flagError('--level cannot be set with --codec auto: auto picks the level too');
      ({ codec, level } = await chooseCodec(head.head, DEFAULT_AUTO_POLICY, clock));
    } else {
      try {
        codec = codecByName(name);
        level = checkLevel(codec, parseLevel(values.level));
      } catch (err) {
        throw flagError(`--codec/--level: ${(err as Error).message}`);
      }
    }
    const output = resolve(ctx.cwd, typeof values.output === 'string' ? values.output : `${file}${CODEC_EXTENSIONS[codec.name]}`);
    if (output === input) throw flagError('the output file would be the input file');
    checkOutputFile('--output', output, ctx.cwd);
    const out = createWriteStream(output, { flags: values.force === true ? 'w' : 'wx', highWaterMark: 64 * 1024 });
    const stages: NodeJS.ReadWriteStream[] = [];
    if (ctx.isTty && size >= PROGRESS_FROM && values.json !== true) stages.push(new ProgressBar(ctx.stderr, size, clock));
    const started = clock.monotonic();
    try {
      await pipeline([head.stream, ...stages, codec.createCompressor(level), out]);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw flagError(`${output} exists (use --force to overwrite)`);
      await unlink(output).catch(() => undefined);
      throw err;
    }
    const ms = clock.monotonic() - started;
    const written = out.bytesWritten;
    const ratio = size / Math.max(written, 1);
    const result: Record<string, unknown> = {
      input: file,
      output,
      codec: codec.name,
      level,
      size,
      compressedSize: written,
      ratio: Number(ratio.toFixed(4)),
      ms: Number(ms.toFixed(1)),
      mbPerSecond: Number((size / 1e6 / (ms / 1000)).toFixed(1)),
    };
    if (values.weissman === true) result.weissman = await weissmanAgainstGzip(input, size, ratio, ms, clock);
    if (values.json === true) {
      ctx.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return ExitCode.ok;
    }
    const rows: (string | number)[][] = [
      ['codec', `${codec.name} level ${level}`],
      ['size', `${size} B`],
      ['compressed', `${written} B`],
      ['ratio', ratio.toFixed(3)],
      ['speed', `${result.mbPerSecond} MB/s (${result.ms} ms)`],
    ];
    if (result.weissman !== undefined) {
      const w = result.weissman as { score: number | null; referenceRatio: number; referenceMs: number };
      rows.push([
        'weissman',
        w.score === null
          ? 'n/a (a time ≤ 1 ms)'
          : `${w.score.toFixed(3)} vs gzip-6 (r̄ ${w.referenceRatio.toFixed(3)}, T̄ ${w.referenceMs.toFixed(1)} ms)`,
      ]);
    }
    ctx.stdout.write(`${output}\n${renderTable(['', ''], rows)}\n`);
    return ExitCode.ok;
  },
};

async function weissmanAgainstGzip(
  input: string,
  size: number,
  ratio: number,
  ms: number,
  clock: SystemClock,
): Promise<{ score: number | null; reference: string; referenceRatio: number; referenceMs: number; unit: string }> {
  let refBytes = 0;
  const started = clock.monotonic();
  await pipeline(
    createReadStream(input, { highWaterMark: 64 * 1024 }),
    gzipCodec.createCompressor(6),
    new Writable({
      write(c: Buffer, _e, done) {
        refBytes += c.length;
        done();
      },
    }),
  );
  const referenceMs = clock.monotonic() - started;
  const referenceRatio = size / Math.max(refBytes, 1);
  const score = weissmanScore({ ratio, timeMs: ms, referenceRatio, referenceTimeMs: referenceMs }) ?? null;
  return {
    score,
    reference: 'gzip-6',
    referenceRatio: Number(referenceRatio.toFixed(4)),
    referenceMs: Number(referenceMs.toFixed(1)),
    unit: 'ms',
  };
}

/** Size of an input file, or a usage error naming it. */
export async function fileSize(path: string): Promise<number> {
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new Error('not a regular file');
    return s.size;
  } catch (err) {
    throw new PiperError(platformErrors.PIPER_PLATFORM_BAD_FLAG, `cannot read ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function parseLevel(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^-?\d+$/.test(value)) throw flagError(`--level must be an integer, got "${String(value)}"`);
  return Number(value);
}

function flagError(message: string): PiperError {
  return new PiperError(platformErrors.PIPER_PLATFORM_BAD_FLAG, message);
}
