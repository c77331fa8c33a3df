import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { isPiperError, SystemClock } from '../src/core/index.ts';
import { HttpDataPlane } from '../src/data-plane/index.ts';
import { FixtureBackend } from './backend-fixture.ts';
import { type PiperUpProcess, startPiperUp } from './balancer-process.ts';

const TOKEN = 'http-data-plane-admin-token-0123456789';

/** What a stream's `next()` settled with: its error, or none. */
async function settle(next: Promise<IteratorResult<unknown>>): Promise<{ error: unknown }> {
  try {
    await next;
    return { error: undefined };
  } catch (error) {
    return { error };
  }
}

describe('HttpDataPlane: a window stream that cannot reach its balancer', () => {
  const closers: (() => Promise<unknown> | unknown)[] = [];
  after(async () => {
    for (const c of closers.reverse()) await c();
  });

  it('a window stream cut by the balancer dying, and one opened after, fail with PIPER_ROLLOUT_DATA_PLANE_UNREACHABLE, not a bare "terminated" or "fetch failed"', async () => {
    const backend = new FixtureBackend('v1');
    const url = await backend.listen();
    closers.push(() => backend.close());
    const up: PiperUpProcess = await startPiperUp({
      listeners: [{ name: 'public', address: '127.0.0.1', port: 0 }],
      admin: { address: '127.0.0.1', port: 0, token: TOKEN },
      pools: { vendor: { backends: [{ name: 'v1', url }], healthCheck: { enabled: false } } },
      routes: [{ name: 'web', split: { vendor: 1 } }],
      dashboard: { enabled: false },
      logging: { level: 'warn' },
    });
    closers.push(() => up.stop());
    const dp = await HttpDataPlane.connect({ adminUrl: up.adminUrl, token: TOKEN, clock: new SystemClock(), pollMs: 60_000 });
    closers.push(() => dp.close());
    const stream = dp.windows()[Symbol.asyncIterator]();
    // One window proves the stream is open before the balancer goes.
    assert.equal((await stream.next()).done, false);
    up.child.kill('SIGKILL');
    await up.stop();

    const cut = await settle(stream.next());
    assert.ok(isPiperError(cut.error), `the open stream: a PiperError, got ${String(cut.error)}`);
    assert.equal(cut.error.code, 'PIPER_ROLLOUT_DATA_PLANE_UNREACHABLE');
    assert.equal(cut.error.retryable, true);

    const reopened = await settle(dp.windows()[Symbol.asyncIterator]().next());
    assert.ok(isPiperError(reopened.error), `a new stream: a PiperError, got ${String(reopened.error)}`);
    assert.equal(reopened.error.code, 'PIPER_ROLLOUT_DATA_PLANE_UNREACHABLE');
    assert.equal(reopened.error.retryable, true);
  });
});

describe('HttpDataPlane.connectOrWait: waits for what may pass, fails on what will not', () => {
  /** An admin API that answers every request with `status` and a piper error body. */
  async function answering(status: number): Promise<{ url: string; close: () => Promise<void> }> {
    const server = createServer((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'PIPER_BALANCER_INTERNAL', message: 'not now' } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }

  it('a balancer answering 503 (retryable) is waited for: connected, with the refusal as lastError', async () => {
    const api = await answering(503);
    try {
      const dp = await HttpDataPlane.connectOrWait({ adminUrl: api.url, token: TOKEN, clock: new SystemClock(), pollMs: 60_000 });
      dp.close();
      assert.equal(dp.lastError?.code, 'PIPER_ROLLOUT_DATA_PLANE_REFUSED');
      assert.equal(dp.lastError?.retryable, true);
    } finally {
      await api.close();
    }
  });

  it('a balancer refusing the token (401, not retryable) fails at once', async () => {
    const api = await answering(401);
    try {
      await assert.rejects(
        HttpDataPlane.connectOrWait({ adminUrl: api.url, token: TOKEN, clock: new SystemClock(), pollMs: 60_000 }),
        (err) => isPiperError(err, 'PIPER_ROLLOUT_DATA_PLANE_REFUSED') && !err.retryable,
      );
    } finally {
      await api.close();
    }
  });
});
