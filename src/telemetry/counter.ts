import { formatSampleValue, type Labels } from './exposition-format.ts';
import { checkSampleValue, MetricFamily, type MetricOptions } from './metric-family.ts';

/** A counter bound to one label set. */
export class CounterChild {
  readonly #metric: string;
  #value = 0;

  constructor(metric: string) {
    this.#metric = metric;
  }

  /** Adds `by` (default 1); throws PIPER_TELEMETRY_INVALID_VALUE on a negative or non-finite amount. */
  inc(by = 1): void {
    if (!(by >= 0 && by !== Number.POSITIVE_INFINITY)) checkSampleValue(this.#metric, by, true);
    this.#value += by;
  }

  get value(): number {
    return this.#value;
  }
}

/** A Prometheus counter: a total that only goes up (name it `..._total`). */
export class Counter extends MetricFamily<CounterChild> {
  readonly type = 'counter';

  constructor(options: MetricOptions) {
    super(options);
  }

  /** Adds `by` (default 1) to the series of `labels`. */
  inc(labels?: Labels, by = 1): void {
    this.labels(labels).inc(by);
  }

  /** Current value of a series (0 when it was never touched). */
  get(labels?: Labels): number {
    return this.labels(labels).value;
  }

  protected createChild(): CounterChild {
    return new CounterChild(this.name);
  }

  protected renderChild(child: CounterChild, pairs: string, lines: string[]): void {
    lines.push(`${this.name}${pairs === '' ? '' : `{${pairs}}`} ${formatSampleValue(child.value)}`);
  }
}
