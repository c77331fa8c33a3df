import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Clock, TimerHandle } from '../core/index.ts';
import { SeededRandom } from '../core/index.ts';
import { LatencyHistogram } from '../telemetry/index.ts';
import { type FindCapacityOptions, findCapacity } from './capacity-finder.ts';
import type { LoadResult } from './load-result.ts';
import type { RunLoadOptions } from './load-run.ts';

/** Time that moves only when a trial says how long it took. */
class StepClock implements Clock {
  t = 0;
  now(): number {
    return this.t;
  }
  monotonic(): number {
    return this.t;
  }
  setTimeout(): TimerHandle {
    throw new Error('no timers here');
  }
  setInterval(): TimerHandle {
    throw new Error('no timers here');
  }
  async sleep(ms: number): Promise<void> {
    this.t += ms;
  }
}

/** A target that answers everything in 10 ms up to `limitRps` and falls behind beyond it; records each trial's rate and length. */
function hardLimitTarget(limitRps: number, clock: StepClock) {
  const trials: { rateRps: number; durationMs: number }[] = [];
  const run = async (o: RunLoadOptions): Promise<LoadResult> => {
    const open = o.model.kind === 'open';
    const plannedMs = o.model.kind === 'open' ? (o.model.plan[0]?.durationMs ?? 0) : o.model.durationMs;
    const rate = o.model.kind === 'open' ? (o.model.plan[0]?.fromRps ?? 0) : 100;
    if (open) trials.push({ rateRps: rate, durationMs: plannedMs });
    clock.t += plannedMs;
    const over = open && rate > limitRps;
    const scheduled = Math.round((rate * plannedMs) / 1000);
    const latency = new LatencyHistogram();
    for (let i = 0; i < scheduled; i++) latency.record(10);
    const judgedFrom = o.judge?.fromMs ?? 0;
    const judgedScheduled = Math.round((rate * (plannedMs - judgedFrom)) / 1000);
    const seconds = Math.max(1, Math.round((plannedMs - judgedFrom) / 1000));
    const perSecond = Math.round(judgedScheduled / seconds);
    const summary = latency.summary();
    return {
      target: o.target,
      model: o.model.kind,
      workers: 1,
      plannedMs,
      durationMs: plannedMs,
      counts: { scheduled, sent: scheduled, completed: scheduled, failed: 0, timedOut: 0, unsent: 0, statuses: {}, errors: {} },
      bookkeepingHolds: true,
      offeredRps: rate,
      achievedRps: over ? limitRps : rate,
      latency: summary,
      completedLatency: summary,
      service: summary,
      errorRatio: 0,
      generator: { sendLagP99Ms: 0, loopDelayP99MaxMs: 0, utilizationMax: 0, bottleneck: false, reasons: [] },
      saturation: {
        achievedRatio: over ? limitRps / rate : 1,
        inFlightFirst: 1,
        inFlightLast: over ? 100 : 1,
        inFlightGrowing: over,
        saturated: over,
      },
      judged:
        o.judge === undefined
          ? null
          : {
              scheduled: judgedScheduled,
              slow: 0,
              errors: 0,
              latency: latency.encode(),
              intervals: Array.from({ length: seconds }, () => [perSecond, 0, 0] as [number, number, number]),
            },
      thresholds: [],
      aborted: null,
      timeline: [],
      histograms: { latency: latency.encode(), completedLatency: latency.encode(), service: latency.encode() },
    };
  };
  return { run, trials };
}

async function search(limitRps: number, extra: Partial<FindCapacityOptions>) {
  const clock = new StepClock();
  const target = hardLimitTarget(limitRps, clock);
  const result = await findCapacity({
    target: 'http://target',
    requests: [{ name: 'get', method: 'GET', path: '/', headers: {}, body: null, weight: 1 }],
    slo: { p99Ms: 300, maxErrorRatio: 0.01 },
    clock,
    random: new SeededRandom(1),
    startRps: limitRps,
    trialMs: 5000,
    maxTrialMs: 30_000,
    warmupMs: 0,
    run: target.run as NonNullable<FindCapacityOptions['run']>,
    ...extra,
  });
  const confirmMs = target.trials.slice(-2).map((t) => t.durationMs);
  return { result, confirmMs };
}

describe('findCapacity: the longest trial holds a number of requests, not a number of seconds', () => {
  it('confirms a 40/s target with trials of 12,000 requests (≈300 s) when the cap allows, 30 s at 400/s', async () => {
    const low = await search(40, { maxTrialRequests: 12_000, maxTrialCapMs: 600_000 });
    assert.equal(low.result.reason, 'converged');
    for (const ms of low.confirmMs) {
      const requests = (low.result.capacityRps * ms) / 1000;
      assert.ok(requests >= 12_000 && requests < 12_100, `confirmation of ${ms} ms at ${low.result.capacityRps}/s`);
    }
    // Just under 400/s, 12,000 requests take a hair over --max-trial.
    const high = await search(400, { maxTrialRequests: 12_000, maxTrialCapMs: 600_000 });
    const first = high.confirmMs[0] as number;
    assert.ok(first >= 30_000 && first <= 30_200, `confirmation of ${first} ms at ${high.result.capacityRps}/s`);
  });

  it('stretches to at most 300 s unless told, and never below --max-trial', async () => {
    const low = await search(40, { maxTrialRequests: 12_000 });
    assert.deepEqual(low.confirmMs, [300_000, 300_000]);
    const long = await search(40, { maxTrialRequests: 12_000, maxTrialMs: 400_000 });
    assert.deepEqual(long.confirmMs, [400_000, 400_000]);
  });

  it('keeps --max-trial at every rate by default, and with maxTrialRequests 0', async () => {
    assert.deepEqual((await search(40, {})).confirmMs, [30_000, 30_000]);
    assert.deepEqual((await search(40, { maxTrialRequests: 0 })).confirmMs, [30_000, 30_000]);
  });

  it('refuses a negative request count or a cap of 0, naming the option', async () => {
    await assert.rejects(search(40, { maxTrialRequests: -1 }), { code: 'PIPER_LOADGEN_INVALID_OPTIONS', message: /maxTrialRequests/ });
    await assert.rejects(search(40, { maxTrialCapMs: 0 }), { code: 'PIPER_LOADGEN_INVALID_OPTIONS', message: /maxTrialCapMs/ });
  });
});
