import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flushMicrotasks, httpStatusOf, ManualClock } from '../core/index.ts';
import { AdmissionGate, type Release } from './admission-gate.ts';

function settle<T>(p: Promise<T>): { value?: T; error?: unknown; done: boolean } {
  const s: { value?: T; error?: unknown; done: boolean } = { done: false };
  p.then(
    (v) => {
      s.value = v;
      s.done = true;
    },
    (e: unknown) => {
      s.error = e;
      s.done = true;
    },
  );
  return s;
}

test('admits up to maxConcurrency at once, queues the next, and starts it when a slot frees', async () => {
  const clock = new ManualClock();
  const gate = new AdmissionGate({ maxConcurrency: 2, queueSize: 1, queueTimeoutMs: 100, clock });
  const a = await gate.acquire();
  await gate.acquire();
  const third = settle(gate.acquire());
  await flushMicrotasks();
  assert.equal(third.done, false);
  assert.equal(gate.queued, 1);
  a();
  a(); // idempotent
  await flushMicrotasks();
  assert.equal(third.done, true);
  assert.equal(gate.inFlight, 2);
});

test('refuses at once with 503 PIPER_PLATFORM_OVERLOADED when the queue is full', async () => {
  const clock = new ManualClock();
  const gate = new AdmissionGate({ maxConcurrency: 1, queueSize: 1, queueTimeoutMs: 100, clock });
  await gate.acquire();
  const queued = settle(gate.acquire());
  await assert.rejects(gate.acquire(), (err: { code: string; details: { status: number }; retryable: boolean }) => {
    assert.equal(err.code, 'PIPER_PLATFORM_OVERLOADED');
    assert.equal(httpStatusOf(err), 503);
    assert.equal(err.retryable, true);
    return true;
  });
  assert.equal(queued.done, false);
  assert.equal(gate.refused, 1);
});

test('a queued request fails after queueTimeout without a slot', async () => {
  const clock = new ManualClock();
  const gate = new AdmissionGate({ maxConcurrency: 1, queueSize: 5, queueTimeoutMs: 100, clock });
  await gate.acquire();
  const waiting = settle(gate.acquire());
  await clock.tick(99);
  assert.equal(waiting.done, false);
  await clock.tick(1);
  assert.equal(waiting.done, true);
  assert.equal((waiting.error as { code: string }).code, 'PIPER_PLATFORM_OVERLOADED');
  assert.equal(gate.queued, 0);
});

test('capacityRps: starts a burst of 100 ms worth, then one request per 1/rps', async () => {
  const clock = new ManualClock();
  const gate = new AdmissionGate({ maxConcurrency: 100, capacityRps: 100, queueSize: 100, queueTimeoutMs: 1000, clock });
  const started: Release[] = [];
  for (let i = 0; i < 10; i++) started.push(await gate.acquire()); // burst: 100 rps × 100 ms
  const next = settle(gate.acquire());
  const after = settle(gate.acquire());
  await flushMicrotasks();
  assert.equal(next.done, false);
  await clock.tick(10); // one token per 10 ms
  assert.equal(next.done, true);
  assert.equal(after.done, false);
  await clock.tick(10);
  assert.equal(after.done, true);
  assert.equal(gate.inFlight, 12);
});

test('capacityRps: a sustained rate above capacity is refused once the queue wait runs out', async () => {
  const clock = new ManualClock();
  const gate = new AdmissionGate({ maxConcurrency: 1000, capacityRps: 50, queueSize: 1000, queueTimeoutMs: 200, clock });
  const results: ReturnType<typeof settle<Release>>[] = [];
  // 200 requests per second for 1 s against a capacity of 50/s.
  for (let ms = 0; ms < 1000; ms += 5) {
    results.push(settle(gate.acquire()));
    await clock.tick(5);
  }
  await clock.tick(300);
  const admitted = results.filter((r) => r.value !== undefined).length;
  const refused = results.filter((r) => r.error !== undefined).length;
  assert.equal(admitted + refused, 200);
  // 5 burst tokens + 50/s over ~1.2 s.
  assert.ok(admitted >= 50 && admitted <= 70, `admitted ${admitted}`);
  assert.ok(refused >= 130, `refused ${refused}`);
});

test('close refuses waiting and new requests; requests in flight keep their slot', async () => {
  const clock = new ManualClock();
  const gate = new AdmissionGate({ maxConcurrency: 1, queueSize: 5, queueTimeoutMs: 1000, clock });
  const release = await gate.acquire();
  const waiting = settle(gate.acquire());
  gate.close();
  gate.close();
  await flushMicrotasks();
  assert.equal((waiting.error as { code: string }).code, 'PIPER_PLATFORM_OVERLOADED');
  await assert.rejects(gate.acquire(), { code: 'PIPER_PLATFORM_OVERLOADED' });
  assert.equal(gate.inFlight, 1);
  release();
  assert.equal(gate.inFlight, 0);
  assert.equal(clock.pending, 0);
});

test('saturated while every slot is taken and none has been handed out for queueTimeout; clear once one frees', async () => {
  const clock = new ManualClock();
  const gate = new AdmissionGate({ maxConcurrency: 2, queueSize: 4, queueTimeoutMs: 200, clock });
  const a = await gate.acquire();
  clock.advance(500);
  assert.equal(gate.saturated, false, 'a free slot is not saturation');
  await gate.acquire();
  clock.advance(199);
  assert.equal(gate.saturated, false, 'a slot was handed out within queueTimeout');
  clock.advance(1);
  assert.equal(gate.saturated, true);
  const queued = settle(gate.acquire());
  a();
  await flushMicrotasks();
  assert.equal(queued.done, true);
  assert.equal(gate.saturated, false, 'the slot turned over');
});
