import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { SeededRandom, SystemClock } from '../../src/core/index.ts';
import { findCapacity } from '../../src/loadgen/index.ts';

/**
 * A target of known capacity c / s: c slots, each busy s ms per request. Completion times follow a
 * virtual queue (a request starts when a slot frees, on paper), so a late timer adds latency but
 * never lowers the capacity below c / s.
 */
function fixedCapacityServer(c: number, sMs: number) {
  const freeAt = new Array<number>(c).fill(0);
  return createServer((_req, res) => {
    const now = performance.now();
    let slot = 0;
    for (let i = 1; i < c; i++) if ((freeAt[i] as number) < (freeAt[slot] as number)) slot = i;
    const done = Math.max(now, freeAt[slot] as number) + sMs;
    freeAt[slot] = done;
    setTimeout(() => res.end('ok'), done - now);
  });
}

describe('capacity finder against a target of known capacity', () => {
  // Evenly spaced arrivals: with them this server has no queue at all below c / s, so its limit is
  // exactly 200/s (under Poisson arrivals it is lower; the known-capacity suite covers those).
  it('finds c / s = 4 / 20 ms = 200/s within ±5 % with evenly spaced arrivals', async () => {
    const server = fixedCapacityServer(4, 20);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const result = await findCapacity({
        target: origin,
        requests: [{ name: 'get', method: 'GET', path: '/', headers: {}, body: null, weight: 1 }],
        slo: { p99Ms: 200, maxErrorRatio: 0.01 },
        clock: new SystemClock(),
        random: new SeededRandom(1),
        startRps: 150,
        arrivals: 'constant',
        trialMs: 1500,
        warmupMs: 500,
        precision: 0.03,
        confirmations: 1,
        maxTrials: 20,
      });
      assert.equal(result.reason, 'converged', JSON.stringify(result.trials));
      assert.ok(Math.abs(result.capacityRps - 200) <= 10, `capacity ${result.capacityRps}/s; trials ${JSON.stringify(result.trials)}`);
      // Above capacity the trials failed, and the search saw it as saturation, not as errors.
      assert.ok(result.trials.some((t) => t.verdict === 'fail' && t.rateRps > 200 && t.errorRatio === 0));
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
