import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../core/index.ts';
import { GradientLimiter, type GradientLimiterOptions } from './gradient-limiter.ts';
import { PoolAdmission } from './pool-admission.ts';

function setup(limit: number, queueSize: number, queueTimeout = 250) {
  const clock = new ManualClock();
  const limiter = new GradientLimiter(clock, { adaptive: false, initialLimit: limit, minLimit: 1, maxLimit: limit });
  return { clock, admission: new PoolAdmission(clock, limiter, queueSize, queueTimeout) };
}

/**
 * One pool of two backends that each serve 100 requests/s (a token bucket holding 10, like
 * `piper serve --capacity-rps 100`: a request waits for its token, then takes 1 ms), behind
 * adaptive admission, simulated on the ManualClock: 2 s at 60 requests/s, then `overloadRate`
 * for 10 s. Returns the answers per second during the overload, and, from its second second on (past
 * the onset, which the queue absorbs as a burst for `queueInterval`), the p99 of the admitted
 * requests' latency (arrival to answer) and the limit every 100 ms.
 */
async function simulateRateLimitedPool(overloadRate: number, limiterOptions: Partial<GradientLimiterOptions> = {}) {
  const clock = new ManualClock();
  const limiter = new GradientLimiter(clock, { adaptive: true, initialLimit: 64, minLimit: 2, maxLimit: 1000, ...limiterOptions });
  const admission = new PoolAdmission(clock, limiter, 128, 250, { target: 5, interval: 100 });
  // GCRA form of the token bucket: theoretical arrival time, 10 ms apart, 9 intervals of burst.
  const backends = [
    { tat: 0, inFlight: 0 },
    { tat: 0, inFlight: 0 },
  ];
  const overloadFrom = 2_000;
  const end = overloadFrom + 10_000;
  const latencies: number[] = [];
  const limits: number[] = [];
  let answered = 0;
  const dispatch = (arrived: number): void => {
    const admittedAt = clock.monotonic();
    const inFlightAtStart = admission.inFlight;
    const [a, b] = backends as [(typeof backends)[0], (typeof backends)[0]];
    const backend = a.inFlight <= b.inFlight ? a : b;
    backend.inFlight++;
    const start = Math.max(admittedAt, backend.tat - 90);
    backend.tat = Math.max(backend.tat, start) + 10;
    clock.setTimeout(
      () => {
        backend.inFlight--;
        const done = clock.monotonic();
        admission.release(done - admittedAt, inFlightAtStart);
        if (arrived >= overloadFrom) answered++;
        if (arrived >= overloadFrom + 1_000) latencies.push(done - arrived);
      },
      start + 1 - admittedAt,
    );
  };
  let next = 0;
  for (let t = 0; t < end; t += 0.5) {
    while (next <= t) {
      const arrived = next;
      const admitted = admission.acquire();
      if (admitted === true) dispatch(arrived);
      else if (admitted !== false) void admitted.then((ok) => ok && dispatch(arrived));
      next += 1000 / (next < overloadFrom ? 60 : overloadRate);
    }
    if (t >= overloadFrom + 1_000 && t % 100 === 0) limits.push(admission.limit);
    await clock.tick(0.5);
  }
  await clock.tick(1_000, 0.5);
  admission.close();
  latencies.sort((x, y) => x - y);
  const p99 = latencies[Math.floor(0.99 * latencies.length)] as number;
  return { p99, goodput: answered / 10, limits, limiter };
}

describe('PoolAdmission', () => {
  it('tryAcquire admits only at once: never queues, and never ahead of a waiter', async () => {
    const { admission } = setup(1, 4);
    assert.equal(admission.hasRoom(), true);
    assert.equal(admission.tryAcquire(), true);
    assert.equal(admission.hasRoom(), false);
    assert.equal(admission.tryAcquire(), false, 'at the limit: refused, not queued');
    assert.equal(admission.queued, 0);
    const waiting = admission.acquire();
    assert.ok(waiting instanceof Promise);
    admission.release(null, 0);
    assert.equal(await waiting, true, 'the freed slot went to the waiter');
    assert.equal(admission.tryAcquire(), false);
    admission.release(null, 0);
    assert.equal(admission.tryAcquire(), true);
    admission.close();
    assert.equal(admission.hasRoom(), false, 'a closed pool has no room');
  });

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

  it('wouldRefuse tells what acquire would do now, and changes nothing', async () => {
    const { clock, admission } = setup(1, 100, 250);
    assert.equal(admission.wouldRefuse(), false, 'a free slot');
    assert.equal(admission.acquire(), true);
    assert.equal(admission.wouldRefuse(), false, 'no slot, but room to wait');
    for (let i = 0; i < 8; i++) {
      const waiter = admission.acquire() as Promise<boolean>;
      clock.advance(50);
      admission.release(50, 1);
      assert.equal(await waiter, true);
    }
    for (let i = 0; i < 5; i++) admission.acquire();
    assert.equal(admission.wouldRefuse(), true, 'six waiters at 50 ms each would pass the 250 ms timeout');
    assert.equal(admission.predictedSheds, 0);
    assert.equal(admission.queued, 5);
    const full = setup(1, 1);
    full.admission.acquire();
    full.admission.acquire();
    assert.equal(full.admission.wouldRefuse(), true, 'queue full');
    full.admission.close();
    admission.close();
    assert.equal(admission.wouldRefuse(), true, 'closed');
  });

  it('without enough drain samples, a request queues rather than being refused by a guess', () => {
    const { admission } = setup(1, 100, 10);
    admission.acquire();
    for (let i = 0; i < 20; i++) assert.ok(admission.acquire() instanceof Promise);
    assert.equal(admission.predictedSheds, 0);
  });

  it('a queue that does not empty for an interval stands: waits drop to the target, newest first', async () => {
    const clock = new ManualClock();
    const limiter = new GradientLimiter(clock, { adaptive: false, initialLimit: 1, minLimit: 1, maxLimit: 1 });
    const admission = new PoolAdmission(clock, limiter, 100, 250, { target: 5, interval: 100 });
    assert.equal(admission.acquire(), true);
    const outcomes: string[] = [];
    const track = (name: string, p: boolean | Promise<boolean>) => {
      assert.ok(p instanceof Promise);
      void p.then((ok) => outcomes.push(`${name}:${ok ? 'run' : 'shed'}`));
    };
    track('a', admission.acquire());
    assert.equal(admission.standing, false, 'a fresh queue is a burst');
    // One slot frees every 40 ms and a new request arrives each time: the queue never empties.
    for (let i = 0; i < 3; i++) {
      clock.advance(40);
      track(`r${i}`, admission.acquire());
      admission.release(40, 1);
      await Promise.resolve();
    }
    // At 120 ms the queue has not emptied for more than the interval: r1, waiting 40 ms, is past
    // the 5 ms target and refused; the slot goes to r2, the newest.
    assert.equal(admission.standing, true, 'emptied by a refusal, not caught up: still standing');
    track('x', admission.acquire());
    track('y', admission.acquire());
    clock.advance(3);
    admission.release(40, 1);
    await new Promise((r) => setImmediate(r));
    // Still standing (refusals in the last interval): y, the newest, runs before x.
    assert.deepEqual(outcomes, ['a:run', 'r0:run', 'r1:shed', 'r2:run', 'y:run']);
    assert.equal(admission.standingSheds, 1);
    // A waiter in a standing queue is refused after the target, not after the 250 ms timeout.
    clock.advance(5);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(outcomes.slice(5), ['x:shed']);
    assert.equal(admission.queued, 0);
  });

  it('a burst that drains within the interval keeps FIFO order and the long timeout', async () => {
    const { clock, admission } = setup(1, 10, 250);
    assert.equal(admission.acquire(), true);
    const first = admission.acquire() as Promise<boolean>;
    const second = admission.acquire() as Promise<boolean>;
    clock.advance(60);
    admission.release(60, 1);
    assert.equal(await first, true, 'oldest first');
    clock.advance(30);
    admission.release(30, 1);
    assert.equal(await second, true, 'waited 90 ms: under the timeout, still admitted');
    assert.equal(admission.standing, false);
    // The queue emptied by admissions: the next wait is a new burst, not a standing queue.
    clock.advance(200);
    const third = admission.acquire() as Promise<boolean>;
    clock.advance(50);
    admission.release(50, 1);
    assert.equal(await third, true);
  });

  it('a queue that stood before a minimum-RTT measurement keeps standing through it', async () => {
    const clock = new ManualClock();
    const limiter = new GradientLimiter(clock, { adaptive: true, initialLimit: 2, minLimit: 1, maxLimit: 2 });
    const admission = new PoolAdmission(clock, limiter, 100, 250, { target: 5, interval: 100 });
    assert.equal(admission.acquire(), true);
    assert.equal(admission.acquire(), true);
    const old = admission.acquire() as Promise<boolean>;
    // The queue has been waiting 100 ms when the busy window closes and the measurement begins.
    clock.advance(100);
    for (let i = 0; i < 10; i++) limiter.sample(10, 2);
    assert.equal(limiter.measuring, true);
    assert.equal(admission.standing, true, 'overload from before the pin: still standing');
    admission.release(10, 2);
    assert.equal(await old, false, 'waited 100 ms in a standing queue: refused, not admitted');
  });

  it('under 3× the capacity of backends serving a fixed rate, holds one request per backend: full goodput, no backend queue', async () => {
    const { p99, goodput, limits, limiter } = await simulateRateLimitedPool(600);
    assert.ok(goodput >= 0.9 * 200, `goodput ${goodput}/s of 200/s`);
    // One request per backend waits at most one token (10 ms), is served in 1 ms, and waits at
    // most the standing queue's 5 ms target before; each more in flight waits a token longer.
    assert.ok(p99 <= 16, `admitted p99 ${p99} ms`);
    assert.deepEqual(new Set(limits), new Set([2]), `limits ${limits.join(',')}`);
    assert.ok(limiter.fullPipes >= 1, 'growth was tried and found to buy nothing');
  });

  it('with the idle floor pools get by default (8 per backend), the onset meets 16, and the limit holds one request per backend after it', async () => {
    const { p99, goodput, limits } = await simulateRateLimitedPool(600, { idleLimit: 16 });
    assert.ok(goodput >= 0.9 * 200, `goodput ${goodput}/s of 200/s`);
    assert.ok(p99 <= 16, `admitted p99 ${p99} ms`);
    assert.deepEqual(new Set(limits.slice(1)), new Set([2]), `limits ${limits.join(',')}`);
  });

  it('a measurement given up raises the limit without a release: the waiters are admitted first, at the next request', async () => {
    const clock = new ManualClock();
    const limiter = new GradientLimiter(clock, { adaptive: true, initialLimit: 8, minLimit: 1, maxLimit: 100, minRttMaxMs: 1_000 });
    const admission = new PoolAdmission(clock, limiter, 10, 2_000);
    // Four long requests; a window of samples at four in flight is busy: the limit is pinned to 1.
    for (let i = 0; i < 4; i++) assert.equal(admission.acquire(), true);
    clock.advance(100);
    for (let i = 0; i < 10; i++) limiter.sample(5, 4);
    assert.equal(admission.limit, 1);
    clock.advance(999);
    const waiter = admission.acquire();
    assert.ok(waiter instanceof Promise, 'pinned: it waits');
    clock.advance(1);
    assert.equal(admission.acquire(), true, 'the limit is back to 8: the waiter and this one run');
    assert.equal(await waiter, true);
    assert.equal(admission.inFlight, 6);
    assert.equal(admission.queued, 0);
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
