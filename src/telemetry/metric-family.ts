import { PiperError } from '../core/index.ts';
import { checkLabelNames, checkMetricName, escapeHelp, type Labels, renderLabelPairs } from './exposition-format.ts';
import { telemetryErrors } from './telemetry-errors.ts';

/** What every metric is declared with. */
export interface MetricOptions {
  /** Prometheus metric name, e.g. `piper_requests_total`. */
  name: string;
  /** One line of help text shown in the exposition. */
  help: string;
  /** Label names, in the order they are rendered. */
  labelNames?: readonly string[];
}

/** The type line of a metric family. */
export type MetricType = 'counter' | 'gauge' | 'histogram';

const EMPTY_LABELS: Labels = Object.freeze({});

type ChildNode<C> = Map<string, ChildNode<C> | C>;

/**
 * A named metric with one child per label set. Children are cached in nested maps keyed by label
 * value (one level per label name), so a lookup allocates nothing once the label set has been
 * seen; `labels()` returns the child itself for callers that want to skip even that.
 */
export abstract class MetricFamily<C> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  abstract readonly type: MetricType;
  #root: ChildNode<C> = new Map();
  /** Insertion-ordered children with their pre-rendered label pairs. */
  #children = new Map<C, string>();
  #only: C | undefined;

  constructor(options: MetricOptions, reservedLabels: readonly string[] = []) {
    checkMetricName(options.name);
    const labelNames = Object.freeze([...(options.labelNames ?? [])]);
    checkLabelNames(options.name, labelNames, reservedLabels);
    this.name = options.name;
    this.help = options.help;
    this.labelNames = labelNames;
  }

  /** Creates the child of a label set (called once per label set). */
  protected abstract createChild(labelPairs: string): C;

  /** Appends the sample lines of one child. */
  protected abstract renderChild(child: C, labelPairs: string, lines: string[]): void;

  /** The child bound to a label set; cache it on hot paths. */
  labels(labels: Labels = EMPTY_LABELS): C {
    const names = this.labelNames;
    if (names.length === 0) {
      if (countKeys(labels) !== 0) this.#badLabels(labels);
      if (this.#only === undefined) this.#only = this.#create([]);
      return this.#only;
    }
    if (countKeys(labels) !== names.length) this.#badLabels(labels);
    let node = this.#root;
    const last = names.length - 1;
    for (let i = 0; i < last; i++) {
      const value = this.#valueOf(labels, names[i] as string);
      let next = node.get(value) as ChildNode<C> | undefined;
      if (next === undefined) {
        next = new Map();
        node.set(value, next);
      }
      node = next;
    }
    const value = this.#valueOf(labels, names[last] as string);
    let child = node.get(value) as C | undefined;
    if (child === undefined) {
      child = this.#create(names.map((n) => String(labels[n])));
      node.set(value, child);
    }
    return child;
  }

  /** Drops one label set; a bound child obtained earlier keeps working but is no longer rendered. */
  remove(labels: Labels): void {
    const names = this.labelNames;
    if (names.length === 0) {
      if (this.#only !== undefined) this.#children.delete(this.#only);
      this.#only = undefined;
      return;
    }
    let node = this.#root;
    for (let i = 0; i < names.length - 1; i++) {
      const next = node.get(this.#valueOf(labels, names[i] as string)) as ChildNode<C> | undefined;
      if (next === undefined) return;
      node = next;
    }
    const key = this.#valueOf(labels, names[names.length - 1] as string);
    const child = node.get(key) as C | undefined;
    if (child === undefined) return;
    node.delete(key);
    this.#children.delete(child);
  }

  /** Drops every label set (for gauges rebuilt from live state, so vanished entities disappear). */
  reset(): void {
    this.#root = new Map();
    this.#children.clear();
    this.#only = undefined;
  }

  /** Appends HELP, TYPE and every sample line. */
  render(lines: string[]): void {
    lines.push(`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`);
    if (this.labelNames.length === 0 && this.#only === undefined) this.labels();
    for (const [child, pairs] of this.#children) this.renderChild(child, pairs, lines);
  }

  #create(values: readonly string[]): C {
    const pairs = renderLabelPairs(this.labelNames, values);
    const child = this.createChild(pairs);
    this.#children.set(child, pairs);
    return child;
  }

  #valueOf(labels: Labels, name: string): string {
    const value = labels[name];
    if (typeof value === 'string') return value;
    if (typeof value === 'number') return String(value);
    return this.#badLabels(labels);
  }

  #badLabels(labels: Labels): never {
    throw new PiperError(
      telemetryErrors.PIPER_TELEMETRY_INVALID_LABELS,
      `metric "${this.name}" takes labels [${this.labelNames.join(', ')}], got [${Object.keys(labels).join(', ')}]`,
      { details: { metric: this.name, expected: this.labelNames, got: Object.keys(labels) } },
    );
  }
}

// Counting keys with for-in allocates nothing, unlike Object.keys().
function countKeys(labels: Labels): number {
  let n = 0;
  for (const _ in labels) n++;
  return n;
}

/** Throws unless `value` is a finite number (and, for counters, not negative). */
export function checkSampleValue(metric: string, value: number, nonNegative: boolean): void {
  if (!Number.isFinite(value) || (nonNegative && value < 0)) {
    throw new PiperError(
      telemetryErrors.PIPER_TELEMETRY_INVALID_VALUE,
      `metric "${metric}" cannot take ${value}${nonNegative ? ' (counters only go up by finite amounts)' : ''}`,
      { details: { metric, value } },
    );
  }
}
