import { Transform, type TransformCallback } from 'node:stream';
import { formatSize, PiperError } from '../core/index.ts';
import { platformErrors } from './platform-errors.ts';

/**
 * The room left in the store, counted in original bytes (what `size` reports, whatever the codec
 * makes of them): what is stored, plus what uploads in progress have reserved. An upload reserves
 * its Content-Length before its body is read, and grows its reservation as a chunked body
 * arrives, so concurrent uploads cannot together pass the limit.
 */
export class StoreQuota {
  readonly max: number;
  #used: number;
  #reserved = 0;

  constructor(max: number, used: number) {
    this.max = max;
    this.#used = used;
  }

  /** Original bytes stored now. */
  get used(): number {
    return this.#used;
  }

  /** Bytes held by uploads in progress. */
  get reserved(): number {
    return this.#reserved;
  }

  /** Reserves room for one upload, `declared` bytes of it at once; throws PIPER_PLATFORM_STORE_FULL when they do not fit. */
  reserve(declared = 0): QuotaReservation {
    const reservation = new QuotaReservation(this);
    reservation.grow(declared);
    return reservation;
  }

  /** Takes `bytes` more into a reservation, or throws when they do not fit. */
  take(bytes: number): void {
    if (this.#used + this.#reserved + bytes > this.max) {
      throw new PiperError(
        platformErrors.PIPER_PLATFORM_STORE_FULL,
        `the store is full: ${formatSize(bytes)} more does not fit beside ${formatSize(this.#used)} stored and ${formatSize(this.#reserved)} reserved of ${formatSize(this.max)} (platform.maxStoreSize)`,
        { details: { requested: bytes, used: this.#used, reserved: this.#reserved, limit: this.max } },
      );
    }
    this.#reserved += bytes;
  }

  /** Gives reserved bytes back. */
  give(bytes: number): void {
    this.#reserved -= bytes;
  }

  /** Counts a stored object. */
  stored(bytes: number): void {
    this.#used += bytes;
  }

  /** Uncounts a removed object. */
  removed(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
  }
}

/** Room held for one upload; released once the upload is stored or has failed. Release is idempotent. */
export class QuotaReservation {
  readonly #quota: StoreQuota;
  #held = 0;
  #released = false;

  constructor(quota: StoreQuota) {
    this.#quota = quota;
  }

  /** Makes the reservation at least `total` bytes; throws PIPER_PLATFORM_STORE_FULL when that does not fit. */
  grow(total: number): void {
    if (this.#released || total <= this.#held) return;
    this.#quota.take(total - this.#held);
    this.#held = total;
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#quota.give(this.#held);
    this.#held = 0;
  }

  /** A stage that grows the reservation with the bytes passing through it, failing the stream when the store is full. */
  meter(): Transform {
    let seen = 0;
    return new Transform({
      transform: (chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) => {
        seen += chunk.length;
        try {
          this.grow(seen);
        } catch (err) {
          done(err as Error);
          return;
        }
        done(null, chunk);
      },
    });
  }
}
