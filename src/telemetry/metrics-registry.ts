import { PiperError } from '../core/index.ts';
import { Counter } from './counter.ts';
import { Gauge } from './gauge.ts';
import { Histogram, type HistogramOptions } from './histogram.ts';
import type { MetricFamily, MetricOptions } from './metric-family.ts';
import { telemetryErrors } from './telemetry-errors.ts';

/**
 * The metrics of one process, rendered in the Prometheus text exposition format 0.0.4.
 * Names are checked when a metric is declared; a name declared twice is an error, so two parts
 * never write one series by accident.
 */
export class MetricsRegistry {
  /** The Content-Type of {@link MetricsRegistry.render}'s output. */
  static readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';

  readonly #metrics = new Map<string, MetricFamily<unknown>>();
  readonly #collectors: Array<() => void> = [];

  counter(options: MetricOptions): Counter {
    return this.#add(new Counter(options));
  }

  gauge(options: MetricOptions): Gauge {
    return this.#add(new Gauge(options));
  }

  histogram(options: HistogramOptions): Histogram {
    return this.#add(new Histogram(options));
  }

  /** Registers a callback run before each render, to set gauges from live state. Returns an unregister function. */
  collect(fn: () => void): () => void {
    this.#collectors.push(fn);
    return () => {
      const i = this.#collectors.indexOf(fn);
      if (i !== -1) this.#collectors.splice(i, 1);
    };
  }

  /** The metric declared under `name`, if any. */
  get(name: string): MetricFamily<unknown> | undefined {
    return this.#metrics.get(name);
  }

  /** Runs the collectors, then renders every metric in declaration order. */
  render(): string {
    for (const fn of [...this.#collectors]) fn();
    const lines: string[] = [];
    for (const metric of this.#metrics.values()) metric.render(lines);
    return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  }

  #add<M extends MetricFamily<unknown>>(metric: M): M {
    if (this.#metrics.has(metric.name)) {
      throw new PiperError(telemetryErrors.PIPER_TELEMETRY_DUPLICATE_METRIC, `metric "${metric.name}" is already registered`, {
        details: { name: metric.name },
      });
    }
    this.#metrics.set(metric.name, metric);
    return metric;
  }
}
