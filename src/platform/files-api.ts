import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PiperError, sendJson } from '../core/index.ts';
import { acceptsEncoding } from './accept-encoding.ts';
import { ByteLimit } from './byte-limit.ts';
import { type ByteRange, parseRange } from './byte-range.ts';
import type { Codec } from './codec.ts';
import { runToResponse } from './codec-api.ts';
import { codecs } from './codec-registry.ts';
import { DeferredResponse } from './deferred-response.ts';
import { sendErrorAnswer } from './error-answer.ts';
import type { FileRecord } from './file-record.ts';
import { corruptObject } from './hash-tap.ts';
import { planObjectRead, rangeable } from './object-read.ts';
import type { PlatformContext } from './platform-context.ts';
import { checkBodyType, checkDeclaredLength, codecParams, declaredLength, intParam, slowLevelLimit } from './request-params.ts';
import type { QuotaReservation } from './store-quota.ts';
import { readHead } from './stream-head.ts';
import { planUpload } from './upload-plan.ts';
import { platformErrors } from './platform-errors.ts';

/** Up to this much of a download is held before its status goes out, so corruption found in it still gets a 500. */
const VERIFY_BEFORE_SEND = 4 * 1024 * 1024;

/** The JSON shape of a stored file. */
export function fileJson(r: FileRecord): Record<string, unknown> {
  return {
    id: r.id,
    name: r.name,
    contentType: r.contentType,
    size: r.size,
    storedSize: r.storedSize,
    codec: r.codec,
    level: r.level,
    ratio: Number(r.ratio.toFixed(4)),
    weissman: r.weissman === null ? null : Number(r.weissman.toFixed(4)),
    weissmanReference: 'gzip-6',
    createdAt: new Date(r.createdAt).toISOString(),
    url: `/api/v1/files/${r.id}`,
  };
}

/** What the head of an upload says: name, content type, codec and level (undefined for `auto`), length. */
export interface UploadRequest {
  name: string;
  contentType: string;
  explicit: { codec: Codec; level: number } | undefined;
  slow: ByteLimit | undefined;
  length: number | undefined;
}

/**
 * Checks the head of `POST /api/v1/files` (type, length against maxUploadSize, maxFileSize and
 * the room left in the store, name, codec, level) before any of its body is read.
 */
export function uploadRequest(ctx: PlatformContext, req: IncomingMessage, url: URL): UploadRequest {
  checkBodyType(req);
  checkDeclaredLength(req, ctx.config.maxUploadSize, 'an upload');
  checkDeclaredLength(req, ctx.config.maxFileSize, 'a file', platformErrors.PIPER_PLATFORM_FILE_TOO_LARGE);
  const length = declaredLength(req);
  if (length === 0) throw emptyUpload();
  ctx.store.quota.reserve(length).release();
  const name = fileName(url.searchParams.get('name') ?? headerName(req) ?? 'upload.bin');
  const explicit = codecParams(url, 'auto');
  const slow = explicit === undefined ? undefined : slowLevelLimit(req, explicit, ctx.config.maxSlowLevelSize);
  const declared = req.headers['content-type'];
  const contentType =
    declared === undefined || /^application\/x-www-form-urlencoded\b/i.test(declared) ? 'application/octet-stream' : declared.slice(0, 200);
  return { name, contentType, explicit, slow, length };
}

/** `POST /api/v1/files?name=&codec=auto&level=`: stores the raw body compressed at rest. */
export async function handleUpload(ctx: PlatformContext, body: Readable, res: ServerResponse, upload: UploadRequest): Promise<void> {
  // Room in the store is reserved for the declared length, and held until the file is stored or refused.
  const reservation = ctx.store.quota.reserve(upload.length);
  try {
    await storeUpload(ctx, body, res, upload, reservation);
  } finally {
    reservation.release();
  }
}

async function storeUpload(
  ctx: PlatformContext,
  body: Readable,
  res: ServerResponse,
  upload: UploadRequest,
  reservation: QuotaReservation,
): Promise<void> {
  const { name, contentType, explicit, slow } = upload;
  const started = ctx.clock.monotonic();
  const head = await readHead(body, ctx.config.auto.sampleSize);
  // A chunked body declares no length: its emptiness shows only once it has ended.
  if (head.head.length === 0) throw emptyUpload();
  // readHead stops at the sample size or the end: short of the size, or as long as declared, the sample is the whole file.
  const whole = head.head.length < ctx.config.auto.sampleSize || head.head.length === upload.length;
  const plan = await planUpload(head.head, whole, explicit, ctx.autoPolicy, ctx.clock);
  const { record, deduplicated } = await ctx.store.put(head.stream, {
    name,
    contentType,
    codec: plan.codec,
    level: plan.level,
    maxBytes: ctx.config.maxUploadSize,
    guards: [
      new ByteLimit(ctx.config.maxFileSize, 'a file', platformErrors.PIPER_PLATFORM_FILE_TOO_LARGE),
      reservation.meter(),
      ...(slow === undefined ? [] : [slow]),
    ],
    score: plan.score,
  });
  const elapsedMs = ctx.clock.monotonic() - started;
  ctx.metrics.codecBytes.inc({ operation: 'store', codec: record.codec }, record.size);
  // Content stored before keeps the codec it was stored with, which this upload's plan did not decide.
  const planned = record.codec === plan.codec.name && record.level === plan.level;
  const codecReason = planned
    ? plan.reason
    : `already stored by an earlier upload, as ${record.codec === 'identity' ? 'is' : `${record.codec} level ${record.level}`}`;
  const storedAsIs = planned ? plan.storedAsIs : record.codec === 'identity' ? 'earlier-upload' : null;
  sendJson(
    res,
    deduplicated ? 200 : 201,
    { ...fileJson(record), deduplicated, codecReason, storedAsIs, elapsedMs: Number(elapsedMs.toFixed(1)) },
    { location: `/api/v1/files/${record.id}` },
  );
}

/** `GET /api/v1/files?limit=&offset=`: newest first. */
export function handleList(ctx: PlatformContext, res: ServerResponse, url: URL): void {
  const limit = intParam(url, 'limit', 1, 1000, 50);
  const offset = intParam(url, 'offset', 0, Number.MAX_SAFE_INTEGER, 0);
  const { files, total } = ctx.store.list(limit, offset);
  sendJson(res, 200, {
    files: files.map(fileJson),
    total,
    limit,
    offset,
    nextOffset: offset + files.length < total ? offset + files.length : null,
  });
}

/** `DELETE /api/v1/files/:id`. */
export async function handleDelete(ctx: PlatformContext, res: ServerResponse, id: string): Promise<void> {
  if (!(await ctx.store.delete(id))) throw notFound(id);
  res.writeHead(204).end();
}

/**
 * `GET|HEAD /api/v1/files/:id`: the stored bytes as they are when the client accepts the stored
 * coding (no CPU spent), else decoded; ETag and If-None-Match, Range on decoded responses when its
 * cost is bounded (see {@link rangeable}). Every byte is verified before it is sent.
 */
export async function handleDownload(ctx: PlatformContext, req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
  const record = ctx.store.get(id);
  if (record === undefined) throw notFound(id);
  const codec = codecs[record.codec];
  const range = req.headers.range;
  const raw = codec.name !== 'identity' && range === undefined && acceptsEncoding(req.headers['accept-encoding'], codec.contentEncoding);
  const etag = raw ? `"${record.id}-${codec.contentEncoding}"` : `"${record.id}"`;
  const headers: OutgoingHttpHeaders = {
    'content-type': record.contentType,
    etag,
    vary: 'Accept-Encoding',
    'cache-control': 'no-cache',
    'content-disposition': `inline; filename*=UTF-8''${encodeURIComponent(record.name)}`,
    // Uploaded HTML must not run as this site's page (stored XSS): no sniffing, sandboxed.
    'x-content-type-options': 'nosniff',
    'content-security-policy': 'sandbox',
  };
  // A range that would have to be decoded from the start of a large object is ignored (RFC 9110
  // §14.2 lets a server answer 200 with the whole body), and the object says so up front (§14.3).
  const ranges = !raw && rangeable(record, ctx.config.maxRangeDecodeSize);
  if (raw) headers['content-encoding'] = codec.contentEncoding;
  else headers['accept-ranges'] = ranges ? 'bytes' : 'none';
  if (matchesEtag(req.headers['if-none-match'], etag)) {
    res.writeHead(304, headers).end();
    return;
  }
  let status = 200;
  let length = raw ? record.storedSize : record.size;
  let slice: ByteRange | undefined;
  if (ranges) {
    const r = parseRange(range, record.size);
    if (r === null) {
      sendErrorAnswer(
        req,
        res,
        416,
        {
          code: 'PIPER_PLATFORM_RANGE_NOT_SATISFIABLE',
          // Exact bytes, not KiB: a range is written in bytes.
          message: `range "${range}" is outside the ${record.size} bytes of the file`,
          details: { size: record.size },
        },
        { 'content-range': `bytes */${record.size}` },
      );
      return;
    }
    if (r !== undefined) {
      status = 206;
      headers['content-range'] = `bytes ${r.start}-${r.end}/${record.size}`;
      length = r.end - r.start + 1;
      slice = r;
    }
  }
  headers['content-length'] = length;
  if (req.method === 'HEAD') {
    res.writeHead(status, headers).end();
    return;
  }
  const read = planObjectRead(record, raw, slice);
  const stored = await ctx.store.openStored(record, read.start, read.end);
  const sink = new DeferredResponse(res, status, headers, VERIFY_BEFORE_SEND);
  try {
    await runToResponse(sink, res, pipeline([stored as Readable, ...read.stages, sink]));
  } catch (err) {
    const clientGone = res.destroyed && !sink.committed;
    if (clientGone) throw err;
    const root = err instanceof PiperError && err.code === 'PIPER_PLATFORM_STREAM_ABORTED' ? err.cause : err;
    const corrupt = isCorrupt(root)
      ? (root as PiperError)
      : root instanceof PiperError
        ? undefined
        : corruptObject(record.id, `cannot be decoded: ${(root as Error).message}`, root);
    if (corrupt !== undefined) {
      ctx.metrics.corruptObjects.inc();
      ctx.log.error({ code: corrupt.code, id: record.id, committed: sink.committed, err: corrupt }, 'stored object failed verification');
    }
    throw corrupt !== undefined && !sink.committed ? corrupt : err;
  } finally {
    ctx.metrics.storeReadBytes.inc(undefined, stored.bytesRead);
    if (read.decoded() > 0) ctx.metrics.codecBytes.inc({ operation: 'read', codec: codec.name }, read.decoded());
  }
}

function isCorrupt(err: unknown): boolean {
  return err instanceof PiperError && err.code === 'PIPER_PLATFORM_OBJECT_CORRUPT';
}

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  // If-None-Match uses the weak comparison (RFC 9110 §13.1.2).
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

function notFound(id: string): PiperError {
  return new PiperError(platformErrors.PIPER_PLATFORM_FILE_NOT_FOUND, `no file with id ${id}`);
}

/** An empty file is refused: it is almost always a mistake (a failed export, the wrong file picked). */
function emptyUpload(): PiperError {
  return new PiperError(platformErrors.PIPER_PLATFORM_EMPTY_UPLOAD, 'the file is empty (0 bytes): there is nothing to store');
}

function headerName(req: IncomingMessage): string | undefined {
  const h = req.headers['x-file-name'];
  if (typeof h !== 'string') return undefined;
  try {
    return decodeURIComponent(h);
  } catch {
    return h;
  }
}

/** A display name: metadata only, it never reaches a path, but it must stay printable and short. */
function fileName(name: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (name.length === 0 || name.length > 255 || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new PiperError(platformErrors.PIPER_PLATFORM_BAD_NAME, 'a file name must be 1 to 255 printable characters');
  }
  return name;
}
