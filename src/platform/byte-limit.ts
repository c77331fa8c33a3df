import { Transform, type TransformCallback } from 'node:stream';
import { formatSize, PiperError } from '../core/index.ts';
import { platformErrors } from './platform-errors.ts';

/**
 * Two sizes for one sentence, in binary units for people; with the exact bytes as well when
 * rounding would print them the same ("1.00 MiB is over the limit of 1.00 MiB" reads as a bug).
 */
export function formatSizes(size: number, limit: number): [string, string] {
  const [a, b] = [formatSize(size), formatSize(limit)];
  return a === b && size !== limit ? [`${a} (${size} bytes)`, `${b} (${limit} bytes)`] : [a, b];
}

/** The limits a body can pass, each its own code (HTTP 413). */
export type OverLimit =
  | typeof platformErrors.PIPER_PLATFORM_TOO_LARGE
  | typeof platformErrors.PIPER_PLATFORM_FILE_TOO_LARGE
  | typeof platformErrors.PIPER_PLATFORM_LEVEL_TOO_EXPENSIVE;

/**
 * Passes bytes through, counting them, and errors with `over` (PIPER_PLATFORM_TOO_LARGE unless
 * given) as soon as more than `limit` have passed: the body is never read further than the limit.
 */
export class ByteLimit extends Transform {
  readonly limit: number;
  readonly what: string;
  readonly over: OverLimit;
  bytes = 0;

  constructor(limit: number, what: string, over: OverLimit = platformErrors.PIPER_PLATFORM_TOO_LARGE) {
    super();
    this.limit = limit;
    this.what = what;
    this.over = over;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      done(
        new PiperError(this.over, `${this.what} is over the limit of ${formatSize(this.limit)}`, {
          details: { limit: this.limit },
        }),
      );
      return;
    }
    done(null, chunk);
  }
}

/**
 * Guards a decompressor's output: stops when the output passes `maxBytes`, or when output/input
 * passes `maxRatio` once at least `ratioFloor` bytes came out (a small file may legitimately have a
 * huge ratio; a bomb cannot stay small). `inputBytes` reads how much compressed input was consumed.
 */
export class DecompressionGuard extends Transform {
  /** Output below which the ratio is not judged: a small file may legitimately have a huge ratio. */
  static readonly RATIO_FLOOR = 1024 * 1024;
  readonly #maxBytes: number;
  readonly #maxRatio: number;
  readonly #ratioFloor: number;
  readonly #inputBytes: () => number;
  bytes = 0;

  constructor(options: { maxBytes: number; maxRatio: number; inputBytes: () => number; ratioFloor?: number }) {
    super();
    this.#maxBytes = options.maxBytes;
    this.#maxRatio = options.maxRatio;
    this.#ratioFloor = options.ratioFloor ?? DecompressionGuard.RATIO_FLOOR;
    this.#inputBytes = options.inputBytes;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.#maxBytes) {
      done(
        new PiperError(
          platformErrors.PIPER_PLATFORM_DECOMPRESSED_TOO_LARGE,
          `decompressed output is over the limit of ${formatSize(this.#maxBytes)}`,
          {
            details: { limit: this.#maxBytes },
          },
        ),
      );
      return;
    }
    const input = Math.max(1, this.#inputBytes());
    if (this.bytes >= this.#ratioFloor && this.bytes / input > this.#maxRatio) {
      done(
        new PiperError(
          platformErrors.PIPER_PLATFORM_DECOMPRESSION_BOMB,
          `decompression stopped: ${formatSize(this.bytes)} out of ${formatSize(input)} in is over the ratio limit of ${this.#maxRatio}`,
          { details: { ratio: this.bytes / input, limit: this.#maxRatio, output: this.bytes, input } },
        ),
      );
      return;
    }
    done(null, chunk);
  }
}
