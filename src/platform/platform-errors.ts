import { defineErrors } from '../core/index.ts';

/** The platform's error codes: what each means and what to do (docs/errors.md is generated from them). */
export const platformErrors = defineErrors({
  PIPER_PLATFORM_BAD_FLAG: {
    source: 'operator',
    retryable: false,
    meaning: 'A `piper serve`/`compress`/`decompress` flag or input file is invalid; the message names the flag.',
    whatToDo: 'Fix the flag as the message says (`--help` lists them).',
  },
  PIPER_PLATFORM_BAD_ID: {
    status: 400,
    source: 'downstream',
    retryable: false,
    meaning: 'A file id is not 64 lowercase hex characters; nothing from it reached a path.',
    whatToDo: 'Use the `id` returned by `POST /api/v1/files`.',
  },
  PIPER_PLATFORM_BAD_LEVEL: {
    status: 400,
    source: 'downstream',
    retryable: false,
    meaning: "A compression level is outside the codec's range, not an integer, or set with `codec=auto`.",
    whatToDo: "gzip 1–9, brotli 0–11, zstd 1–19; leave it out for the codec's default.",
  },
  PIPER_PLATFORM_BAD_NAME: {
    status: 400,
    source: 'downstream',
    retryable: false,
    meaning: 'A file name is empty, over 255 characters or has control characters.',
    whatToDo: 'Send a printable name in `?name=` or `X-File-Name`.',
  },
  PIPER_PLATFORM_BAD_QUERY: {
    status: 400,
    source: 'downstream',
    retryable: false,
    meaning: 'A query parameter (`limit`, `offset`) is out of range.',
    whatToDo: '`limit` 1–1000, `offset` ≥ 0.',
  },
  PIPER_PLATFORM_BAD_REQUEST: {
    status: 400,
    source: 'downstream',
    retryable: false,
    meaning: 'The bytes received were not a valid HTTP request (HTTP 400, connection closed).',
    whatToDo: 'Fix the client.',
  },
  PIPER_PLATFORM_BODY_TOO_SLOW: {
    status: 408,
    source: 'downstream',
    retryable: false,
    meaning:
      'A request body arrived under `platform.minBodyRate` over a `platform.minBodyRateWindow` the server spent waiting for it (HTTP 408, connection closed; cut if the response had started).',
    whatToDo: 'Send the body at a steady pace; lower `minBodyRate` for very slow links.',
  },
  PIPER_PLATFORM_CLIENT_CLOSED: {
    source: 'downstream',
    retryable: false,
    meaning: 'The client closed the connection before the response ended (logged only).',
    whatToDo: 'Nothing; retry from the client if it was not deliberate.',
  },
  PIPER_PLATFORM_CORRUPT_INPUT: {
    status: 400,
    source: 'downstream',
    retryable: false,
    meaning: 'A body to decompress (or a file for `piper decompress`) is corrupt or truncated.',
    whatToDo: 'Send the complete compressed stream; check the codec.',
  },
  PIPER_PLATFORM_DECOMPRESSED_TOO_LARGE: {
    status: 413,
    source: 'downstream',
    retryable: false,
    meaning:
      'Decompressed output passed `platform.maxDecompressedSize`, or a zstd frame declares more in its header (HTTP 413 before the first MiB of output, else the connection is cut).',
    whatToDo: 'Raise the limit, or decompress locally.',
  },
  PIPER_PLATFORM_DECOMPRESSION_BOMB: {
    status: 413,
    source: 'downstream',
    retryable: false,
    meaning:
      'Output over input consumed by the decompressor passed `platform.maxDecompressionRatio` once 1 MiB came out, or a zstd frame declares such a ratio to its `Content-Length` (HTTP 413, before any output).',
    whatToDo: 'Nothing for hostile input; raise the ratio limit for legitimate extreme data.',
  },
  PIPER_PLATFORM_EMPTY_UPLOAD: {
    status: 400,
    source: 'downstream',
    retryable: false,
    meaning:
      'An upload is empty: `Content-Length: 0`, or a chunked body that ended before its first byte (HTTP 400; the upload page refuses an empty file before sending it).',
    whatToDo: 'Pick the file again: an empty file is usually a failed export or the wrong file.',
  },
  PIPER_PLATFORM_FILE_NOT_FOUND: {
    status: 404,
    source: 'downstream',
    retryable: false,
    meaning: 'No stored file has this id.',
    whatToDo: 'List files with `GET /api/v1/files`.',
  },
  PIPER_PLATFORM_FILE_TOO_LARGE: {
    status: 413,
    source: 'downstream',
    retryable: false,
    meaning:
      'An upload is over `platform.maxFileSize` (HTTP 413, from `Content-Length` before reading, or as soon as a chunked body passes it; nothing is kept).',
    whatToDo: 'Store smaller files, or raise the limit.',
  },
  PIPER_PLATFORM_FORBIDDEN: {
    status: 403,
    source: 'downstream',
    retryable: false,
    meaning: 'No platform token is configured and a `DELETE` (or a guarded upload) came from another host or through a proxy.',
    whatToDo: "Delete from the server's own machine, or configure `platform.auth.token` (or `PIPER_PLATFORM_TOKEN`) and send it.",
  },
  PIPER_PLATFORM_HEADERS_TOO_LARGE: {
    status: 431,
    source: 'downstream',
    retryable: false,
    meaning: 'Request headers are over `platform.maxHeaderSize` (HTTP 431, connection closed).',
    whatToDo: 'Send fewer or smaller headers.',
  },
  PIPER_PLATFORM_INTERNAL: {
    status: 500,
    source: 'internal',
    retryable: false,
    meaning: 'An unexpected error in a handler; logged with its stack.',
    whatToDo: 'Report it with the log line.',
  },
  PIPER_PLATFORM_LEVEL_TOO_EXPENSIVE: {
    status: 413,
    source: 'downstream',
    retryable: false,
    meaning:
      'A body over `platform.maxSlowLevelSize` asked for a slow level (brotli 10–11, zstd 16–19) on `/compress` or an upload (HTTP 413, from `Content-Length` before reading, or as soon as a chunked body passes the limit).',
    whatToDo: 'Use a lower level for large bodies (brotli 9, zstd 15), or compress offline with `piper compress`.',
  },
  PIPER_PLATFORM_NOT_FOUND: {
    status: 404,
    source: 'downstream',
    retryable: false,
    meaning: 'No route for this method and path.',
    whatToDo: 'See docs/platform.md for the API.',
  },
  PIPER_PLATFORM_NOT_READY: {
    status: 503,
    source: 'internal',
    retryable: true,
    meaning:
      '`/readyz`: the server is draining, its store is not writable, or it sheds every request (all `maxConcurrency` slots taken and none handed out for `queueTimeout`).',
    whatToDo:
      "Wait; the balancer routes elsewhere meanwhile. Check the data directory's disk and permissions, or the clients holding the slots.",
  },
  PIPER_PLATFORM_OBJECT_CORRUPT: {
    status: 500,
    source: 'internal',
    retryable: false,
    meaning:
      'A stored object failed hash verification or decoding, or its file is missing (HTTP 500 before the first 4 MiB were sent, else the connection is cut; counted in `piper_platform_corrupt_objects_total`).',
    whatToDo: 'Restore the object from a backup or delete it and upload again.',
  },
  PIPER_PLATFORM_OVERLOADED: {
    status: 503,
    source: 'internal',
    retryable: true,
    meaning:
      'Over `maxConcurrency`/`capacityRps` and the queue was full or the wait passed `queueTimeout`, or the server is shutting down (HTTP 503, `Retry-After: 1`, retryable).',
    whatToDo: 'Retry after a second on another backend; add capacity.',
  },
  PIPER_PLATFORM_RANGE_NOT_SATISFIABLE: {
    status: 416,
    source: 'downstream',
    retryable: false,
    meaning: 'A `Range` lies outside the file (HTTP 416 with `Content-Range: bytes */SIZE`).',
    whatToDo: 'Ask for a range within the size.',
  },
  PIPER_PLATFORM_REQUEST_TIMEOUT: {
    status: 408,
    source: 'downstream',
    retryable: false,
    meaning:
      'Request headers did not arrive within `platform.headersTimeout`, or the body within `platform.requestTimeout` of them (HTTP 408, connection closed; cut if the response had started).',
    whatToDo: 'Send the request promptly; raise `requestTimeout` for large uploads over slow links.',
  },
  PIPER_PLATFORM_STORE_FULL: {
    status: 507,
    source: 'internal',
    retryable: false,
    meaning:
      "An upload would take the store's original bytes past `platform.maxStoreSize` (HTTP 507, from `Content-Length` before reading, or as soon as a chunked body passes it; nothing is kept).",
    whatToDo: 'Delete files you no longer need, or raise the limit.',
  },
  PIPER_PLATFORM_STORE_UNAVAILABLE: {
    status: 503,
    source: 'internal',
    retryable: true,
    meaning: 'The data directory cannot be prepared at start, or the store is closed.',
    whatToDo: 'Check the path and permissions of `platform.dataDir`.',
  },
  PIPER_PLATFORM_STREAM_ABORTED: {
    source: 'internal',
    retryable: false,
    meaning: 'A streamed response failed after its status line was sent; the connection was cut (logged).',
    whatToDo: 'The client sees a truncated body; see the logged cause.',
  },
  PIPER_PLATFORM_TOO_LARGE: {
    status: 413,
    source: 'downstream',
    retryable: false,
    meaning:
      'A request body is over `platform.maxUploadSize` (HTTP 413, from Content-Length before reading, or as soon as the limit passes).',
    whatToDo: 'Send less, or raise the limit.',
  },
  PIPER_PLATFORM_UNAUTHORIZED: {
    status: 401,
    source: 'downstream',
    retryable: false,
    meaning:
      'A `DELETE` (or an upload, with `platform.auth.requireForUploads`) came without `Authorization: Bearer <token>` matching `platform.auth.token` (HTTP 401, `WWW-Authenticate: Bearer`).',
    whatToDo: 'Send the platform token.',
  },
  PIPER_PLATFORM_UNKNOWN_CODEC: {
    status: 400,
    source: 'downstream',
    retryable: false,
    meaning: '`codec=` names no codec, or `Content-Encoding` is not gzip, br or zstd (HTTP 415).',
    whatToDo: 'Use gzip, brotli (br), zstd, identity or auto.',
  },
  PIPER_PLATFORM_UNKNOWN_FORMAT: {
    status: 415,
    source: 'downstream',
    retryable: false,
    meaning: 'A body to decompress is neither gzip nor zstd by its magic bytes and no codec was named.',
    whatToDo: 'Name it: `?codec=brotli` or `Content-Encoding: br`.',
  },
  PIPER_PLATFORM_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    source: 'downstream',
    retryable: false,
    meaning: 'A multipart form was sent where the raw bytes are expected.',
    whatToDo: 'Send the file as the body (`curl --data-binary @FILE`).',
  },
});

declare module '../core/piper-error.ts' {
  interface PiperErrorCodes extends Record<keyof typeof platformErrors, true> {}
}
