import { Transform, type TransformCallback } from 'node:stream';
import { type Clock, formatSize } from '../core/index.ts';

/**
 * Counts bytes passing through and redraws a one-line progress bar on a terminal at most every
 * 100 ms (drawn from the data flow itself: no timer keeps the process alive).
 */
export class ProgressBar extends Transform {
  readonly #out: NodeJS.WritableStream;
  readonly #total: number;
  readonly #clock: Clock;
  readonly #started: number;
  #lastDraw = Number.NEGATIVE_INFINITY;
  bytes = 0;

  constructor(out: NodeJS.WritableStream, total: number, clock: Clock) {
    super();
    this.#out = out;
    this.#total = total;
    this.#clock = clock;
    this.#started = clock.monotonic();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    const now = this.#clock.monotonic();
    if (now - this.#lastDraw >= 100) {
      this.#lastDraw = now;
      this.#draw(now);
    }
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    this.#draw(this.#clock.monotonic());
    this.#out.write('\n');
    done();
  }

  #draw(now: number): void {
    const share = this.#total > 0 ? Math.min(1, this.bytes / this.#total) : 1;
    const width = 30;
    const filled = Math.round(share * width);
    const seconds = Math.max((now - this.#started) / 1000, 1e-3);
    const rate = this.bytes / 1e6 / seconds;
    this.#out.write(
      `\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}%  ${formatSize(this.bytes)} of ${formatSize(this.#total)}  ${rate.toFixed(0)} MB/s `,
    );
  }
}
