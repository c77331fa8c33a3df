// The verdict of a soak run, from its series alone (pure: the unit tests feed it synthetic series).
//
// Growth is judged on the processes that live through the whole run, over the second half of it
// (after warm-up: code compiled, heaps and connection pools at their working size), by the
// Theil–Sen slope (the median of the slopes between every pair of samples). A least-squares line
// follows the spikes a backend restart causes; the median of pairwise slopes ignores up to ~29 %
// of outliers and still sees a steady climb. The slope is projected over the run's length and
// compared with a bound. A process leaking one descriptor per restart, or a few bytes per
// request, climbs steadily however noisy the seconds are; a process at its working size wanders
// around a level and its slope is near zero.
import type { SoakEvent, SoakSeries } from './soak-series.ts';

/** What a run may show before it fails. */
export interface SoakBounds {
  /** RSS growth of a long-lived process projected over the run, MiB. */
  rssGrowthMiB: number;
  /** Open descriptors gained by a long-lived process, projected over the run. */
  fdGrowth: number;
  /** Rise of the descriptor floor after restarts, from the first third of the periods between kills to the last. */
  fdSettleMargin: number;
  /** 99th percentile of the per-second event-loop delay p99s, ms. */
  loopP99Ms: number;
  /** Event-loop delay p99 growth projected over the run, ms. */
  loopGrowthMs: number;
  /** Steady traffic's per-second p99 growth projected over the run (outside restart windows), ms. */
  p99GrowthMs: number;
  /** Failed, timed-out and unsent requests ÷ scheduled, outside restart windows. */
  errorRatio: number;
}

/**
 * The bounds of `npm run soak` (docs/soak.md says why each). Growth bounds are absolute amounts
 * over the run, so a longer run is a stricter test of the same rate of growth.
 */
export const DEFAULT_BOUNDS: SoakBounds = Object.freeze({
  rssGrowthMiB: 32,
  fdGrowth: 16,
  fdSettleMargin: 16,
  loopP99Ms: 100,
  loopGrowthMs: 20,
  p99GrowthMs: 50,
  errorRatio: 0.001,
});

/** Seconds before a kill and after the restarted backend listens that are not judged for errors. */
export const RESTART_WINDOW_BEFORE_S = 1;
export const RESTART_WINDOW_AFTER_READY_S = 3;

/** One line of the verdict. */
export interface Check {
  subject: string;
  name: string;
  value: number;
  bound: number;
  unit: string;
  passed: boolean;
  /** How the value was reached (slope, samples, windows). */
  detail: string;
}

/** A span of seconds around a backend restart. */
export interface TimeWindow {
  from: number;
  to: number;
}

/** The median of pairwise slopes (Theil–Sen); NaN with fewer than two distinct x values. */
export function theilSenSlope(points: readonly (readonly [number, number])[]): number {
  const pts = thin(points, 500);
  const n = pts.length;
  const slopes = new Float64Array((n * (n - 1)) / 2);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const [xi, yi] = pts[i] as readonly [number, number];
    for (let j = i + 1; j < n; j++) {
      const [xj, yj] = pts[j] as readonly [number, number];
      if (xj !== xi) slopes[k++] = (yj - yi) / (xj - xi);
    }
  }
  if (k === 0) return Number.NaN;
  const sorted = slopes.subarray(0, k).sort();
  return k % 2 === 1 ? (sorted[(k - 1) / 2] as number) : ((sorted[k / 2 - 1] as number) + (sorted[k / 2] as number)) / 2;
}

/** At most `max` points, evenly spaced (pairwise slopes are O(n²)). */
function thin<T>(points: readonly T[], max: number): readonly T[] {
  if (points.length <= max) return points;
  return Array.from({ length: max }, (_, i) => points[Math.floor((i * points.length) / max)] as T);
}

/** The p-th percentile (0–100) by nearest rank; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/**
 * The windows around each restart: from a second before the kill (a one-second sample straddles
 * it) to a few seconds after the new process listens (health checks readmit it). Requests caught
 * on the killed backend fail at once, and until the balancer marks it down (two failed checks a
 * second apart, or three refused connections) an upload sent to it fails too: no retry may
 * resend a body. That is expected; errors anywhere else are not.
 */
export function restartWindows(events: readonly SoakEvent[]): TimeWindow[] {
  const windows: TimeWindow[] = [];
  for (const kill of events.filter((e) => e.kind === 'kill')) {
    const ready = events.find((e) => e.kind === 'ready' && e.process === kill.process && e.t >= kill.t);
    // Never ready: the run fails on the missing process anyway; its errors are not excused.
    const end = ready === undefined ? kill.t : ready.t;
    windows.push({ from: kill.t - RESTART_WINDOW_BEFORE_S, to: end + RESTART_WINDOW_AFTER_READY_S });
  }
  return windows;
}

/** Whether the second starting at `t` overlaps a window. */
export function inWindows(t: number, windows: readonly TimeWindow[]): boolean {
  return windows.some((w) => t + 1 > w.from && t < w.to);
}

/** Judges a run: every check, passed or not. */
export function judgeSoak(s: SoakSeries, bounds: SoakBounds = DEFAULT_BOUNDS): Check[] {
  const checks: Check[] = [];
  const crashes = s.events.filter((e) => e.kind === 'crash');
  checks.push({
    subject: 'all processes',
    name: 'crashes',
    value: crashes.length,
    bound: 0,
    unit: '',
    passed: crashes.length === 0,
    detail:
      crashes.length === 0
        ? 'none'
        : crashes.map((c) => `${c.process} (pid ${c.pid}) at ${c.t.toFixed(0)} s: ${c.detail ?? ''}`).join('; '),
  });
  const windows = restartWindows(s.events);
  const kills = s.events.filter((e) => e.kind === 'kill').map((e) => e.t);
  const half = s.durationS / 2;
  for (const name of s.longLived) {
    const samples = s.processes[name] ?? [];
    const late = samples.filter((x) => x.t >= half);
    checks.push(
      growth(
        name,
        'RSS growth',
        'MiB',
        late.map((x) => [x.t, x.rssMiB]),
        s.durationS,
        bounds.rssGrowthMiB,
      ),
    );
    // Floors past the start-up tenth, as for the event loop: descriptors settle within seconds.
    const fdFloors = floorsByWindow(samples, s.durationS / 10, s.durationS);
    checks.push(
      growth(
        name,
        'open fd growth',
        'fds',
        fdFloors,
        s.durationS,
        bounds.fdGrowth,
        'floors (lowest count of each 20th) past the first tenth',
      ),
    );
    if (kills.length > 0) checks.push(fdSettle(name, samples, kills, s.durationS, bounds.fdSettleMargin));
    // The first tenth is start-up (modules compiled, first connections): not the steady state.
    const lags = samples.filter((x) => x.t >= s.durationS / 10 && x.loopP99Ms !== null).map((x) => x.loopP99Ms as number);
    const lagP99 = percentile(lags, 99);
    checks.push({
      subject: name,
      name: 'event-loop delay p99',
      value: lagP99,
      bound: bounds.loopP99Ms,
      unit: 'ms',
      passed: lags.length > 0 && lagP99 <= bounds.loopP99Ms,
      detail: `99th percentile of ${lags.length} per-second p99s (median ${percentile(lags, 50).toFixed(1)} ms)`,
    });
    const lagPoints = late.filter((x) => x.loopP99Ms !== null).map((x): [number, number] => [x.t, x.loopP99Ms as number]);
    checks.push(growth(name, 'event-loop delay growth', 'ms', lagPoints, s.durationS, bounds.loopGrowthMs));
  }
  const judged = s.traffic.filter((x) => !inWindows(x.t, windows));
  const scheduled = judged.reduce((a, x) => a + x.scheduled, 0);
  const errors = judged.reduce((a, x) => a + x.errors, 0);
  const excused = s.traffic.reduce((a, x) => a + x.errors, 0) - errors;
  const ratio = scheduled > 0 ? errors / scheduled : Number.NaN;
  checks.push({
    subject: 'steady traffic',
    name: 'errors outside restarts',
    value: ratio * 100,
    bound: bounds.errorRatio * 100,
    unit: '%',
    passed: scheduled > 0 && ratio <= bounds.errorRatio,
    detail: `${errors} of ${scheduled} requests in ${judged.length} s; ${excused} more in the ${s.traffic.length - judged.length} s around ${kills.length} restarts (not judged)`,
  });
  const p99Points = judged.filter((x) => x.t >= half && Number.isFinite(x.p99Ms)).map((x): [number, number] => [x.t, x.p99Ms]);
  checks.push(growth('steady traffic', 'p99 growth', 'ms', p99Points, s.durationS, bounds.p99GrowthMs));
  return checks;
}

/**
 * The lowest descriptor count of each of 20 stretches of [from, to), at least 5 s each. A count
 * taken at any second holds whatever connections were in flight then (slow clients, aborts, a
 * restarted backend's new connections); a leak raises the floor under them, so the slope is fitted
 * to the floors.
 */
function floorsByWindow(samples: readonly { t: number; fds: number }[], from: number, to: number): [number, number][] {
  const width = Math.max(5, (to - from) / 20);
  const floors: [number, number][] = [];
  for (let start = from; start < to; start += width) {
    const counts = samples.filter((x) => x.t >= start && x.t < start + width && Number.isFinite(x.fds)).map((x) => x.fds);
    if (counts.length > 0) floors.push([start, Math.min(...counts)]);
  }
  return floors;
}

/** Theil–Sen slope of `points` projected over `durationS`, against `bound`. */
function growth(
  subject: string,
  name: string,
  unit: string,
  points: [number, number][],
  durationS: number,
  bound: number,
  over = 'samples of the second half',
): Check {
  const finite = points.filter(([, y]) => Number.isFinite(y));
  const slope = finite.length >= 4 ? theilSenSlope(finite) : Number.NaN;
  const value = slope * durationS;
  return {
    subject,
    name,
    value,
    bound,
    unit,
    // NaN (too few samples) fails: a run that measured nothing proves nothing.
    passed: value <= bound,
    detail: `${(slope * 60).toFixed(3)} ${unit}/min over ${finite.length} ${over}, × ${durationS} s`,
  };
}

/**
 * After each restart the descriptors must come back down: the floors (lowest counts) of the second
 * halves of the periods between kills may rise by at most `margin` from the first third of the
 * periods to the last. A leak of a descriptor per killed connection or per restart raises every
 * floor after it.
 */
function fdSettle(
  name: string,
  samples: readonly { t: number; fds: number }[],
  kills: readonly number[],
  durationS: number,
  margin: number,
): Check {
  const bounds = [0, ...kills, durationS];
  const floors: number[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const from = bounds[i] as number;
    const to = bounds[i + 1] as number;
    const settled = samples.filter((x) => x.t >= (from + to) / 2 && x.t < to && Number.isFinite(x.fds)).map((x) => x.fds);
    if (settled.length > 0) floors.push(Math.min(...settled));
  }
  // Medians of the first and the last third of the floors: one period whose floor sat high (slow
  // clients connected at its quietest second) moves neither.
  const third = Math.max(1, Math.floor(floors.length / 3));
  const value = floors.length > 1 ? percentile(floors.slice(-third), 50) - percentile(floors.slice(0, third), 50) : Number.NaN;
  return {
    subject: name,
    name: 'fds back to the floor after restarts',
    value,
    bound: margin,
    unit: 'fds',
    passed: value <= margin,
    detail: `floors of ${floors.length} periods between kills: ${floors.join(', ')}`,
  };
}
