import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { SeededRandom, SystemClock } from '../../src/core/index.ts';
import { constantPlan, type LoadResult, runLoad } from '../../src/loadgen/index.ts';

/**
 * Answers at once, except during [stallAtMs, stallAtMs + 1 s) of every 10 s cycle (counted from
 * its creation), when it holds every answer until the stall ends: a 1 s freeze every 10 s.
 */
function stallingServer(stallAtMs: number): { server: Server; close: () => Promise<void> } {
  const start = performance.now();
  const held: ServerResponse[] = [];
  let release: NodeJS.Timeout | undefined;
  const server = createServer((_req, res) => {
    const phase = (performance.now() - start) % 10_000;
    if (phase < stallAtMs || phase >= stallAtMs + 1000) {
      res.end('ok');
      return;
    }
    held.push(res);
    release ??= setTimeout(
      () => {
        release = undefined;
        for (const r of held.splice(0)) r.end('ok');
      },
      stallAtMs + 1000 - phase,
    );
  });
  return {
    server,
    close: async () => {
      clearTimeout(release);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function load(stallAtMs: number, durationMs: number, connections: number): Promise<LoadResult> {
  const { server, close } = stallingServer(stallAtMs);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    return await runLoad({
      target: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      requests: [{ name: 'get', method: 'GET', path: '/', headers: {}, body: null, weight: 1 }],
      model: { kind: 'open', plan: constantPlan(200, durationMs) },
      clock: new SystemClock(),
      random: new SeededRandom(1),
      connections,
      timeoutMs: 5000,
    });
  } finally {
    await close();
  }
}

describe('latency without coordinated omission', () => {
  it('reports p99 ≈ 900 ms (± 10 %) for a server that freezes 1 s in every 10 s', async () => {
    // One whole cycle: whatever its phase, a 10 s window holds 1 s of stall, so 10 % of requests
    // wait uniformly 0–1 s and the true p99 is 0.9 s (ANCHORS §2.1). Connections enough for every
    // request held in the stall, so the generator adds no queue of its own.
    const r = await load(5000, 10_000, 512);
    assert.equal(r.bookkeepingHolds, true);
    assert.equal(r.counts.completed, 2000);
    assert.ok(r.latency.p99 >= 810 && r.latency.p99 <= 990, `p99 from intended send ${r.latency.p99} ms, expected 900 ± 10 %`);
    assert.ok(r.latency.p50 < 100, `p50 ${r.latency.p50} ms: nine requests in ten are not stalled`);
  });

  it('shows the contrast: service time (actual send) hides the stall that latency from intended send reports', async () => {
    // Four connections, as a closed-loop tool would have: during the stall the other requests
    // queue in the client, so an actual-send timer misses their wait. The run covers one stall.
    const r = await load(1000, 3000, 4);
    assert.equal(r.bookkeepingHolds, true);
    assert.ok(r.latency.p99 > 800, `latency p99 ${r.latency.p99} ms`);
    assert.ok(r.service.p99 < r.latency.p99 / 3, `service-time p99 ${r.service.p99} ms vs latency p99 ${r.latency.p99} ms`);
    assert.ok(r.service.max > 500, 'the requests on the four stalled connections did see the stall');
  });
});
