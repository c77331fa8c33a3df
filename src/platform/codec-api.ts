import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { PiperError } from '../core/index.ts';
import { chooseCodec } from './auto-codec.ts';
import { ByteLimit, DecompressionGuard } from './byte-limit.ts';
import type { Codec } from './codec.ts';
import { codecByContentEncoding, codecByName, codecs } from './codec-registry.ts';
import { DeferredResponse } from './deferred-response.ts';
import { detectFormat, MAGIC_LENGTH } from './magic-bytes.ts';
import type { PlatformContext } from './platform-context.ts';
import { checkBodyType, checkDeclaredLength, codecParams } from './request-params.ts';
import { readHead } from './stream-head.ts';

/** Media types of compressed output (RFC 6713 for gzip, RFC 8878 for zstd). */
const MEDIA_TYPES: Readonly<Record<string, string>> = {
  gzip: 'application/gzip',
  zstd: 'application/zstd',
  brotli: 'application/x-brotli',
  identity: 'application/octet-stream',
};

/**
 * `POST /api/v1/compress?codec=&level=`: streams the body through a compressor into the response;
 * `codec=auto` samples the start first. The response names the codec and level in headers.
 */
export async function handleCompress(ctx: PlatformContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  checkBodyType(req);
  checkDeclaredLength(req, ctx.config.maxUploadSize, 'request body');
  let chosen = codecParams(url, 'zstd');
  let source: NodeJS.ReadableStream = req;
  if (chosen === undefined) {
    const head = await readHead(req, ctx.config.auto.sampleSize);
    const choice = await chooseCodec(head.head, ctx.autoPolicy, ctx.clock);
    chosen = { codec: choice.codec, level: choice.level };
    source = head.stream;
  }
  const sink = new DeferredResponse(res, 200, {
    'content-type': MEDIA_TYPES[chosen.codec.name] ?? 'application/octet-stream',
    'x-piper-codec': chosen.codec.name,
    'x-piper-level': String(chosen.level),
  });
  const limit = new ByteLimit(ctx.config.maxUploadSize, 'request body');
  await runToResponse(sink, res, pipeline(source, limit, chosen.codec.createCompressor(chosen.level), sink));
  ctx.metrics.codecBytes.inc({ operation: 'compress', codec: chosen.codec.name }, limit.bytes);
}

/**
 * `POST /api/v1/decompress`: the format comes from `?codec=`, else `Content-Encoding`, else the
 * magic bytes. Output is bounded in size and in ratio to the input (decompression bombs).
 */
export async function handleDecompress(ctx: PlatformContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  checkBodyType(req);
  checkDeclaredLength(req, ctx.config.maxUploadSize, 'request body');
  const head = await readHead(req, MAGIC_LENGTH);
  const codec = declaredCodec(req, url) ?? detected(head.head);
  const input = new ByteLimit(ctx.config.maxUploadSize, 'request body');
  const decompressor = codec.createDecompressor();
  let codecError: unknown;
  decompressor.once('error', (err) => {
    codecError = err;
  });
  const guard = new DecompressionGuard({
    maxBytes: ctx.config.maxDecompressedSize,
    maxRatio: ctx.config.maxDecompressionRatio,
    inputBytes: () => input.bytes,
  });
  const sink = new DeferredResponse(res, 200, { 'content-type': 'application/octet-stream', 'x-piper-codec': codec.name });
  try {
    await runToResponse(sink, res, pipeline(head.stream, input, decompressor, guard, sink));
  } catch (err) {
    if (err === codecError && !(err instanceof PiperError)) {
      throw new PiperError('PIPER_PLATFORM_CORRUPT_INPUT', `the ${codec.name} body is corrupt or truncated: ${(err as Error).message}`, {
        source: 'downstream',
        cause: err,
        details: { status: 400, codec: codec.name },
      });
    }
    throw err;
  }
  ctx.metrics.codecBytes.inc({ operation: 'decompress', codec: codec.name }, guard.bytes);
}

/**
 * Awaits a pipeline into a deferred response. An error before the status line went out is
 * rethrown for the caller to answer with a status; after it, the connection is cut.
 */
export async function runToResponse(sink: DeferredResponse, res: ServerResponse, done: Promise<void>): Promise<void> {
  try {
    await done;
  } catch (err) {
    if (sink.committed) {
      res.destroy();
      throw new PiperError('PIPER_PLATFORM_STREAM_ABORTED', `response aborted after it started: ${(err as Error).message}`, {
        source: 'internal',
        cause: err,
        details: { committed: true },
      });
    }
    throw err;
  }
}

function declaredCodec(req: IncomingMessage, url: URL): Codec | undefined {
  const param = url.searchParams.get('codec');
  if (param !== null) return codecByName(param);
  const encoding = req.headers['content-encoding'];
  if (encoding === undefined || encoding.trim() === '') return undefined;
  const codec = codecByContentEncoding(encoding);
  if (codec === undefined) {
    throw new PiperError('PIPER_PLATFORM_UNKNOWN_CODEC', `content-encoding "${encoding}" is not supported: expected gzip, br or zstd`, {
      source: 'downstream',
      details: { status: 415, codec: encoding },
    });
  }
  return codec;
}

function detected(head: Buffer): Codec {
  const name = detectFormat(head);
  if (name === undefined) {
    throw new PiperError(
      'PIPER_PLATFORM_UNKNOWN_FORMAT',
      'the body is neither gzip nor zstd by its first bytes; brotli has no magic number, so name it with ?codec=brotli or Content-Encoding: br',
      { source: 'downstream', details: { status: 415 } },
    );
  }
  return codecs[name];
}
