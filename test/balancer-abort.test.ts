import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FixtureBackend } from './backend-fixture.ts';
import { abortingClients } from './balancer-abort-load.ts';
import { type PiperUpProcess, startPiperUp } from './balancer-process.ts';

interface PoolState {
  inFlight: number;
  queued: number;
  backends: { inFlight: number; upstream: { connected: number; running: number; pending: number } }[];
}

describe('piper up: clients aborting mid-body', () => {
  const backend = new FixtureBackend('sink');
  let up: PiperUpProcess;

  before(async () => {
    up = await startPiperUp({
      listeners: [{ name: 'public', port: 0 }],
      admin: { port: 0 },
      pools: { p: { backends: [{ name: 'sink', url: await backend.listen() }], healthCheck: { enabled: false } } },
      routes: [{ name: 'web', split: { p: 1 } }],
    });
  });

  after(async () => {
    await up?.stop();
    await backend.close();
  });

  it('leaves no request in flight and no upstream socket open after 300 clients vanish mid-body', async () => {
    await abortingClients(up.publicUrl, 300, 50);
    let pool: PoolState | undefined;
    for (let i = 0; i < 200; i++) {
      pool = ((await (await fetch(`${up.adminUrl}/api/v1/state`)).json()) as { pools: PoolState[] }).pools[0];
      if (pool?.inFlight === 0 && pool.backends[0]?.upstream.connected === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(pool?.inFlight, 0);
    assert.equal(pool?.queued, 0);
    assert.equal(pool?.backends[0]?.inFlight, 0);
    assert.ok(backend.requests > 0, 'some requests reached the backend before their client left');
    assert.equal(pool?.backends[0]?.upstream.running, 0, 'no upstream request is left running');
    assert.equal(pool?.backends[0]?.upstream.connected, 0, 'every upstream connection of an aborted request was closed');
    assert.equal(pool?.backends[0]?.upstream.pending, 0);
    const res = await fetch(`${up.publicUrl}/after`, { method: 'POST', body: 'x' });
    assert.equal(res.status, 200);
  });
});
