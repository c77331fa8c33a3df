import { PassThrough, type Transform, type TransformOptions } from 'node:stream';
import zlib from 'node:zlib';
import { type Codec, ZLIB_CHUNK_SIZE } from './codec.ts';
import { ZstdFramesDecompress } from './zstd-frames-decompress.ts';

/** gzip (RFC 1952) through zlib; level 6 is gzip's own default. */
export const gzipCodec: Codec = {
  name: 'gzip',
  contentEncoding: 'gzip',
  levels: { min: 1, max: 9, default: 6 },
  createCompressor: (level) => zlib.createGzip({ level, chunkSize: ZLIB_CHUNK_SIZE }),
  createDecompressor: () => zlib.createGunzip({ chunkSize: ZLIB_CHUNK_SIZE }),
};

/** Brotli (RFC 7932); quality 5 is the usual on-the-fly choice, 11 is for precompression only. */
export const brotliCodec: Codec = {
  name: 'brotli',
  contentEncoding: 'br',
  levels: { min: 0, max: 11, default: 5, slowFrom: 10 },
  createCompressor: (level) =>
    zlib.createBrotliCompress({ chunkSize: ZLIB_CHUNK_SIZE, params: { [zlib.constants.BROTLI_PARAM_QUALITY]: level } }),
  createDecompressor: () => zlib.createBrotliDecompress({ chunkSize: ZLIB_CHUNK_SIZE }),
};

/**
 * Output chunks of the zstd decoder: two of its 128 KiB blocks. Each chunk is one round trip to the
 * threadpool and one Buffer through every stage after it; zstd decodes ~1 GB/s, so at 64 KiB those
 * cost a large share of what the decoding does. Room for two chunks downstream lets
 * the next one decode while the last is written, instead of waiting for each read.
 */
const ZSTD_DECOMPRESS_CHUNK_SIZE = 256 * 1024;
/** node:zlib hands its options to its Transform too, where `readableHighWaterMark` takes effect. */
const ZSTD_DECOMPRESS_OPTIONS: zlib.ZstdOptions & TransformOptions = {
  chunkSize: ZSTD_DECOMPRESS_CHUNK_SIZE,
  readableHighWaterMark: 2 * ZSTD_DECOMPRESS_CHUNK_SIZE,
};

/** Zstandard (RFC 8878) through Node 24's zlib binding; level 3 is zstd's default. */
export const zstdCodec: Codec = {
  name: 'zstd',
  contentEncoding: 'zstd',
  levels: { min: 1, max: 19, default: 3, slowFrom: 16 },
  createCompressor: (level) =>
    zlib.createZstdCompress({
      chunkSize: ZLIB_CHUNK_SIZE,
      params: {
        [zlib.constants.ZSTD_c_compressionLevel]: level,
        // As `zstd` does by default: a checksum of the content in each frame, checked on decoding.
        [zlib.constants.ZSTD_c_checksumFlag]: 1,
        // On the calling threadpool thread, with no worker threads of zstd's own.
        [zlib.constants.ZSTD_c_nbWorkers]: 0,
      },
    }),
  createDecompressor: () => new ZstdFramesDecompress(ZSTD_DECOMPRESS_OPTIONS),
};

/** Bytes unchanged: what `auto` stores when the input does not compress. */
export const identityCodec: Codec = {
  name: 'identity',
  contentEncoding: 'identity',
  levels: { min: 0, max: 0, default: 0 },
  createCompressor: (): Transform => new PassThrough({ highWaterMark: ZLIB_CHUNK_SIZE }),
  createDecompressor: (): Transform => new PassThrough({ highWaterMark: ZLIB_CHUNK_SIZE }),
};
