import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../core/index.ts';
import { GradientLimiter } from './gradient-limiter.ts';

/**
 * Feeds `windows` windows of 20 samples at `rttMs`, 100 ms apart. `inFlight` defaults to the
 * current limit (a pool using all of it); while the limit is pinned for a measurement the samples
 * report that pinned concurrency, as requests admitted under it would.
 */
function feed(clock: ManualClock, limiter: GradientLimiter, windows: number, rttMs: number, inFlight?: number) {
  for (let w = 0; w < windows; w++) {
    clock.advance(100);
    for (let i = 0; i < 20; i++) limiter.sample(rttMs, inFlight ?? limiter.limit);
  }
}

/** A limiter that has measured a 10 ms minimum RTT, with `limit` restored afterwards. */
function measured(limit = 20) {
  const clock = new ManualClock();
  const limiter = new GradientLimiter(clock, { adaptive: true, initialLimit: limit, minLimit: 4, maxLimit: 200 });
  // Busy at the baseline: the window closes at its 10th sample and the measurement starts; the
  // batch's other 10 samples, under the pinned limit, are its first.
  feed(clock, limiter, 1, 10);
  assert.equal(limiter.measuring, true);
  for (let i = 0; i < 40; i++) limiter.sample(10, 4);
  assert.equal(limiter.measuring, false);
  assert.equal(limiter.minRttMs, 10);
  return { clock, limiter };
}

describe('GradientLimiter', () => {
  const options = { adaptive: true, initialLimit: 20, minLimit: 4, maxLimit: 200 };

  it('an unused limit decays, by at most half a window, toward twice the recent peak in flight; then it measures', () => {
    const clock = new ManualClock();
    const limiter = new GradientLimiter(clock, { ...options, initialLimit: 64 });
    const limits: number[] = [];
    for (let w = 0; w < 4; w++) {
      feed(clock, limiter, 1, 500, 2);
      limits.push(limiter.limit);
    }
    assert.deepEqual(limits, [32, 16, 8, 5], 'halved per window down to max(minLimit, 2 × peak 2 + 1)');
    feed(clock, limiter, 10, 500, 2);
    assert.equal(limiter.limit, 5);
    assert.equal(limiter.measurements, 0, 'the same peak stays app-limited: nothing measured');
    // A window reaching half of the decayed limit is busy (an overload's onset meets 5, not 64):
    // the baseline is measured now.
    feed(clock, limiter, 1, 10, 3);
    assert.equal(limiter.measuring, true);
  });

  it('an unused limit decays no lower than twice the peak of the last ten windows', () => {
    const { clock, limiter } = measured(64);
    feed(clock, limiter, 11, 10, 30);
    assert.equal(limiter.limit, 61);
    // (feed's batches straddle windows: the first window of the 3s still peaks at 30.)
    feed(clock, limiter, 10, 10, 3);
    assert.equal(limiter.limit, 61, 'a peak of 30 ten windows ago still counts');
    feed(clock, limiter, 1, 10, 3);
    assert.equal(limiter.limit, 30, 'it left the ten windows: halved toward twice the new peak');
    feed(clock, limiter, 5, 10, 3);
    assert.equal(limiter.limit, 7);
  });

  it('after light traffic an unused limit stops at idleLimit, not at 3 that three slow requests fill; latency still takes it to minLimit', () => {
    const clock = new ManualClock();
    const limiter = new GradientLimiter(clock, { ...options, initialLimit: 64, minLimit: 1, idleLimit: 8 });
    feed(clock, limiter, 10, 5, 1);
    assert.equal(limiter.limit, 8, 'one request at a time: twice the peak plus one would be 3');
    assert.equal(limiter.measurements, 0);
    // Busy at half of it: measured, then latency far past the baseline halves it down to minLimit.
    feed(clock, limiter, 1, 5, 4);
    assert.equal(limiter.measuring, true);
    for (let i = 0; i < 50; i++) limiter.sample(5, 1);
    feed(clock, limiter, 5, 100, 8);
    assert.equal(limiter.limit, 1);
  });

  it('measures the minimum RTT with the limit pinned to minLimit, from requests that started under it', () => {
    const clock = new ManualClock();
    const limiter = new GradientLimiter(clock, options);
    feed(clock, limiter, 1, 10, 20);
    assert.equal(limiter.measuring, true);
    assert.equal(limiter.limit, 4, 'pinned');
    // Requests admitted before the pin (in flight 20) do not count; 50 under it do.
    for (let i = 0; i < 100; i++) limiter.sample(80, 20);
    assert.equal(limiter.measuring, true);
    for (let i = 0; i < 49; i++) limiter.sample(i < 25 ? 11 : 13, 4);
    assert.equal(limiter.measuring, true);
    limiter.sample(12, 3);
    assert.equal(limiter.measuring, false);
    assert.equal(limiter.minRttMs, 12, 'the median');
    assert.equal(limiter.measurements, 1);
  });

  it('grows while latency stays within the buffer and the pool uses the limit', () => {
    const { clock, limiter } = measured();
    feed(clock, limiter, 10, 12);
    assert.ok(limiter.limit > 40, `limit ${limiter.limit}`);
  });

  it('does not grow when the pool is app-limited (uses under half of the limit)', () => {
    const { clock, limiter } = measured();
    feed(clock, limiter, 30, 10, 5);
    assert.equal(limiter.limit, 11, 'decayed to twice the 5 in flight + 1, never grown');
  });

  it('undoes a growth that bought no throughput (a backend serving a fixed rate) and holds it until the next measurement', () => {
    const clock = new ManualClock();
    const limiter = new GradientLimiter(clock, { ...options, initialLimit: 8, minLimit: 2, minRttIntervalMs: 10_000 });
    // Two backends serving 100 requests/s each (a token bucket): with n in flight a request takes
    // 5 ms × n, so past one per backend concurrency buys latency, never throughput.
    const rate = () => 5 * limiter.limit;
    feed(clock, limiter, 1, 40, 8);
    assert.equal(limiter.measuring, true);
    feed(clock, limiter, 3, 10, 2);
    assert.equal(limiter.minRttMs, 10);
    assert.equal(limiter.limit, 2, "Little's law from the busy window: 8 × 14.5 / 40 = 2.9");
    // The gradient asks for growth (10 ms is within 14.5): one trial, found full, then held at 2.
    const limits: number[] = [];
    for (let w = 0; w < 60; w++) {
      clock.advance(100);
      for (let i = 0; i < 20; i++) limiter.sample(rate(), limiter.limit);
      limits.push(limiter.limit);
    }
    assert.equal(limiter.fullPipes, 1);
    assert.equal(limiter.ceiling, 2);
    assert.equal(limits.filter((l) => l > 2).length, 1, `one window over 2 (the trial): ${limits.join(',')}`);
    // The next measurement (every 10 s here) clears the ceiling: one more trial, held again.
    for (let w = 0; w < 120; w++) {
      clock.advance(100);
      for (let i = 0; i < 20; i++) limiter.sample(rate(), limiter.limit);
    }
    assert.ok(limiter.measurements >= 2);
    assert.equal(limiter.fullPipes, 2);
    assert.equal(limiter.limit, 2);
  });

  it('keeps a growth that bought throughput, judged on the requests that ran above the old limit', () => {
    const { clock, limiter } = measured(8);
    // Requests that start above the old limit of 8 answer in 10 ms too: the backend had room.
    feed(clock, limiter, 1, 10);
    assert.ok(limiter.limit > 8, `grew: ${limiter.limit}`);
    clock.advance(100);
    for (let i = 0; i < 20; i++) limiter.sample(10, 12);
    feed(clock, limiter, 5, 10);
    assert.equal(limiter.fullPipes, 0);
    assert.equal(limiter.ceiling, Number.POSITIVE_INFINITY);
    assert.ok(limiter.limit > 40, `kept growing: ${limiter.limit}`);
  });

  it('sets no ceiling for a latency rise within the slack, nor while the process is saturated', () => {
    const clock = new ManualClock();
    const limiter = new GradientLimiter(clock, options);
    feed(clock, limiter, 1, 0.2);
    for (let i = 0; i < 40; i++) limiter.sample(0.2, 4);
    // Latency triples with concurrency but stays under 2 ms: event-loop batching, not a queue.
    for (let w = 0; w < 20; w++) {
      clock.advance(100);
      for (let i = 0; i < 20; i++) limiter.sample(Math.min(1.9, 0.05 * limiter.limit), limiter.limit);
    }
    assert.equal(limiter.ceiling, Number.POSITIVE_INFINITY);
    assert.ok(limiter.limit > 20, `limit ${limiter.limit}`);

    const held = new GradientLimiter(clock, { ...options, initialLimit: 8, minLimit: 2, saturated: () => true });
    feed(clock, held, 1, 10, 8);
    for (let i = 0; i < 50; i++) held.sample(10, 2);
    for (let w = 0; w < 5; w++) {
      clock.advance(100);
      for (let i = 0; i < 20; i++) held.sample(5 * held.limit, held.limit);
    }
    assert.equal(held.fullPipes, 0, 'a saturated process slows every request: no verdict on the backends');
    assert.ok(held.limit > 2, `held ${held.limit}`);
  });

  it('halves the limit per window while latency is far past the buffer, never below minLimit', () => {
    const { clock, limiter } = measured(64);
    clock.advance(100);
    for (let i = 0; i < 10; i++) limiter.sample(40, 64);
    assert.equal(limiter.limit, 32, 'gradient 12.5 / 40 clamped at 0.5');
    feed(clock, limiter, 4, 40);
    assert.equal(limiter.limit, 4);
  });

  it("starting in an overload, the first measurement sets the limit by Little's law at once", () => {
    const clock = new ManualClock();
    const limiter = new GradientLimiter(clock, { ...options, initialLimit: 64 });
    // 64 in flight, 200 ms each: deep in a backend's queue; no baseline yet.
    feed(clock, limiter, 1, 200, 64);
    assert.equal(limiter.measuring, true);
    // Pinned to 4, the backend answers in 8 ms: the ideal is 8 × 1.25 = 10 ms, 20× under 200 ms.
    feed(clock, limiter, 3, 8);
    assert.equal(limiter.minRttMs, 8);
    assert.equal(limiter.limit, 4, '64 × 10 / 200 = 3.2, floored at minLimit');
  });

  it('keeps the limit down through 70 s of overload (re-measured at the pinned concurrency)', () => {
    const { clock, limiter } = measured();
    // A saturated backend: latency grows with concurrency, 2.5 ms per request in flight (10 ms at
    // the pinned 4, so every new measurement finds the same ideal).
    let highest = 0;
    for (let w = 0; w < 700; w++) {
      clock.advance(100);
      for (let i = 0; i < 20; i++) limiter.sample(2.5 * limiter.limit, limiter.limit);
      if (w >= 10) highest = Math.max(highest, limiter.limit);
    }
    // Ideal 10 × 1.25 + 2 ms slack = 14.5 ms, reached at a limit of 5.8: it hovers there.
    assert.ok(highest <= 10, `highest limit after the first second: ${highest}`);
    assert.equal(limiter.minRttMs, 10, 'the baseline did not drift up to the queued latency');
    assert.ok(limiter.measurements >= 2, 'measured again after the 60 s interval');
  });

  it('measures again every interval, and a backend that became slower raises the baseline', () => {
    const clock = new ManualClock();
    const limiter = new GradientLimiter(clock, { ...options, minRttIntervalMs: 10_000 });
    feed(clock, limiter, 4, 10);
    assert.equal(limiter.minRttMs, 10);
    // Now every request takes 30 ms at any concurrency: the limit drops to its minimum, sits there,
    // and the next measurement finds 30 ms; from then on the limit can grow again.
    feed(clock, limiter, 30, 30);
    assert.equal(limiter.minRttMs, 30);
    feed(clock, limiter, 30, 30);
    assert.ok(limiter.limit > 10, `limit ${limiter.limit}`);
  });

  it('does not shrink for latency the process adds itself (event loop saturated)', () => {
    const { clock, limiter } = measured(64);
    let saturated = true;
    const held = new GradientLimiter(clock, { ...options, initialLimit: 64, saturated: () => saturated });
    feed(clock, held, 1, 10);
    for (let i = 0; i < 40; i++) held.sample(10, 4);
    assert.equal(held.minRttMs, 10);
    feed(clock, held, 5, 40);
    assert.ok(held.limit >= 64, `saturated: not shrunk (${held.limit}); it may grow while used, so it never binds`);
    feed(clock, limiter, 5, 40);
    assert.ok(limiter.limit < 16, 'the same latency shrinks a limiter whose process is not saturated');
    saturated = false;
    feed(clock, held, 5, 40);
    assert.ok(held.limit < 16, `then shrinks: ${held.limit}`);
  });

  it('tolerates a couple of milliseconds over a sub-millisecond minimum RTT (event-loop noise, not a queue)', () => {
    const clock = new ManualClock();
    const limiter = new GradientLimiter(clock, options);
    feed(clock, limiter, 1, 0.2);
    for (let i = 0; i < 40; i++) limiter.sample(0.2, 4);
    assert.equal(limiter.minRttMs, 0.2);
    feed(clock, limiter, 20, 1.5);
    assert.ok(limiter.limit >= 20, `limit ${limiter.limit}`);
    feed(clock, limiter, 10, 20);
    assert.equal(limiter.limit, 4, 'a real queue (20 ms) still shrinks it, by half a window');
  });

  it('bounds a measurement in time once it has minSamples samples', () => {
    const clock = new ManualClock();
    const limiter = new GradientLimiter(clock, { ...options, minRttMaxMs: 1_000 });
    feed(clock, limiter, 1, 10, 20);
    for (let i = 0; i < 10; i++) limiter.sample(9, 2);
    assert.equal(limiter.measuring, true);
    clock.advance(1_000);
    limiter.sample(9, 2);
    assert.equal(limiter.measuring, false);
    assert.equal(limiter.minRttMs, 9);
  });

  it('gives up a measurement during which no request ends for minRttMaxMs (long requests hold the pinned slots), and tries again after the interval', () => {
    const clock = new ManualClock();
    const limiter = new GradientLimiter(clock, { ...options, initialLimit: 8, minLimit: 1, minRttMaxMs: 1_000 });
    // Busy: the measurement starts and pins the limit to 1, which three slow uploads already exceed.
    feed(clock, limiter, 1, 5, 4);
    assert.equal(limiter.limit, 1);
    clock.advance(999);
    assert.equal(limiter.limit, 1);
    clock.advance(1);
    assert.equal(limiter.limit, 8, 'given up at once, read by the next admission: the limit is back');
    assert.equal(limiter.measuring, false);
    assert.equal(limiter.abandonedMeasurements, 1);
    assert.equal(limiter.minRttMs, 0, 'no baseline from it');
    feed(clock, limiter, 5, 5, 4);
    assert.equal(limiter.measuring, false, 'busy again, but no new try before the interval');
    clock.advance(60_000);
    feed(clock, limiter, 1, 5, 4);
    assert.equal(limiter.measuring, true);
  });

  it('does not give up a measurement whose requests end slowly but steadily (a backend taking 400 ms)', () => {
    const clock = new ManualClock();
    const limiter = new GradientLimiter(clock, { ...options, initialLimit: 8, minLimit: 1, minRttMaxMs: 1_000 });
    feed(clock, limiter, 1, 400, 4);
    assert.equal(limiter.measuring, true);
    for (let i = 0; i < 10; i++) {
      clock.advance(1_000);
      assert.equal(limiter.limit, 1, `pinned, ${i + 1} s in`);
      limiter.sample(400, 1);
    }
    assert.equal(limiter.measuring, false);
    assert.equal(limiter.minRttMs, 400);
    assert.equal(limiter.abandonedMeasurements, 0);
  });

  it('stays fixed when adaptive is off', () => {
    const clock = new ManualClock();
    const limiter = new GradientLimiter(clock, { ...options, adaptive: false });
    feed(clock, limiter, 50, 10);
    feed(clock, limiter, 50, 500);
    assert.equal(limiter.limit, 20);
    assert.equal(limiter.measurements, 0);
  });
});
