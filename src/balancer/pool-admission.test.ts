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
