import type { CapacityProgress } from './capacity-finder.ts';
import type { LoadProgress } from './load-run.ts';

const num = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));

/** One line of live progress for a terminal: rate achieved/offered, p50/p99, errors, time left. */
export function formatLoadProgress(p: LoadProgress): string {
  const c = p.counts;
  const bad = c.failed + c.timedOut + c.unsent;
  const left = Math.max(0, (p.plannedMs - p.elapsedMs) / 1000);
  return (
    `${(p.elapsedMs / 1000).toFixed(0).padStart(4)}s  ${num(p.point.achievedRps).padStart(7)}/${num(p.point.offeredRps)} req/s  ` +
    `p50 ${p.p50Ms.toFixed(1)}ms p99 ${p.p99Ms.toFixed(1)}ms  errors ${bad}  in flight ${p.point.inFlight}  left ${left.toFixed(0)}s`
  );
}

/** One line per capacity-search event (trial ticks give a live line; the rest are permanent). */
export function formatCapacityProgress(e: CapacityProgress): { line: string; live: boolean } {
  switch (e.type) {
    case 'warmup':
      return { line: `warm-up at ${num(e.rateRps)}/s for ${(e.durationMs / 1000).toFixed(1)}s`, live: false };
    case 'drain':
      return { line: `  drained the target's backlog in ${(e.durationMs / 1000).toFixed(1)}s`, live: true };
    case 'trial-start':
      return { line: `trial ${e.index + 1} (${e.phase}) at ${num(e.rateRps)}/s for ${(e.durationMs / 1000).toFixed(1)}s`, live: true };
    case 'trial-tick':
      return { line: `  ${e.phase} ${num(e.rateRps)}/s: ${formatLoadProgress(e.load)}`, live: true };
    case 'trial-end': {
      const v = e.verdict;
      const mark = v.verdict === 'pass' ? 'pass' : v.verdict === 'fail' ? 'FAIL' : v.verdict;
      const why = v.reasons.length > 0 ? ` — ${v.reasons.join('; ')}` : '';
      return {
        line: `${v.phase.padEnd(7)} ${num(v.rateRps).padStart(8)}/s  ${mark.padEnd(7)} p99 ${v.p99Ms.toFixed(1)}ms  errors ${(v.errorRatio * 100).toFixed(2)}%  achieved ${num(v.achievedRps)}/s${why}`,
        live: false,
      };
    }
    case 'done':
      return {
        line: `capacity ${num(e.result.capacityRps)}/s (${e.result.reason}; between ${num(e.result.interval.lowerRps)} and ${e.result.interval.upperRps === null ? '?' : num(e.result.interval.upperRps)}/s)`,
        live: false,
      };
  }
}
