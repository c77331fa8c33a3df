import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AccuracyRow, CI_FINDER, certifyKnownCapacity } from '../fixtures/known-capacity/certify-known-capacity.ts';
import { KNOWN_CAPACITY_SHAPES, type KnownCapacityShape } from '../fixtures/known-capacity/known-capacity-server.ts';

// Latency does not matter to the hard limit, so its rate can be high; the queues settle fastest
// at 150/s (at 400/s a queue near its limit needs λ·T² = 36 s of watching per rate).
const CI_CAPACITY: Record<KnownCapacityShape, number> = {
  'hard-limit': 400,
  'queue-then-timeout': 150,
  'single-queue': 150,
  'slow-degradation': 400,
};

function describeRow(r: AccuracyRow): string {
  return `${r.shape} ${r.capacityRps}/s: certified ${r.result.capacityRps} vs true ${r.trueRps.toFixed(2)} (${(r.error * 100).toFixed(1)}%), trials ${JSON.stringify(r.result.trials.map((t) => [t.rateRps, t.verdict]))}`;
}

describe('capacity finder against servers of known capacity (Poisson arrivals, p99<300ms, errors<1%)', () => {
  // The four shapes run side by side (each server in its own process; together under 1,100 req/s),
  // each at the capacity whose search settled fastest in `npm run bench:capacity`.
  it('certifies every shape within −5 % / +2 % of its true limit, with an interval around it', async () => {
    const rows = await Promise.all(
      KNOWN_CAPACITY_SHAPES.map((shape, i) => certifyKnownCapacity(shape, CI_CAPACITY[shape], { ...CI_FINDER, seed: i + 1 })),
    );
    for (const r of rows) {
      assert.equal(r.result.reason, 'converged', describeRow(r));
      assert.ok(r.error >= -0.05 && r.error <= 0.02, describeRow(r));
      assert.equal(r.result.interval.lowerRps, r.result.capacityRps);
      assert.ok(r.result.interval.upperRps === null || r.result.interval.upperRps > r.result.capacityRps, describeRow(r));
      assert.equal(r.result.arrivals, 'poisson');
    }
  });
});
