import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecentLatency } from './recent-latency.ts';
import { syntheticWindow } from './synthetic-window.ts';

describe('RecentLatency', () => {
  it("keeps each pool's latencies of the last 30 s of windows and forgets older ones", () => {
    const recent = new RecentLatency();
    for (let second = 0; second < 40; second++) {
      recent.add(syntheticWindow(second * 1000, 'web', { vendor: { requests: 10 }, inhouse: { requests: second < 35 ? 0 : 3 } }));
    }
    // The windows starting at 10 s to 39 s.
    assert.equal(recent.of('vendor').count, 300);
    assert.equal(recent.of('inhouse').count, 15);
    assert.equal(recent.of('unknown').count, 0);
  });
});
