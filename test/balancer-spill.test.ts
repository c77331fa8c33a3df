import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { request } from 'undici';
import { Balancer } from '../src/balancer/index.ts';
import { unwrapConfig, validateConfig } from '../src/config/index.ts';
import { SeededRandom, SystemClock, silentLogger } from '../src/core/index.ts';
import type { TelemetryWindow } from '../src/telemetry/index.ts';
import { FixtureBackend } from './backend-fixture.ts';

/** A balancer in this process on real sockets, with `pools` and one route `web` over them. */
async function startBalancer(pools: Record<string, unknown>, route: Record<string, unknown>): Promise<{ balancer: Balancer; url: string }> {
  const config = unwrapConfig(
    validateConfig({
      listeners: [{ name: 'public', address: '127.0.0.1', port: 0 }],
      pools,
      routes: [{ name: 'web', ...route }],
      logging: { level: 'warn' },
    }),
  );
  const balancer = new Balancer({ config, clock: new SystemClock(), random: new SeededRandom(7), logger: silentLogger() });
  const [address] = await balancer.listen(0);
  return { balancer, url: `http://127.0.0.1:${(address as { port: number }).port}` };
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await request(url);
  return { status: res.statusCode, body: await res.body.text() };
}

/** Sums a pool's counts over the windows that close within `ms` from now. */
async function poolTotals(
  balancer: Balancer,
  pool: string,
  ms: number,
): Promise<{ requests: number; failed: number; shed: number; spilled: number }> {
  const totals = { requests: 0, failed: 0, shed: 0, spilled: 0 };
  const add = (w: TelemetryWindow): void => {
    const p = w.pools[pool];
    if (p === undefined) return;
    totals.requests += p.requests;
    totals.failed += p.failed;
    totals.shed += p.shed;
    totals.spilled += p.spilled ?? 0;
  };
  for (const w of balancer.telemetry.recent()) add(w);
  const stop = balancer.telemetry.onWindow(add);
  await new Promise((r) => setTimeout(r, ms));
  stop();
  return totals;
}

describe('balancer: a target pool that sheds spills to the route failover pool', () => {
  const closers: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const c of closers.reverse()) await c();
  });

  /**
   * Backends `target` and `source` (answering after `targetMs` / `sourceMs`; 0: at once, without
   * health checks), pools with the given admissions, and route `web` all on the target with the
   * source as its failover.
   */
  async function spillRig(o: { targetMs: number; sourceMs: number; target: unknown; source?: unknown }) {
    const target = new FixtureBackend('target', 'slow');
    const source = new FixtureBackend('source', o.sourceMs > 0 ? 'slow' : 'ok');
    target.slowMs = o.targetMs;
    source.slowMs = o.sourceMs;
    const [t, s] = await Promise.all([target.listen(), source.listen()]);
    closers.push(
      () => target.close(),
      () => source.close(),
    );
    const noChecks = { enabled: false };
    const { balancer, url } = await startBalancer(
      {
        source: { backends: [{ name: 's1', url: s }], healthCheck: noChecks, ...(o.source === undefined ? {} : { admission: o.source }) },
        target: { backends: [{ name: 't1', url: t }], healthCheck: noChecks, admission: o.target },
      },
      { split: { source: 0, target: 100 }, failover: ['source'] },
    );
    closers.push(() => balancer.close(0));
    return { balancer, url, target, source };
  }

  it('answers the requests over the target limit from the source (200, no 503) and counts them as the target spilled', async () => {
    // One request at a time, one waiting for at most 50 ms: the rest is refused at once.
    const { balancer, url, target } = await spillRig({
      targetMs: 400,
      sourceMs: 0,
      target: { adaptive: false, initialLimit: 1, queueSize: 1, queueTimeout: '50ms' },
    });

    const answers = await Promise.all(Array.from({ length: 8 }, () => get(`${url}/`)));
    assert.deepEqual(
      answers.map((a) => a.status),
      Array(8).fill(200),
      'no client hears 503 while the source has room',
    );
    const byTarget = answers.filter((a) => a.body === 'target\n').length;
    assert.equal(byTarget, 1, 'the target answers what its limit admits');
    assert.equal(answers.filter((a) => a.body === 'source\n').length, 7, 'the source answers the rest');
    assert.equal(target.maxActive, 1, 'the target never sees more than its limit');

    // The windows close each second: the one holding these requests closes within ~1 s.
    const targetTotals = await poolTotals(balancer, 'target', 1_300);
    assert.equal(targetTotals.spilled, 7, "every refusal is the target's spill");
    assert.equal(targetTotals.requests, 1, 'a spilled request is not a target request');
    assert.equal(targetTotals.failed, 0);
    assert.equal(targetTotals.shed, 0);
    const sourceTotals = await poolTotals(balancer, 'source', 0);
    assert.equal(sourceTotals.requests, 7);
    assert.equal(sourceTotals.spilled, 0);
  });

  it('queues a spilled request in the source pool while its slots are busy, and answers it 200 once one frees (issue 24)', async () => {
    const { balancer, url, source } = await spillRig({
      targetMs: 400,
      sourceMs: 150,
      target: { adaptive: false, initialLimit: 1, queueSize: 1, queueTimeout: '50ms' },
      // One slot, busy for 150 ms a request; a queue that waits up to 2 s (and is a burst, not a
      // standing queue, for 1 s).
      source: { adaptive: false, initialLimit: 1, queueSize: 4, queueTimeout: '2s', queueInterval: '1s' },
    });

    // The target runs one and queues one (refused after 50 ms); the other two are refused at once.
    // The first spill takes the source's only slot; the rest find it busy and wait their turn.
    const answers = await Promise.all(Array.from({ length: 4 }, () => get(`${url}/`)));
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200, 200, 200],
      'a spill waits in the source queue as its own requests do: no 503 while a slot frees within the timeout',
    );
    assert.equal(answers.filter((a) => a.body === 'source\n').length, 3);
    assert.equal(source.maxActive, 1, "a spill waits for the source's slot, never past its limit");
    const targetTotals = await poolTotals(balancer, 'target', 1_300);
    assert.equal(targetTotals.spilled, 3);
    assert.equal(targetTotals.shed, 0);
  });

  it('still sheds (503) when the failover pool has no room either', async () => {
    const tight = { adaptive: false, initialLimit: 1, queueSize: 1, queueTimeout: '50ms' };
    const { url, source } = await spillRig({ targetMs: 300, sourceMs: 300, target: tight, source: tight });

    const answers = await Promise.all(Array.from({ length: 6 }, () => get(`${url}/`)));
    const statuses = answers.map((a) => a.status).sort();
    assert.equal(statuses.filter((x) => x === 200).length, 2, 'one answered by each pool');
    assert.equal(statuses.filter((x) => x === 503).length, 4, 'the rest is shed: the source had no room');
    assert.equal(source.maxActive, 1, 'a spill never pushes the source past its own limit');
  });
});
