import { PiperError } from '../core/index.ts';
import { formatSampleValue, type Labels } from './exposition-format.ts';
import { checkSampleValue, MetricFamily, type MetricOptions } from './metric-family.ts';
import { telemetryErrors } from './telemetry-errors.ts';

/**
 * OpenTelemetry's advisory buckets for `http.server.request.duration`, in seconds
 * (semantic-conventions http-metrics.md). Using them everywhere keeps SLO bounds on bucket edges.
 */
export const DURATION_BUCKETS_SECONDS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
]);

export interface HistogramOptions extends MetricOptions {
  /** Upper bounds, strictly increasing; `+Inf` is implied. Default: {@link DURATION_BUCKETS_SECONDS}. */
  buckets?: readonly number[];
}

/** A histogram bound to one label set. */
export class HistogramChild {
  readonly #metric: string;
  readonly #bounds: readonly number[];
  /** Per-bucket (not cumulative) counts; the last slot is the +Inf bucket. */
  readonly #counts: Float64Array;
  #sum = 0;
  #count = 0;

  constructor(metric: string, bounds: readonly number[]) {
    this.#metric = metric;
    this.#bounds = bounds;
    this.#counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) checkSampleValue(this.#metric, value, false);
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    this.#counts[i] = (this.#counts[i] as number) + 1;
    this.#sum += value;
    this.#count++;
  }

  /**
   * Adds many observations at once: `bucketCounts[i]` observations fell in bucket i (above the
   * previous bound, at or below bound i; the last entry is above every bound), summing to `sum`.
   * Used to fill the histogram from an HDR histogram of a closed window.
   */
  observeDistribution(bucketCounts: ArrayLike<number>, sum: number): void {
    if (bucketCounts.length !== this.#counts.length) {
      throw new PiperError(
        telemetryErrors.PIPER_TELEMETRY_INVALID_VALUE,
        `metric "${this.#metric}" has ${this.#counts.length} buckets (+Inf included), got ${bucketCounts.length} counts`,
        { details: { metric: this.#metric } },
      );
    }
    checkSampleValue(this.#metric, sum, false);
    let total = 0;
    for (let i = 0; i < bucketCounts.length; i++) {
      const n = bucketCounts[i] as number;
      checkSampleValue(this.#metric, n, true);
      total += n;
    }
    for (let i = 0; i < bucketCounts.length; i++) this.#counts[i] = (this.#counts[i] as number) + (bucketCounts[i] as number);
    this.#sum += sum;
    this.#count += total;
  }

  get count(): number {
    return this.#count;
  }

  get sum(): number {
    return this.#sum;
  }

  /** Cumulative counts per bound, +Inf last (what `_bucket` lines show). */
  cumulative(): number[] {
    const out: number[] = [];
    let running = 0;
    for (const n of this.#counts) {
      running += n;
      out.push(running);
    }
    return out;
  }
}

/** A Prometheus histogram: `_bucket{le}` (cumulative, with +Inf), `_sum` and `_count`. */
export class Histogram extends MetricFamily<HistogramChild> {
  readonly type = 'histogram';
  readonly buckets: readonly number[];
  readonly #leValues: readonly string[];

  constructor(options: HistogramOptions) {
    super(options, ['le']);
    const bounds = [...(options.buckets ?? DURATION_BUCKETS_SECONDS)].filter((b) => b !== Number.POSITIVE_INFINITY);
    const bad = bounds.findIndex((b, i) => !Number.isFinite(b) || (i > 0 && b <= (bounds[i - 1] as number)));
    if (bounds.length === 0 || bad !== -1) {
      throw new PiperError(
        telemetryErrors.PIPER_TELEMETRY_INVALID_METRIC,
        `buckets of histogram "${options.name}" must be finite and strictly increasing, got [${bounds.join(', ')}]`,
        { details: { metric: options.name } },
      );
    }
    this.buckets = Object.freeze(bounds);
    this.#leValues = Object.freeze([...bounds.map(formatSampleValue), '+Inf']);
  }

  observe(labels: Labels | undefined, value: number): void {
    this.labels(labels).observe(value);
  }

  protected createChild(): HistogramChild {
    return new HistogramChild(this.name, this.buckets);
  }

  protected renderChild(child: HistogramChild, pairs: string, lines: string[]): void {
    const prefix = pairs === '' ? '' : `${pairs},`;
    const cumulative = child.cumulative();
    for (let i = 0; i < cumulative.length; i++) {
      lines.push(`${this.name}_bucket{${prefix}le="${this.#leValues[i]}"} ${formatSampleValue(cumulative[i] as number)}`);
    }
    const braces = pairs === '' ? '' : `{${pairs}}`;
    lines.push(
      `${this.name}_sum${braces} ${formatSampleValue(child.sum)}`,
      `${this.name}_count${braces} ${formatSampleValue(child.count)}`,
    );
  }
}
