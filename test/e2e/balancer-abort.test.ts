import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Balancer } from '../../src/balancer/index.ts';
import { unwrapConfig, validateConfig } from '../../src/config/index.ts';
import { SystemClock, SystemRandom, silentLogger } from '../../src/core/index.ts';
import { FixtureBackend } from '../backend-fixture.ts';
import { abortingClients } from '../balancer-abort-load.ts';

// The balancer runs in this process (on real sockets) so the test can collect garbage and read
// the heap: RSS alone says little, since the allocator keeps freed pages.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('balancer: 10,000 clients aborting mid-body', () => {
  const backend = new FixtureBackend('sink');
  let balancer: Balancer;
  let url: string;

  before(async () => {
    const config = unwrapConfig(
      validateConfig({
        listeners: [{ name: 'public', port: 0 }],
        pools: { p: { backends: [{ name: 'sink', url: await backend.listen() }], healthCheck: { enabled: false } } },
        routes: [{ name: 'web', split: { p: 1 } }],
      }),
    );
    balancer = new Balancer({ config, clock: new SystemClock(), random: new SystemRandom(), logger: silentLogger() });
    url = ((await balancer.listen(0))[0] as { url: string }).url;
  });

  after(async () => {
    await balancer?.close(0);
    await backend.close();
  });

  it('no request stays in flight, no upstream socket stays open, the heap comes back', async () => {
    await abortingClients(url, 1000, 100);
    const warm = heapAfterGc();
    await abortingClients(url, 10_000, 200);
    const settled = (): boolean => {
      const pool = balancer.snapshot().pools[0];
      return pool?.inFlight === 0 && pool.backends[0]?.upstream?.connected === 0;
    };
    for (let i = 0; i < 600 && !settled(); i++) await new Promise((r) => setTimeout(r, 50));
    const pool = balancer.snapshot().pools[0];
    assert.equal(pool?.inFlight, 0);
    assert.equal(pool?.queued, 0);
    assert.equal(pool?.backends[0]?.inFlight, 0);
    assert.equal(pool?.backends[0]?.upstream?.running, 0, 'no upstream request is left running');
    assert.equal(pool?.backends[0]?.upstream?.connected, 0, 'no upstream socket left open');
    assert.equal(pool?.backends[0]?.upstream?.pending, 0);
    const grown = heapAfterGc() - warm;
    // A leak of even 1 KiB per request would show as 10 MB here.
    assert.ok(grown < 4 * 1024 * 1024, `heap grew by ${Math.round(grown / 1024)} KiB after 10,000 aborted requests`);
    assert.equal((await fetch(`${url}/after`)).status, 200);
  });
});
