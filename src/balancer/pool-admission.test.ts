import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../core/index.ts';
import { GradientLimiter } from './gradient-limiter.ts';
import { PoolAdmission } from './pool-admission.ts';

function setup(limit: number, queueSize: number, queueTimeout = 250) {
  const clock = new ManualClock();
  const limiter = new GradientLimiter(clock, { adaptive: false, initialLimit: limit, minLimit: 1, maxLimit: limit });
  return { clock, admission: new PoolAdmission(clock, limiter, queueSize, queueTimeout) };
}

describe('PoolAdmission', () => {
  it('admits up to the limit at once, queues up to queueSize, sheds the rest synchronously', () => {
    const { admission } = setup(2, 1);
    assert.equal(admission.acquire(), true);
    assert.equal(admission.acquire(), true);
    const queued = admission.acquire();
    assert.ok(queued instanceof Promise);
    assert.equal(admission.acquire(), false, 'queue full: shed without waiting');
    assert.equal(admission.inFlight, 2);
    assert.equal(admission.queued, 1);
  });

  it('hands a freed slot to the oldest waiter', async () => {
    const { admission } = setup(1, 2);
    assert.equal(admission.acquire(), true);
    const first = admission.acquire() as Promise<boolean>;
    const second = admission.acquire() as Promise<boolean>;
    admission.release(5, 1);
    assert.equal(await first, true);
    assert.equal(admission.inFlight, 1);
    assert.equal(admission.queued, 1);
    admission.release(5, 1);
    assert.equal(await second, true);
  });

  it('sheds a waiter when its queue timeout passes', async () => {
    const { clock, admission } = setup(1, 4, 250);
    admission.acquire();
    const waiter = admission.acquire() as Promise<boolean>;
    clock.advance(249);
    assert.equal(admission.queued, 1);
    clock.advance(1);
    assert.equal(await waiter, false);
    assert.equal(admission.queued, 0);
    assert.equal(clock.pending, 0);
  });

  it('refuses at once a request whose wait would pass the queue timeout, by the measured drain rate', async () => {
    const { clock, admission } = setup(1, 100, 250);
    assert.equal(admission.acquire(), true);
    // Learn the drain rate: one queued request admitted every 50 ms.
    for (let i = 0; i < 8; i++) {
      const waiter = admission.acquire() as Promise<boolean>;
      clock.advance(50);
      admission.release(50, 1);
      assert.equal(await waiter, true);
    }
    // At 50 ms per admission, 5 waiters take 250 ms: the fifth may still wait, the sixth may not.
    const waiters = [1, 2, 3, 4].map(() => admission.acquire());
    assert.ok(waiters.every((w) => w instanceof Promise));
    assert.equal(admission.queued, 4);
    assert.ok(admission.acquire() instanceof Promise, 'the fifth waits: 5 × 50 ms = 250 ms is not over the timeout');
    assert.equal(admission.acquire(), false, 'the sixth is refused now, not after 250 ms');
    assert.equal(admission.predictedSheds, 1);
  });

  it('without enough drain samples, a request queues rather than being refused by a guess', () => {
    const { admission } = setup(1, 100, 10);
    admission.acquire();
    for (let i = 0; i < 20; i++) assert.ok(admission.acquire() instanceof Promise);
    assert.equal(admission.predictedSheds, 0);
  });

  it('close() refuses waiters and new requests', async () => {
    const { clock, admission } = setup(1, 4);
    admission.acquire();
    const waiter = admission.acquire() as Promise<boolean>;
    admission.close();
    assert.equal(await waiter, false);
    assert.equal(admission.acquire(), false);
    assert.equal(clock.pending, 0);
  });
});
