import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AccuracyRow, certifyKnownCapacity } from '../fixtures/known-capacity/certify-known-capacity.ts';
import { KNOWN_CAPACITY_SHAPES } from '../fixtures/known-capacity/known-capacity-server.ts';

/** The finder's settings in CI: short searching trials, one 20 s confirmation. */
export const CI_FINDER = { trialMs: 3000, maxTrialMs: 20_000, warmupMs: 1000, confirmations: 1 } as const;

function describeRow(r: AccuracyRow): string {
  return `${r.shape} ${r.capacityRps}/s: certified ${r.result.capacityRps} vs true ${r.trueRps.toFixed(2)} (${(r.error * 100).toFixed(1)}%), trials ${JSON.stringify(r.result.trials.map((t) => [t.rateRps, t.verdict]))}`;
}

describe('capacity finder against servers of known capacity (Poisson arrivals, p99<300ms, errors<1%)', () => {
  // The four shapes run side by side (each server in its own process; together under 1,600 req/s),
  // at 400/s: the capacity whose search settles fastest (most samples per second).
  it('certifies every shape at 400/s within −5 % / +2 % of its true limit, with an interval around it', async () => {
    const rows = await Promise.all(
      KNOWN_CAPACITY_SHAPES.map((shape, i) => certifyKnownCapacity(shape, 400, { ...CI_FINDER, seed: i + 1 })),
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
