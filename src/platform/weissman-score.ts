/** The inputs of one Weissman score: a candidate and a reference measured on the same data. */
export interface WeissmanInput {
  ratio: number;
  /** Compression time of the candidate, in milliseconds. */
  timeMs: number;
  referenceRatio: number;
  referenceTimeMs: number;
  /** Scaling constant; 1 makes the reference score exactly 1. */
  alpha?: number;
}

/**
 * W = α · (r / r̄) · (log T̄ / log T), times in milliseconds (Weissman and Misra, 2014). The log base
 * cancels. Returns undefined when either time is ≤ 1 ms: there log T is ≤ 0, so W would divide by
 * zero, turn negative, or rank a faster codec lower (docs/platform.md lists the caveats).
 */
export function weissmanScore(input: WeissmanInput): number | undefined {
  const { ratio, timeMs, referenceRatio, referenceTimeMs } = input;
  const alpha = input.alpha ?? 1;
  if (!(timeMs > 1) || !(referenceTimeMs > 1) || !(ratio > 0) || !(referenceRatio > 0)) return undefined;
  return alpha * (ratio / referenceRatio) * (Math.log(referenceTimeMs) / Math.log(timeMs));
}
