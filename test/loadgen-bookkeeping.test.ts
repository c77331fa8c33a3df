import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SeededRandom, SystemClock } from '../src/core/index.ts';
import { constantPlan, type LoadResult, type RequestSpec, runLoad } from '../src/loadgen/index.ts';
import { LatencyHistogram } from '../src/telemetry/index.ts';

const get: RequestSpec[] = [{ name: 'get', method: 'GET', path: '/', headers: {}, body: null, weight: 1 }];

function balanced(r: LoadResult): void {
  const c = r.counts;
  assert.equal(c.scheduled, c.completed + c.failed + c.timedOut + c.unsent, JSON.stringify(c));
  assert.equal(r.bookkeepingHolds, true);
  assert.equal(c.sent, c.scheduled - c.unsent);
}

describe('loadgen bookkeeping over real sockets', () => {
  let server: Server;
  let origin: string;
  const hung: ServerResponse[] = [];
  let n = 0;

  before(async () => {
    // Every third request hangs (until the test ends), every fifth gets a 500, the rest 200.
    server = createServer((_req, res) => {
      n++;
      if (n % 3 === 0) hung.push(res);
      else if (n % 5 === 0) res.writeHead(500).end();
      else res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    for (const res of hung) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('balances exactly under timeouts, 5xx and the in-flight cap', async () => {
    const r = await runLoad({
      target: origin,
      requests: get,
      model: { kind: 'open', plan: constantPlan(200, 1000) },
      clock: new SystemClock(),
      random: new SeededRandom(1),
      connections: 64,
      maxInFlight: 20,
      timeoutMs: 300,
    });
    balanced(r);
    assert.equal(r.counts.scheduled, 200);
    assert.ok(r.counts.timedOut > 0, 'hung requests must time out');
    assert.ok(r.counts.unsent > 0, 'hung requests fill the cap of 20, so some arrivals go unsent');
    assert.ok((r.counts.statuses['5xx'] ?? 0) > 0 && r.counts.completed > 0);
    assert.equal(LatencyHistogram.decode(r.histograms.latency).count, r.counts.completed + (r.counts.statuses['5xx'] ?? 0));
    assert.equal(LatencyHistogram.decode(r.histograms.completedLatency).count, r.counts.completed, 'completed latency: 2xx/3xx only');
  });

  it('balances exactly when every connection is refused', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const r = await runLoad({
      target: `http://127.0.0.1:${port}`,
      requests: get,
      model: { kind: 'open', plan: constantPlan(100, 500) },
      clock: new SystemClock(),
      random: new SeededRandom(1),
      timeoutMs: 2000,
    });
    balanced(r);
    assert.equal(r.counts.scheduled, 50);
    assert.equal(r.counts.failed, 50);
    assert.equal(r.counts.errors.connect, 50);
  });

  it('merges worker threads: same totals, histograms merged, bookkeeping exact', async () => {
    const r = await runLoad({
      target: origin,
      requests: get,
      model: { kind: 'open', plan: constantPlan(150, 1000) },
      clock: new SystemClock(),
      random: new SeededRandom(2),
      workers: 2,
      // Long enough that only the hung requests time out, even on a loaded machine.
      timeoutMs: 1500,
    });
    balanced(r);
    assert.equal(r.workers, 2);
    assert.equal(r.counts.scheduled, 150);
    assert.equal(r.counts.timedOut, 50, 'every third request hangs: 50 of 150 time out');
    assert.equal(r.latency.count, 100);
  });
});
