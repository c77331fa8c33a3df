import { defineErrors } from '../core/index.ts';

/** Telemetry's error codes: what each means and what to do (docs/errors.md is generated from them). */
export const telemetryErrors = defineErrors({
  PIPER_TELEMETRY_INVALID_METRIC: {
    source: 'internal',
    retryable: false,
    meaning:
      'A metric was declared with an invalid metric or label name (Prometheus rules), a reserved or repeated label, or histogram buckets that are not finite and strictly increasing.',
    whatToDo: 'Fix the declaration; the message names the metric and the label or bucket at fault.',
  },
  PIPER_TELEMETRY_DUPLICATE_METRIC: {
    source: 'internal',
    retryable: false,
    meaning: 'A metric name was declared twice in one registry.',
    whatToDo: 'Declare each metric once and share the object, or pick another name.',
  },
  PIPER_TELEMETRY_INVALID_LABELS: {
    source: 'internal',
    retryable: false,
    meaning: "A sample was given a label set that does not match the metric's label names (missing, extra or misspelt label).",
    whatToDo: 'Pass exactly the labels the metric was declared with.',
  },
  PIPER_TELEMETRY_INVALID_VALUE: {
    source: 'internal',
    retryable: false,
    meaning:
      'A counter was increased by a negative or non-finite amount, a histogram observed a non-finite value, or bulk bucket counts did not match the buckets.',
    whatToDo: 'Fix the caller: counters only go up by finite amounts.',
  },
  PIPER_TELEMETRY_BAD_HISTOGRAM: {
    source: 'internal',
    retryable: false,
    meaning: 'An encoded latency histogram could not be decoded (not HDR compressed base64, or values over 1 h).',
    whatToDo: "Pass the string `LatencyHistogram.encode()` (or a window's `histogram`) produced.",
  },
});

declare module '../core/piper-error.ts' {
  interface PiperErrorCodes extends Record<keyof typeof telemetryErrors, true> {}
}
