import { PiperError, parseDuration, parsePercent } from '../core/index.ts';
import type { LatencyHistogram } from '../telemetry/index.ts';
import type { LoadCounts } from './load-aggregate.ts';
import { loadgenErrors } from './loadgen-errors.ts';

/** A pass/fail rule on a run, like k6's thresholds: `p99<200ms`, `p(99.9)<1s`, `errors<0.1%`. */
export interface Threshold {
  /** As written, for reports. */
  text: string;
  metric: 'latency' | 'errors';
  /** Percentile 0..100 for latency; undefined means the mean (`avg`) or, with `max`, 100. */
  percentile: number | undefined;
  /** Bound in ms for latency, as a ratio 0..1 for errors. */
  limit: number;
}

/** A threshold checked against a run. */
export interface ThresholdResult {
  threshold: string;
  /** Measured value: ms, or a ratio for errors. */
  actual: number;
  limit: number;
  passed: boolean;
}

function thresholdError(text: string, why: string): PiperError {
  return new PiperError(loadgenErrors.PIPER_LOADGEN_INVALID_THRESHOLD, `threshold "${text}": ${why}`, {
    details: { threshold: text },
  });
}

/** Parses one threshold. Latency: `p99<200ms`, `p(99.9)<1s`, `avg<50ms`, `max<2s`; errors: `errors<0.1%`. */
export function parseThreshold(text: string): Threshold {
  const m = /^\s*([a-z]+(?:\(\d+(?:\.\d+)?\))?|p\d+(?:\.\d+)?)\s*<\s*(.+?)\s*$/.exec(text);
  if (m === null) throw thresholdError(text, 'expected METRIC<LIMIT, e.g. p99<200ms or errors<0.1%');
  const name = m[1] as string;
  const value = m[2] as string;
  const wrap = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      throw thresholdError(text, (err as Error).message);
    }
  };
  if (name === 'errors') return { text: text.trim(), metric: 'errors', percentile: undefined, limit: wrap(() => parsePercent(value)) };
  const limit = wrap(() => parseDuration(value));
  if (name === 'avg' || name === 'mean') return { text: text.trim(), metric: 'latency', percentile: undefined, limit };
  if (name === 'max') return { text: text.trim(), metric: 'latency', percentile: 100, limit };
  const p = /^p\(?(\d+(?:\.\d+)?)\)?$/.exec(name);
  if (p === null) throw thresholdError(text, `unknown metric "${name}" (use pNN, p(NN.N), avg, max or errors)`);
  const percentile = Number(p[1]);
  if (!(percentile > 0 && percentile <= 100)) throw thresholdError(text, 'the percentile must be in (0, 100]');
  return { text: text.trim(), metric: 'latency', percentile, limit };
}

/**
 * Share of scheduled requests that did not get a good answer: failed, timed out or never sent
 * (an unsent request is an SLO miss, not a free pass).
 */
export function errorRatio(c: Pick<LoadCounts, 'scheduled' | 'failed' | 'timedOut' | 'unsent'>): number {
  return c.scheduled === 0 ? 0 : (c.failed + c.timedOut + c.unsent) / c.scheduled;
}

/** Checks thresholds against counts and the latency histogram (timed from intended send). */
export function evaluateThresholds(
  thresholds: readonly Threshold[],
  counts: Pick<LoadCounts, 'scheduled' | 'failed' | 'timedOut' | 'unsent'>,
  latency: LatencyHistogram,
): ThresholdResult[] {
  return thresholds.map((t) => {
    let actual: number;
    if (t.metric === 'errors') actual = errorRatio(counts);
    else if (t.percentile === undefined) actual = latency.summary().mean;
    else actual = latency.percentile(t.percentile);
    // No answer at all cannot pass a latency bound: nothing was shown to be fast enough.
    const passed = t.metric === 'latency' && latency.count === 0 ? counts.scheduled === 0 : actual < t.limit;
    return { threshold: t.text, actual, limit: t.limit, passed };
  });
}
