import type { Transform } from 'node:stream';
import { PiperError } from '../core/index.ts';
import { platformErrors } from './platform-errors.ts';

/** Names of the codecs the platform speaks; `identity` stores bytes as they came. */
export type CodecName = 'identity' | 'gzip' | 'brotli' | 'zstd';

/** The inclusive level range of a codec and the level used when none is asked for. */
export interface LevelRange {
  readonly min: number;
  readonly max: number;
  readonly default: number;
  /**
   * The first level too slow to run on a large body while a client waits (brotli 10, zstd 16:
   * 1-7 MB/s on a core against 25-35 MB/s one level below); absent when every level is fast enough.
   */
  readonly slowFrom?: number;
}

/**
 * One compression format. Every implementation runs its work on the libuv threadpool (node:zlib
 * streams), so a compressing request never stalls the other connections of the process.
 */
export interface Codec {
  readonly name: CodecName;
  /** The HTTP content-coding token (RFC 9110 §8.4.1): `gzip`, `br`, `zstd`, `identity`. */
  readonly contentEncoding: string;
  readonly levels: LevelRange;
  /** A compressing stream; `level` must be within {@link levels} (checked by {@link checkLevel}). */
  createCompressor(level: number): Transform;
  /** A decompressing stream; corrupt or truncated input errors the stream. */
  createDecompressor(): Transform;
}

/** zlib's default 16 KiB output chunks cost 15–45 % of decompression throughput (docs/platform.md). */
export const ZLIB_CHUNK_SIZE = 64 * 1024;

/** Returns the level to use, or throws PIPER_PLATFORM_BAD_LEVEL naming the codec's range. */
export function checkLevel(codec: Codec, level: number | undefined): number {
  if (level === undefined) return codec.levels.default;
  if (!Number.isInteger(level) || level < codec.levels.min || level > codec.levels.max) {
    throw new PiperError(
      platformErrors.PIPER_PLATFORM_BAD_LEVEL,
      `level ${String(level)} is out of range for ${codec.name}: expected an integer from ${codec.levels.min} to ${codec.levels.max}`,
      { details: { codec: codec.name, level } },
    );
  }
  return level;
}
