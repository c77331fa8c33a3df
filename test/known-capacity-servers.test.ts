import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CapacityModel, KNOWN_CAPACITY_SHAPES, startKnownCapacityServer } from './fixtures/known-capacity/known-capacity-server.ts';
import { poissonAtLeast, trueLimit } from './fixtures/known-capacity/true-limit.ts';

const SLO = { p99Ms: 300, maxErrorRatio: 0.01 };

describe('servers of known capacity (test fixtures for the capacity finder)', () => {
  it('hard-limit: a bucket of N/4 tokens refilled at N/s; 503 at once when it is empty', () => {
    const m = new CapacityModel({ shape: 'hard-limit', capacityRps: 40, seed: 1 });
    const burst = Array.from({ length: 12 }, () => m.arrive(0).status);
    assert.deepEqual(burst, [...Array(10).fill(200), 503, 503]);
    // 100 ms later 4 tokens are back.
    assert.deepEqual(
      Array.from({ length: 5 }, () => m.arrive(100).status),
      [200, 200, 200, 200, 503],
    );
  });

  it('queue-then-timeout: FIFO at exactly 1/N s per request; a wait over 1 s gets 504 after that second', () => {
    const m = new CapacityModel({ shape: 'queue-then-timeout', capacityRps: 40, seed: 1 });
    const answers = Array.from({ length: 42 }, () => m.arrive(0));
    assert.deepEqual(answers[0], { status: 200, atMs: 25 });
    assert.deepEqual(answers[40], { status: 200, atMs: 1025 }); // waited exactly 1 s: served
    assert.deepEqual(answers[41], { status: 504, atMs: 1000 });
  });

  it('single-queue: exponential service of mean 1/N s, one at a time, the same for the same seed', () => {
    const m = new CapacityModel({ shape: 'single-queue', capacityRps: 40, seed: 7 });
    const done = Array.from({ length: 20_000 }, () => m.arrive(0).atMs);
    // All arrive at once, so the last finishes after the sum of 20,000 services (mean 25 ms each).
    assert.ok(Math.abs((done.at(-1) as number) / 20_000 - 25) < 0.5);
    assert.ok(done.every((t, i) => i === 0 || t >= (done[i - 1] as number)));
    const again = new CapacityModel({ shape: 'single-queue', capacityRps: 40, seed: 7 });
    assert.equal(again.arrive(0).atMs, done[0]);
  });

  it('slow-degradation: latency grows with the arrivals of the last second and passes 300 ms beyond N', () => {
    const m = new CapacityModel({ shape: 'slow-degradation', capacityRps: 40, seed: 1, sloMs: 300 });
    const latencies = Array.from({ length: 42 }, (_, k) => m.arrive(k).atMs - k);
    assert.ok(Math.abs((latencies[0] as number) - (20 + (280 * 0.5) / 41)) < 1e-9);
    assert.ok((latencies[40] as number) < 300 && (latencies[41] as number) > 300);
    // A second later the window is empty again.
    assert.ok(m.arrive(2000).atMs - 2000 < 25);
  });

  it('answers over HTTP on 127.0.0.1 with the status its model decides', async () => {
    for (const shape of KNOWN_CAPACITY_SHAPES) {
      const server = await startKnownCapacityServer({ shape, capacityRps: 1000, seed: 1 });
      try {
        const res = await fetch(`${server.url}/`);
        assert.equal(res.status, 200, shape);
        assert.equal(await res.text(), 'ok\n');
      } finally {
        await server.close();
      }
    }
  });

  it('true limits: M/M/1 in closed form, slow degradation from the Poisson tail, the others simulated', () => {
    assert.ok(Math.abs(trueLimit('single-queue', 40, SLO) - (40 - Math.log(100) / 0.3)) < 1e-12);
    const slow = trueLimit('slow-degradation', 40, SLO);
    assert.ok(Math.abs(poissonAtLeast(41, slow) - 0.01) < 1e-6, String(slow));
    // A Poisson tail check: P(Poisson(10) ≥ 15) = 0.08346.
    assert.ok(Math.abs(poissonAtLeast(15, 10) - 0.083458) < 1e-5);
    // The M/D/1 limit lies above the M/M/1 one (less variable service), below N.
    const queue = trueLimit('queue-then-timeout', 40, SLO, 200_000);
    assert.ok(queue > 30 && queue < 35, String(queue));
    // A bucket N/4 deep refuses 1 % of Poisson arrivals well before N at 40/s, close to N at 400/s.
    const bucket40 = trueLimit('hard-limit', 40, SLO, 200_000);
    const bucket400 = trueLimit('hard-limit', 400, SLO, 200_000);
    assert.ok(bucket40 > 32 && bucket40 < 37, String(bucket40));
    assert.ok(bucket400 > 395 && bucket400 < 405, String(bucket400));
  });
});
