import { PiperError } from '../core/index.ts';
import { parseThreshold } from './threshold.ts';
import { loadgenErrors } from './loadgen-errors.ts';

/** A capacity SLO: p99 latency (from intended send) under a bound, error ratio under a budget. */
export interface Slo {
  p99Ms: number;
  maxErrorRatio: number;
}

/** Parses `p99<200ms,errors<0.1%` (both parts required, either order). */
export function parseSlo(text: string): Slo {
  let p99Ms: number | undefined;
  let maxErrorRatio: number | undefined;
  for (const part of text.split(',')) {
    let t: ReturnType<typeof parseThreshold>;
    try {
      t = parseThreshold(part);
    } catch (err) {
      throw new PiperError(loadgenErrors.PIPER_LOADGEN_INVALID_SLO, `slo: ${(err as Error).message}`, { cause: err });
    }
    if (t.metric === 'errors') maxErrorRatio = t.limit;
    else if (t.percentile === 99) p99Ms = t.limit;
    else throw new PiperError(loadgenErrors.PIPER_LOADGEN_INVALID_SLO, `slo: "${part.trim()}": only p99<… and errors<… are supported`);
  }
  if (p99Ms === undefined || maxErrorRatio === undefined) {
    throw new PiperError(loadgenErrors.PIPER_LOADGEN_INVALID_SLO, `slo: "${text}" needs both parts, e.g. p99<200ms,errors<0.1%`);
  }
  if (!(maxErrorRatio > 0)) {
    throw new PiperError(
      loadgenErrors.PIPER_LOADGEN_INVALID_SLO,
      'slo: errors<0% cannot be proven by any finite test; use a budget above 0',
    );
  }
  return { p99Ms, maxErrorRatio };
}
