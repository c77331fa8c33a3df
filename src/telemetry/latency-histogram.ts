import { createRequire } from 'node:module';
import type * as HdrLibrary from 'hdr-histogram-js';
import { PiperError } from '../core/index.ts';
import type { LatencySummary } from './telemetry-window.ts';
import { telemetryErrors } from './telemetry-errors.ts';

type Histogram = HdrLibrary.Histogram;

// hdr-histogram-js is loaded on the first histogram, not with the part: processes that import
// telemetry only for Prometheus metrics (`piper serve`) never need it, and it costs ~6 MiB of RSS.
const requireCjs = createRequire(import.meta.url);
let hdrLibrary: typeof HdrLibrary | undefined;
function hdr(): typeof HdrLibrary {
  hdrLibrary ??= requireCjs('hdr-histogram-js') as typeof HdrLibrary;
  return hdrLibrary;
}

const LOWEST_US = 1;
/** One hour in microseconds: the largest latency kept; longer ones are recorded as one hour. */
const HIGHEST_US = 3_600_000_000;
const SIGNIFICANT_DIGITS = 3;

/**
 * The counts array behind the pure-JS HDR histogram, which the typings do not expose. Reading it
 * directly lets `summary` and `countsAtOrBelow` make one pass with no iterator objects (the
 * library's `mean` allocates an object per distinct value: milliseconds on a busy window).
 */
interface CountsAccess {
  readonly countsArrayLength: number;
  readonly subBucketHalfCount: number;
  readonly subBucketHalfCountMagnitude: number;
  readonly unitMagnitude: number;
  countsArrayIndex(value: number): number;
  getCountAtIndex(index: number): number;
}

/** Percentiles of {@link LatencySummary}, in the order `summary` fills them. */
const SUMMARY_PERCENTILES = [50, 90, 99, 99.9, 100] as const;

/** The count a percentile must reach, rounded up as HdrHistogram's getValueAtPercentile does. */
function countAtPercentile(p: number, total: number): number {
  const fp = (p / 100) * total;
  // Subtract one ulp so floating-point error never pushes the count one past the exact integer.
  const ulp = fp > 0 ? 2 ** (Math.floor(Math.log2(fp)) - 52) : 0;
  return Math.max(Math.ceil(fp - ulp), 1);
}

function newHdr(): Histogram {
  // The pure-JS build: no WebAssembly to instantiate, and nothing native to build against the wrong Node.
  return hdr().build({
    bitBucketSize: 32,
    autoResize: false,
    lowestDiscernibleValue: LOWEST_US,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
    useWebAssembly: false,
  });
}

let emptyEncoding: string | undefined;

/**
 * A latency distribution over HdrHistogram: values given in milliseconds (fractions allowed),
 * stored as whole microseconds from 1 µs to 1 h with 3 significant digits, so any percentile is
 * within 0.1 % of the recorded value. Mergeable, and encodable to the standard HDR base64 form.
 */
export class LatencyHistogram {
  /** The largest latency kept, in ms; longer ones are recorded as this. */
  static readonly maxMs = HIGHEST_US / 1000;
  #hdr: Histogram = newHdr();

  /**
   * Records one latency. Negative or NaN values count as 0 and values over one hour as one
   * hour, so the count always equals the number of calls (the request happened either way).
   */
  record(ms: number): void {
    let us = Math.round(ms * 1000);
    if (!(us >= 0)) us = 0;
    else if (us > HIGHEST_US) us = HIGHEST_US;
    this.#hdr.recordValue(us);
  }

  get count(): number {
    return this.#hdr.totalCount;
  }

  /** The latency at or under which `p` percent (0..100) of the values fall, in ms; 0 when empty. */
  percentile(p: number): number {
    if (this.#hdr.totalCount === 0) return 0;
    return this.#hdr.getValueAtPercentile(Math.min(100, Math.max(0, p))) / 1000;
  }

  /**
   * How many values are at or below `ms`. A bound inside one of the histogram's sub-buckets counts
   * that whole sub-bucket (HdrHistogram's own rule), an error within the 3-digit precision.
   */
  countAtOrBelow(ms: number): number {
    return this.countsAtOrBelow([ms])[0] as number;
  }

  /** {@link countAtOrBelow} for several increasing bounds in one pass (cumulative counts). */
  countsAtOrBelow(boundsMs: readonly number[]): number[] {
    const out: number[] = new Array(boundsMs.length).fill(0);
    const total = this.#hdr.totalCount;
    if (total === 0) return out;
    const access = this.#hdr as unknown as CountsAccess;
    const length = access.countsArrayLength;
    let index = 0;
    let running = 0;
    for (let b = 0; b < boundsMs.length; b++) {
      const us = Math.round((boundsMs[b] as number) * 1000);
      if (us < 0) continue;
      const upTo = us >= HIGHEST_US ? length - 1 : Math.min(length - 1, access.countsArrayIndex(us));
      for (; index <= upTo && running < total; index++) running += access.getCountAtIndex(index);
      out[b] = running;
    }
    return out;
  }

  /** Count, min, mean, p50/p90/p99/p99.9 and max, in ms (all 0 when empty); one pass over the counts. */
  summary(): LatencySummary {
    const total = this.#hdr.totalCount;
    if (total === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
    const access = this.#hdr as unknown as CountsAccess;
    const targets = SUMMARY_PERCENTILES.map((p) => countAtPercentile(p, total));
    const values = [0, 0, 0, 0, 0];
    const half = access.subBucketHalfCount;
    const halfMagnitude = access.subBucketHalfCountMagnitude;
    let next = 0;
    let min = -1;
    let running = 0;
    let sum = 0;
    for (let i = 0; i < access.countsArrayLength && running < total; i++) {
      const c = access.getCountAtIndex(i);
      if (c === 0) continue;
      // HdrHistogram's valueFromIndex, inlined: index i stands for [value, value + width).
      let bucket = (i >> halfMagnitude) - 1;
      let sub = (i & (half - 1)) + half;
      if (bucket < 0) {
        sub -= half;
        bucket = 0;
      }
      const width = 2 ** (bucket + access.unitMagnitude);
      const value = sub * width;
      if (min < 0) min = value;
      running += c;
      // HdrHistogram's mean counts each value at the middle of its range.
      sum += (value + Math.floor(width / 2)) * c;
      while (next < targets.length && running >= (targets[next] as number)) values[next++] = value + width - 1;
    }
    return {
      count: total,
      min: min / 1000,
      mean: sum / total / 1000,
      p50: (values[0] as number) / 1000,
      p90: (values[1] as number) / 1000,
      p99: (values[2] as number) / 1000,
      p999: (values[3] as number) / 1000,
      max: (values[4] as number) / 1000,
    };
  }

  /** Adds every value of `other` into this histogram. */
  merge(other: LatencyHistogram): void {
    this.#hdr.add(other.#hdr);
  }

  reset(): void {
    this.#hdr.reset();
  }

  /** The HDR "compressed base64" form (V2 encoding, as HdrHistogram's other ports read it). */
  encode(): string {
    if (this.#hdr.totalCount === 0) {
      emptyEncoding ??= hdr().encodeIntoCompressedBase64(this.#hdr, 1);
      return emptyEncoding;
    }
    // Level 1: the same size within ~5 % on HDR's already compact payload, for a third of the CPU
    // (this runs once per entity per window, on the event loop).
    return hdr().encodeIntoCompressedBase64(this.#hdr, 1);
  }

  /** Reads what {@link encode} wrote; throws PIPER_TELEMETRY_BAD_HISTOGRAM on anything else. */
  static decode(encoded: string): LatencyHistogram {
    const out = new LatencyHistogram();
    try {
      out.#hdr.add(hdr().decodeFromCompressedBase64(encoded, 32, false));
    } catch (err) {
      throw new PiperError(
        telemetryErrors.PIPER_TELEMETRY_BAD_HISTOGRAM,
        'not an HDR histogram in compressed base64 form, or values over 1 h',
        {
          cause: err,
          details: { length: encoded.length },
        },
      );
    }
    return out;
  }
}
