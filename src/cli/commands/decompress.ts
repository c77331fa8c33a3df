import { createReadStream, createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PiperError, SystemClock } from '../../core/index.ts';
import {
  type Codec,
  codecByName,
  codecs,
  detectFormat,
  MAGIC_LENGTH,
  platformErrors,
  ProgressBar,
  readHead,
} from '../../platform/index.ts';
import { type Command, ExitCode } from '../command.ts';
import { checkOutputFile } from '../output-path.ts';
import { renderTable } from '../terminal-style.ts';
import { missingArgument } from '../usage-errors.ts';
import { CODEC_EXTENSIONS, fileSize } from './compress.ts';

const PROGRESS_FROM = 8 * 1024 * 1024;

export const decompressCommand: Command = {
  name: 'decompress',
  summary: 'Decompress a gzip, brotli or zstd file locally (no server), streaming',
  args: 'FILE',
  description:
    'Streams FILE through the matching decompressor into FILE without its .zst, .gz or .br\n' +
    'extension (or --output). The format comes from --codec, else the magic bytes (gzip, zstd),\n' +
    'else the extension (.br: brotli has no magic number). Shows a progress bar on a terminal for\n' +
    'files of 8 MiB or more. A corrupt or truncated file fails with PIPER_PLATFORM_CORRUPT_INPUT\n' +
    'and leaves no output file.\n\n' +
    'Examples:\n' +
    '  piper decompress access.log.zst\n' +
    '  piper decompress blob --codec brotli -o blob.txt',
  options: {
    codec: { type: 'string', valueName: 'NAME', description: 'zstd, gzip or brotli (default: detected)' },
    output: { type: 'string', short: 'o', valueName: 'FILE', description: 'where to write (default: FILE without its extension)' },
    force: { type: 'boolean', short: 'f', description: 'overwrite the output file if it exists' },
    json: { type: 'boolean', description: 'print the result as JSON' },
  },
  async run(ctx, { values, positionals }) {
    const file = positionals[0];
    if (file === undefined) {
      throw missingArgument('missing FILE (try: piper decompress access.log.zst)');
    }
    const clock = new SystemClock();
    const input = resolve(ctx.cwd, file);
    const size = await fileSize(input);
    const head = await readHead(createReadStream(input, { highWaterMark: 64 * 1024 }), MAGIC_LENGTH);
    const codec = pickCodec(values.codec, head.head, file);
    const ext = CODEC_EXTENSIONS[codec.name] ?? '';
    const defaultOut = file.endsWith(ext) && file.length > ext.length ? file.slice(0, -ext.length) : `${file}.out`;
    const output = resolve(ctx.cwd, typeof values.output === 'string' ? values.output : defaultOut);
    checkOutputFile('--output', output, ctx.cwd);
    const out = createWriteStream(output, { flags: values.force === true ? 'w' : 'wx', highWaterMark: 64 * 1024 });
    const stages: NodeJS.ReadWriteStream[] = [];
    if (ctx.isTty && size >= PROGRESS_FROM && values.json !== true) stages.push(new ProgressBar(ctx.stderr, size, clock));
    const decompressor = codec.createDecompressor();
    let codecError: unknown;
    decompressor.once('error', (err) => {
      codecError = err;
    });
    const started = clock.monotonic();
    try {
      await pipeline([head.stream, ...stages, decompressor, out]);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new PiperError(platformErrors.PIPER_PLATFORM_BAD_FLAG, `${output} exists (use --force to overwrite)`);
      }
      await unlink(output).catch(() => undefined);
      if (err === codecError) {
        throw new PiperError(
          platformErrors.PIPER_PLATFORM_CORRUPT_INPUT,
          `${file} is not valid ${codec.name} or is truncated: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
      throw err;
    }
    const ms = clock.monotonic() - started;
    const result = {
      input: file,
      output,
      codec: codec.name,
      compressedSize: size,
      size: out.bytesWritten,
      ms: Number(ms.toFixed(1)),
      mbPerSecond: Number((out.bytesWritten / 1e6 / (ms / 1000)).toFixed(1)),
    };
    if (values.json === true) {
      ctx.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return ExitCode.ok;
    }
    const rows = [
      ['codec', codec.name],
      ['compressed', `${size} B`],
      ['size', `${result.size} B`],
      ['speed', `${result.mbPerSecond} MB/s (${result.ms} ms)`],
    ];
    ctx.stdout.write(`${output}\n${renderTable(['', ''], rows)}\n`);
    return ExitCode.ok;
  },
};

function pickCodec(flag: unknown, head: Buffer, file: string): Codec {
  if (typeof flag === 'string') {
    try {
      return codecByName(flag);
    } catch (err) {
      throw new PiperError(platformErrors.PIPER_PLATFORM_BAD_FLAG, `--codec: ${(err as Error).message}`);
    }
  }
  const detected = detectFormat(head);
  if (detected !== undefined) return codecs[detected];
  if (file.endsWith('.br')) return codecs.brotli;
  throw new PiperError(
    platformErrors.PIPER_PLATFORM_UNKNOWN_FORMAT,
    `${file} is neither gzip nor zstd by its first bytes; for brotli, pass --codec brotli`,
  );
}
