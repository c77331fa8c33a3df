import { PiperError } from '../core/index.ts';
import { telemetryErrors } from './telemetry-errors.ts';

/** Label values as the registry accepts them; numbers are written in decimal. */
export type LabelValue = string | number;

/** A label set: one value per label name the metric declared. */
export type Labels = Readonly<Record<string, LabelValue>>;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Throws unless `name` is a valid Prometheus metric name. */
export function checkMetricName(name: string): void {
  if (!METRIC_NAME.test(name)) {
    throw new PiperError(telemetryErrors.PIPER_TELEMETRY_INVALID_METRIC, `metric name "${name}" must match ${METRIC_NAME.source}`, {
      details: { name },
    });
  }
}

/** Throws unless every label name is valid, unique and not reserved. */
export function checkLabelNames(metric: string, labelNames: readonly string[], reserved: readonly string[] = []): void {
  const seen = new Set<string>();
  for (const label of labelNames) {
    // Names starting with __ are reserved for Prometheus itself (exposition format spec).
    const problem = !LABEL_NAME.test(label)
      ? `must match ${LABEL_NAME.source}`
      : label.startsWith('__')
        ? 'must not start with "__" (reserved)'
        : reserved.includes(label)
          ? 'is reserved for this metric type'
          : seen.has(label)
            ? 'is listed twice'
            : null;
    if (problem !== null) {
      throw new PiperError(telemetryErrors.PIPER_TELEMETRY_INVALID_METRIC, `label "${label}" of metric "${metric}" ${problem}`, {
        details: { metric, label },
      });
    }
    seen.add(label);
  }
}

/** Escapes a label value: backslash, double quote and line feed (text format 0.0.4). */
export function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

/** Escapes HELP text: backslash and line feed only (double quotes stay as they are). */
export function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Writes a sample value the way Prometheus parses it (Go's ParseFloat plus +Inf/-Inf/NaN). */
export function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** Renders `a="x",b="y"` for the given names and values (no braces). */
export function renderLabelPairs(names: readonly string[], values: readonly string[]): string {
  let out = '';
  for (let i = 0; i < names.length; i++) {
    if (i > 0) out += ',';
    out += `${names[i]}="${escapeLabelValue(values[i] ?? '')}"`;
  }
  return out;
}
