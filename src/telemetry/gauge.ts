import { formatSampleValue, type Labels } from './exposition-format.ts';
import { MetricFamily, type MetricOptions } from './metric-family.ts';

/** A gauge bound to one label set. */
export class GaugeChild {
  #value = 0;

  set(value: number): void {
    this.#value = value;
  }

  inc(by = 1): void {
    this.#value += by;
  }

  dec(by = 1): void {
    this.#value -= by;
  }

  get value(): number {
    return this.#value;
  }
}

/** A Prometheus gauge: a value that goes up and down (in-flight requests, healthy backends). */
export class Gauge extends MetricFamily<GaugeChild> {
  readonly type = 'gauge';

  constructor(options: MetricOptions) {
    super(options);
  }

  set(labels: Labels | undefined, value: number): void {
    this.labels(labels).set(value);
  }

  inc(labels?: Labels, by = 1): void {
    this.labels(labels).inc(by);
  }

  dec(labels?: Labels, by = 1): void {
    this.labels(labels).dec(by);
  }

  /** Current value of a series (0 when it was never set). */
  get(labels?: Labels): number {
    return this.labels(labels).value;
  }

  protected createChild(): GaugeChild {
    return new GaugeChild();
  }

  protected renderChild(child: GaugeChild, pairs: string, lines: string[]): void {
    lines.push(`${this.name}${pairs === '' ? '' : `{${pairs}}`} ${formatSampleValue(child.value)}`);
  }
}
