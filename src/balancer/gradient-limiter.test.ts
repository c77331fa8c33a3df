import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../core/index.ts';
import { GradientLimiter } from './gradient-limiter.ts';

/** Feeds `windows` windows of 20 samples at `rttMs`, with `inFlight` in flight, 100 ms apart. */
function feed(clock: ManualClock, limiter: GradientLimiter, windows: number, rttMs: number, inFlight = limiter.limit) {
  for (let w = 0; w < windows; w++) {
    clock.advance(100);
    for (let i = 0; i < 20; i++) limiter.sample(rttMs, inFlight);
  }
}

describe('GradientLimiter', () => {
  const options = { adaptive: true, initialLimit: 20, minLimit: 4, maxLimit: 200 };

  it('grows the limit while latency holds and the pool uses it', () => {
    const clock = new ManualClock();
    const limiter = new GradientLimiter(clock, options);
    feed(clock, limiter, 30, 10);
    assert.ok(limiter.limit > 30, `limit ${limiter.limit}`);
  });

  it('does not grow when the pool is app-limited (uses under half of the limit)', () => {
    const clock = new ManualClock();
    const limiter = new GradientLimiter(clock, options);
    feed(clock, limiter, 30, 10, 5);
    assert.equal(limiter.limit, 20);
  });

  it('shrinks the limit when latency rises, and never below minLimit', () => {
    const clock = new ManualClock();
    const limiter = new GradientLimiter(clock, options);
    feed(clock, limiter, 20, 10);
    const before = limiter.limit;
    feed(clock, limiter, 5, 100);
    assert.ok(limiter.limit < before, `${limiter.limit} < ${before}`);
    feed(clock, limiter, 200, 1000);
    assert.ok(limiter.limit >= 4);
    assert.ok(limiter.limit <= before / 2, `limit ${limiter.limit} after sustained 100x latency (was ${before})`);
  });

  it('halves the limit per window while latency is past the tolerance', () => {
    const clock = new ManualClock();
    const limiter = new GradientLimiter(clock, { ...options, initialLimit: 64 });
    feed(clock, limiter, 10, 10, 20);
    assert.equal(limiter.limit, 64, 'app-limited at the baseline: unchanged');
    // feed() closes each window at the first sample of the next batch: the second batch's window is all 40 ms.
    feed(clock, limiter, 2, 40);
    assert.equal(limiter.limit, 32);
    feed(clock, limiter, 3, 40);
    assert.equal(limiter.limit, 4, 'at minLimit after four windows of queueing');
  });

  it('keeps the limit down through a minute of overload (the baseline does not drift up to the queued latency)', () => {
    const clock = new ManualClock();
    const limiter = new GradientLimiter(clock, options);
    feed(clock, limiter, 50, 10);
    // 60 s of windows whose latency stays 4x the baseline, as a saturated backend's queue makes it.
    feed(clock, limiter, 600, 40);
    assert.equal(limiter.limit, 4);
    // Still under 40 ms ÷ the 1.5 tolerance: the 40 ms windows still read as a queue.
    assert.ok(limiter.longRttMs < 40 / 1.5, `baseline ${limiter.longRttMs.toFixed(1)} ms`);
  });

  it('recovers after a latency spike ends', () => {
    const clock = new ManualClock();
    const limiter = new GradientLimiter(clock, options);
    feed(clock, limiter, 20, 10);
    feed(clock, limiter, 30, 200);
    const low = limiter.limit;
    feed(clock, limiter, 100, 10);
    assert.ok(limiter.limit > low, `${limiter.limit} > ${low}`);
  });

  it('waits for a full window (time and samples) before moving', () => {
    const clock = new ManualClock();
    const limiter = new GradientLimiter(clock, options);
    for (let i = 0; i < 1000; i++) limiter.sample(10, 20);
    assert.equal(limiter.longRttMs, 0, 'no time passed: the window is still open');
    clock.advance(100);
    limiter.sample(10, 20);
    assert.equal(limiter.longRttMs, 10);
  });

  it('stays fixed when adaptive is off', () => {
    const clock = new ManualClock();
    const limiter = new GradientLimiter(clock, { ...options, adaptive: false });
    feed(clock, limiter, 50, 10);
    feed(clock, limiter, 50, 500);
    assert.equal(limiter.limit, 20);
  });
});
