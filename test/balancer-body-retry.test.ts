import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { request } from 'undici';
import { Balancer } from '../src/balancer/index.ts';
import { unwrapConfig, validateConfig } from '../src/config/index.ts';
import { SeededRandom, SystemClock, silentLogger } from '../src/core/index.ts';
import { FixtureBackend } from './backend-fixture.ts';

describe('balancer: a request body kept whole is sent again on a retry', () => {
  const closers: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const c of closers.reverse()) await c();
  });

  it('retries PUTs whose body arrived whole on the other backend with the same bytes, and never sends a POST or a streamed body twice', async () => {
    // One backend resets every connection once it read the request; the other answers.
    const reset = new FixtureBackend('reset', 'reset');
    const good = new FixtureBackend('good');
    const [r, g] = await Promise.all([reset.listen(), good.listen()]);
    closers.push(
      () => reset.close(),
      () => good.close(),
    );
    const bodies: string[] = [];
    good.server.on('request', (req) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => bodies.push(Buffer.concat(chunks).toString()));
    });
    const off = { enabled: false };
    const config = unwrapConfig(
      validateConfig({
        listeners: [{ name: 'public', address: '127.0.0.1', port: 0 }],
        pools: {
          web: {
            backends: [
              { name: 'reset', url: r },
              { name: 'good', url: g },
            ],
            healthCheck: off,
            outlierDetection: off,
          },
        },
        routes: [{ name: 'web', split: { web: 1 }, retries: { attempts: 1, minRetryConcurrency: 10 } }],
      }),
    );
    const balancer = new Balancer({ config, clock: new SystemClock(), random: new SeededRandom(5), logger: silentLogger() });
    const [address] = await balancer.listen(0);
    closers.push(() => balancer.close(0));
    const url = `http://127.0.0.1:${(address as { port: number }).port}`;
    const send = async (method: string, body: string): Promise<number> => {
      const res = await request(`${url}/item`, { method, body });
      await res.body.dump();
      return res.statusCode;
    };

    const puts: number[] = [];
    for (let i = 0; i < 20; i++) puts.push(await send('PUT', `put-${i}`));
    assert.deepEqual(puts, Array(20).fill(200), 'every PUT answered: those the reset backend took were retried');
    assert.ok(reset.requests > 0, 'the reset backend was picked');
    assert.deepEqual(bodies.sort(), Array.from({ length: 20 }, (_, i) => `put-${i}`).sort(), 'the good backend got each body whole, once');

    const posts: number[] = [];
    for (let i = 0; i < 20; i++) posts.push(await send('POST', `post-${i}`));
    assert.ok(posts.includes(502), 'a POST the reset backend took is answered 502, not sent again');

    // Over requestBody.buffer (64 KiB): it streams to its first backend and cannot be sent again.
    const big: number[] = [];
    for (let i = 0; i < 20; i++) big.push(await send('PUT', 'b'.repeat(100 * 1024)));
    assert.ok(big.includes(502), 'a streamed PUT body is not sent again');
  });
});
