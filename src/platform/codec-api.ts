import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PiperError } from '../core/index.ts';
import { chooseCodec } from './auto-codec.ts';
import { ByteLimit, DecompressionGuard } from './byte-limit.ts';
import type { Codec } from './codec.ts';
import { codecByContentEncoding, codecByName, codecs } from './codec-registry.ts';
import { DeferredResponse } from './deferred-response.ts';
import { detectFormat } from './magic-bytes.ts';
import type { PlatformContext } from './platform-context.ts';
import { checkBodyType, checkDeclaredLength, codecParams, declaredLength, slowLevelLimit } from './request-params.ts';
import { readHead } from './stream-head.ts';
import { ZSTD_HEADER_MAX, zstdDeclaredSize } from './zstd-frame-header.ts';
import { platformErrors } from './platform-errors.ts';

/** Media types of compressed output (RFC 6713 for gzip, RFC 8878 for zstd). */
const MEDIA_TYPES: Readonly<Record<string, string>> = {
  gzip: 'application/gzip',
  zstd: 'application/zstd',
  brotli: 'application/x-brotli',
  identity: 'application/octet-stream',
};

/** What the head of a `/compress` request asks for: codec and level (undefined for `auto`), and the bound on a slow level. */
export interface CompressRequest {
  chosen: { codec: Codec; level: number } | undefined;
  slow: ByteLimit | undefined;
}

/** Checks the head of a `/compress` request (type, length, codec, level) before any of its body is read. */
export function compressRequest(ctx: PlatformContext, req: IncomingMessage, url: URL): CompressRequest {
  checkBodyType(req);
  checkDeclaredLength(req, ctx.config.maxUploadSize, 'request body');
  const chosen = codecParams(url, 'zstd');
  const slow = chosen === undefined ? undefined : slowLevelLimit(req, chosen, ctx.config.maxSlowLevelSize);
  return { chosen, slow };
}

/**
 * `POST /api/v1/compress?codec=&level=`: streams the body through a compressor into the response;
 * `codec=auto` samples the start first. The response names the codec and level in headers.
 */
export async function handleCompress(ctx: PlatformContext, body: Readable, res: ServerResponse, request: CompressRequest): Promise<void> {
  let { chosen } = request;
  const { slow } = request;
  let source: NodeJS.ReadableStream = body;
  if (chosen === undefined) {
    const head = await readHead(body, ctx.config.auto.sampleSize);
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
  const compressor = chosen.codec.createCompressor(chosen.level);
  await runToResponse(
    sink,
    res,
    slow === undefined ? pipeline(source, limit, compressor, sink) : pipeline(source, limit, slow, compressor, sink),
  );
  ctx.metrics.codecBytes.inc({ operation: 'compress', codec: chosen.codec.name }, limit.bytes);
}

/** What the head of a `/decompress` request says: the codec it names (else the body's magic bytes tell) and its length. */
export interface DecompressRequest {
  named: Codec | undefined;
  length: number | undefined;
}

/** Checks the head of a `/decompress` request (type, length, named codec) before any of its body is read. */
export function decompressRequest(ctx: PlatformContext, req: IncomingMessage, url: URL): DecompressRequest {
  checkBodyType(req);
  checkDeclaredLength(req, ctx.config.maxUploadSize, 'request body');
  return { named: declaredCodec(req, url), length: declaredLength(req) };
}

/**
 * `POST /api/v1/decompress`: the format comes from `?codec=`, else `Content-Encoding`, else the
 * magic bytes. Output is bounded in size and in ratio to the input (decompression bombs).
 */
export async function handleDecompress(
  ctx: PlatformContext,
  body: Readable,
  res: ServerResponse,
  request: DecompressRequest,
): Promise<void> {
  const head = await readHead(body, ZSTD_HEADER_MAX);
  const codec = request.named ?? detected(head.head);
  if (codec.name === 'zstd') checkDeclaredSize(ctx, request.length, head.head);
  const input = new ByteLimit(ctx.config.maxUploadSize, 'request body');
  const decompressor = codec.createDecompressor();
  let codecError: unknown;
  decompressor.once('error', (err) => {
    codecError = err;
  });
  const guard = new DecompressionGuard({
    maxBytes: ctx.config.maxDecompressedSize,
    maxRatio: ctx.config.maxDecompressionRatio,
    // What the decompressor has consumed, not what was read from the socket: a whole bomb
    // arrives in one read, and dividing by it would let out ratio x body bytes before stopping.
    inputBytes: () => consumedBytes(decompressor) ?? input.bytes,
  });
  const sink = new DeferredResponse(res, 200, { 'content-type': 'application/octet-stream', 'x-piper-codec': codec.name });
  try {
    await runToResponse(sink, res, pipeline(head.stream, input, decompressor, guard, sink));
  } catch (err) {
    if (err === codecError && !(err instanceof PiperError)) {
      throw new PiperError(
        platformErrors.PIPER_PLATFORM_CORRUPT_INPUT,
        `the ${codec.name} body is corrupt or truncated: ${(err as Error).message}`,
        {
          cause: err,
          details: { codec: codec.name },
        },
      );
    }
    throw err;
  }
  ctx.metrics.codecBytes.inc({ operation: 'decompress', codec: codec.name }, guard.bytes);
}

/**
 * A zstd frame that declares its content size (RFC 8878 §3.1.1.1.4) is judged from its header
 * alone: over maxDecompressionRatio times its Content-Length, or over maxDecompressedSize, it is
 * refused before a byte is decoded.
 */
function checkDeclaredSize(ctx: PlatformContext, length: number | undefined, head: Buffer): void {
  const declared = zstdDeclaredSize(head);
  if (declared === undefined) return;
  const ratio = declared / Math.max(1, length ?? 0);
  if (length !== undefined && declared >= DecompressionGuard.RATIO_FLOOR && ratio > ctx.config.maxDecompressionRatio) {
    throw new PiperError(
      platformErrors.PIPER_PLATFORM_DECOMPRESSION_BOMB,
      `the zstd frame declares ${declared} bytes from ${length} bytes, over the ratio limit of ${ctx.config.maxDecompressionRatio}`,
      { details: { ratio, limit: ctx.config.maxDecompressionRatio } },
    );
  }
  const max = ctx.config.maxDecompressedSize;
  if (declared > max) {
    throw new PiperError(
      platformErrors.PIPER_PLATFORM_DECOMPRESSED_TOO_LARGE,
      `the zstd frame declares ${declared} bytes, over the limit of ${max} bytes`,
      {
        details: { limit: max, declared },
      },
    );
  }
}

/** Compressed bytes a zlib stream has taken into its engine so far (zlib's `bytesWritten`); undefined for a pass-through. */
function consumedBytes(stream: Transform): number | undefined {
  const n = (stream as Transform & { bytesWritten?: unknown }).bytesWritten;
  return typeof n === 'number' ? n : undefined;
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
      throw new PiperError(platformErrors.PIPER_PLATFORM_STREAM_ABORTED, `response aborted after it started: ${(err as Error).message}`, {
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
    throw new PiperError(
      platformErrors.PIPER_PLATFORM_UNKNOWN_CODEC,
      `content-encoding "${encoding}" is not supported: expected gzip, br or zstd`,
      { status: 415, details: { codec: encoding } },
    );
  }
  return codec;
}

function detected(head: Buffer): Codec {
  const name = detectFormat(head);
  if (name === undefined) {
    throw new PiperError(
      platformErrors.PIPER_PLATFORM_UNKNOWN_FORMAT,
      'the body is neither gzip nor zstd by its first bytes; brotli has no magic number, so name it with ?codec=brotli or Content-Encoding: br',
    );
  }
  return codecs[name];
}
