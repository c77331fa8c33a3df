import type { Clock, Random, TimerHandle } from '../../src/core/index.ts';
import type { LoadResult, RunLoadOptions } from '../../src/loadgen/index.ts';
import { LatencyHistogram } from '../../src/telemetry/index.ts';
import type { CapacityModel } from '../../test/fixtures/known-capacity/known-capacity-server.ts';

/**
 * A clock that only moves when told: the simulated runs advance it by the time they stand for,
 * so a search of many virtual minutes takes seconds.
 */
export class VirtualClock implements Clock {
  #t = 0;
  readonly #epoch = Date.UTC(2026, 0, 1);

  now(): number {
    return this.#epoch + this.#t;
  }

  monotonic(): number {
    return this.#t;
  }

  advance(ms: number): void {
    this.#t += ms;
  }

  setTimeout(): TimerHandle {
    throw new Error('the virtual clock has no timers');
  }

  setInterval(): TimerHandle {
    throw new Error('the virtual clock has no timers');
  }

  async sleep(ms: number): Promise<void> {
    this.#t += ms;
  }
}

interface Answer {
  intendedMs: number;
  /** When the answer arrives, or the time-out fires (ms, virtual). */
  endMs: number;
  ok: boolean;
  timedOut: boolean;
}

/**
 * What `runLoad` would measure against a known-capacity server, computed from the server's own
 * rules ({@link CapacityModel}) on virtual time instead of sockets: the same arrivals (Poisson or
 * even), judged window, per-second intervals, saturation signals and histograms. The model keeps
 * its queue from one run to the next, as the real server does. A perfect generator: no send lag,
 * no early abort (the fail-fast rule only shortens failures).
 */
export function simulatedRun(model: CapacityModel, clock: VirtualClock, random: Random) {
  return async (o: RunLoadOptions): Promise<LoadResult> => {
    const t0 = clock.monotonic();
    const timeoutMs = o.timeoutMs ?? 10_000;
    const answers: Answer[] = [];
    const answer = (at: number): Answer => {
      const a = model.arrive(at);
      const latency = a.atMs - at;
      const timedOut = latency > timeoutMs;
      return { intendedMs: at, endMs: timedOut ? at + timeoutMs : a.atMs, ok: !timedOut && a.status < 400, timedOut };
    };
    let plannedMs: number;
    if (o.model.kind === 'open') {
      const segment = o.model.plan[0];
      if (segment === undefined) throw new Error('empty plan');
      const rate = segment.fromRps;
      plannedMs = segment.durationMs;
      const poisson = o.model.arrivals !== 'constant';
      for (let s = 0; ; ) {
        s += poisson ? (-Math.log(1 - random.next()) * 1000) / rate : 1000 / rate;
        if (s >= plannedMs) break;
        answers.push(answer(t0 + s));
      }
    } else {
      // One request at a time (the drain's probe): the next is sent when the last one ends.
      plannedMs = o.model.durationMs;
      for (let at = t0; at < t0 + plannedMs; ) {
        const a = answer(at);
        answers.push(a);
        // A loopback round trip takes ~0.2 ms even when the server answers at once.
        at = Math.max(a.endMs, at + 0.2);
      }
    }
    const endMs = Math.max(t0 + plannedMs, ...answers.map((a) => a.endMs));
    clock.advance(endMs - t0);
    return summarize(o, answers, t0, plannedMs, endMs - t0);
  };
}

function summarize(o: RunLoadOptions, answers: readonly Answer[], t0: number, plannedMs: number, durationMs: number): LoadResult {
  const latency = new LatencyHistogram();
  const completedLatency = new LatencyHistogram();
  const judgedLatency = new LatencyHistogram();
  const counts = { scheduled: 0, sent: 0, completed: 0, failed: 0, timedOut: 0, unsent: 0, statuses: {}, errors: {} };
  const judge = o.judge;
  const intervals = new Map<number, [number, number, number]>();
  const judged = { scheduled: 0, slow: 0, errors: 0 };
  const tailFrom = o.tailFromMs ?? plannedMs / 3;
  let tailScheduled = 0;
  let tailAnswered = 0;
  for (const a of answers) {
    const due = a.intendedMs - t0;
    const ms = a.endMs - a.intendedMs;
    counts.scheduled++;
    counts.sent++;
    if (a.timedOut) counts.timedOut++;
    else {
      latency.record(ms);
      if (a.ok) {
        counts.completed++;
        completedLatency.record(ms);
      } else counts.failed++;
    }
    if (due >= tailFrom) tailScheduled++;
    const endDue = a.endMs - t0;
    if (endDue >= tailFrom && endDue < plannedMs && !a.timedOut) tailAnswered++;
    if (judge === undefined || due < judge.fromMs) continue;
    const slow = a.timedOut || ms > judge.boundMs;
    judged.scheduled++;
    if (slow) judged.slow++;
    if (!a.ok) judged.errors++;
    if (!a.timedOut) judgedLatency.record(ms);
    const second = Math.floor(due / 1000);
    const row = intervals.get(second) ?? [0, 0, 0];
    row[0]++;
    if (slow) row[1]++;
    if (!a.ok) row[2]++;
    intervals.set(second, row);
  }
  const inFlightMean = (from: number, to: number): number => {
    let sum = 0;
    let samples = 0;
    for (let x = t0 + from; x < t0 + to; x += 100) {
      samples++;
      for (const a of answers) if (a.intendedMs <= x && a.endMs > x) sum++;
    }
    return samples > 0 ? sum / samples : 0;
  };
  const open = o.model.kind === 'open';
  const inFlightFirst = open ? inFlightMean(0, plannedMs / 3) : 0;
  const inFlightLast = open ? inFlightMean((2 * plannedMs) / 3, plannedMs) : 0;
  // Answers counted over the tail ÷ arrivals due in it, as the real aggregate counts them.
  const tailSpan = plannedMs - tailFrom;
  const achievedRatio = tailScheduled > 0 ? Math.min(1, tailAnswered / tailScheduled) : 1;
  const inFlightGrowing = inFlightLast > inFlightFirst * 1.1 + 2;
  const failures = counts.failed + counts.timedOut;
  return {
    target: o.target,
    model: o.model.kind,
    workers: 1,
    plannedMs,
    durationMs,
    counts,
    bookkeepingHolds: true,
    offeredRps: (counts.scheduled / plannedMs) * 1000,
    achievedRps: ((counts.completed + counts.failed) / durationMs) * 1000,
    latency: latency.summary(),
    completedLatency: completedLatency.summary(),
    service: latency.summary(),
    errorRatio: counts.scheduled > 0 ? failures / counts.scheduled : 0,
    generator: { sendLagP99Ms: 0, loopDelayP99MaxMs: 0, utilizationMax: 0, bottleneck: false, reasons: [] },
    saturation: {
      achievedRatio: tailSpan > 0 ? achievedRatio : 1,
      inFlightFirst,
      inFlightLast,
      inFlightGrowing,
      saturated: achievedRatio < 0.97 && inFlightGrowing,
    },
    judged:
      judge === undefined
        ? null
        : { ...judged, latency: judgedLatency.encode(), intervals: [...intervals.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]) },
    thresholds: [],
    aborted: null,
    timeline: [],
    histograms: { latency: latency.encode(), completedLatency: completedLatency.encode(), service: latency.encode() },
  };
}
