import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { request } from 'undici';
import { Balancer } from '../src/balancer/index.ts';
import { unwrapConfig, validateConfig } from '../src/config/index.ts';
import { SeededRandom, SystemClock, silentLogger } from '../src/core/index.ts';
import { FixtureBackend } from './backend-fixture.ts';

/** The rescue's deadline (ROLLBACK_DEADLINE_MS), as docs/balancer.md promises it. */
const DEADLINE_MS = 750;

interface Answer {
  status: number;
  body: string;
  /** performance.now() when the answer ended. */
  at: number;
}

async function send(url: string, method = 'GET', body?: string | Readable): Promise<Answer> {
  const res = await request(url, { method, ...(body !== undefined ? { body } : {}) });
  const text = await res.body.text();
  return { status: res.statusCode, body: text, at: performance.now() };
}

/** What a backend received: each request's method, framing headers and body, in arrival order. */
function recordBodies(backend: FixtureBackend): { method: string; headers: IncomingHttpHeaders; body: string }[] {
  const seen: { method: string; headers: IncomingHttpHeaders; body: string }[] = [];
  backend.server.on('request', (req) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => seen.push({ method: req.method ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() }));
  });
  return seen;
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/**
 * A balancer in this process on real sockets: route `web` all on `target`, a backend that never
 * answers, with `source` beside it at weight 0 (a migration at 100 %), upstream header timeout 10 s.
 */
async function migration(closers: (() => Promise<unknown>)[], retries: Record<string, unknown> = {}, more: Record<string, unknown> = {}) {
  const target = new FixtureBackend('target', 'hang');
  const source = new FixtureBackend('source');
  const [t, s] = await Promise.all([target.listen(), source.listen()]);
  closers.push(
    () => target.close(),
    () => source.close(),
  );
  const noChecks = { enabled: false };
  const config = unwrapConfig(
    validateConfig({
      listeners: [{ name: 'public', address: '127.0.0.1', port: 0 }],
      timeouts: { upstreamHeaders: '10s' },
      pools: {
        source: { backends: [{ name: 's1', url: s }], healthCheck: noChecks },
        target: { backends: [{ name: 't1', url: t }], healthCheck: noChecks },
      },
      routes: [{ name: 'web', split: { source: 0, target: 100 }, failover: ['source'], retries }],
      ...more,
    }),
  );
  const balancer = new Balancer({ config, clock: new SystemClock(), random: new SeededRandom(3), logger: silentLogger() });
  const [address] = await balancer.listen(0);
  closers.push(() => balancer.close(0));
  return { target, source, balancer, url: `http://127.0.0.1:${(address as { port: number }).port}` };
}

describe('balancer: a rollback rescues the requests in flight to the rolled-back pool', () => {
  const closers: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const c of closers.reverse()) await c();
  });

  it('sends the stalled GETs to the source at once (200 within 1 s of the split, not 504 after 10 s) and answers a stalled POST 504 by the deadline', async () => {
    const { target, balancer, url } = await migration(closers);
    const gets = Array.from({ length: 3 }, () => send(`${url}/item`));
    const post = send(`${url}/order`, 'POST', 'x=1');
    await until('4 requests stalled on the target', () => target.active === 4);

    const splitAt = performance.now();
    await balancer.setSplit('web', { source: 100, target: 0 }, 'rollback: stall', { actor: 'rollout' });
    const answers = await Promise.all(gets);
    for (const a of answers) {
      assert.equal(a.status, 200);
      assert.equal(a.body, 'source\n', 'answered by the source');
      assert.ok(a.at - splitAt < 1_000, `answered ${Math.round(a.at - splitAt)} ms after the split`);
    }
    const p = await post;
    assert.equal(p.status, 504, 'a POST is never sent twice: it is answered by the deadline');
    const waited = p.at - splitAt;
    assert.ok(waited >= DEADLINE_MS - 50 && waited < 1_000, `the POST was answered ${Math.round(waited)} ms after the split`);
    await until('the target connections dropped', () => target.active === 0);

    // The windows count the rescues as retries that saved their request, on the source.
    await new Promise((r) => setTimeout(r, 1_100));
    const windows = balancer.telemetry.recent();
    const sum = (f: (w: (typeof windows)[number]) => number): number => windows.reduce((n, w) => n + f(w), 0);
    assert.equal(
      sum((w) => w.pools.source?.savedByRetry ?? 0),
      3,
    );
    assert.equal(
      sum((w) => w.pools.target?.errors.timeout ?? 0),
      1,
      'the cut POST is the target timing out',
    );
  });

  it('rescues within the retry budget: with one retry slot, the stalled GETs go to the source one after another as each rescue ends, all before the deadline', async () => {
    // One retry in flight at a time.
    const { target, source, balancer, url } = await migration(closers, { budget: 0, minRetryConcurrency: 1 });
    const gets = Array.from({ length: 3 }, () => send(`${url}/item`));
    await until('3 GETs stalled on the target', () => target.active === 3);

    const splitAt = performance.now();
    await balancer.setSplit('web', { source: 100, target: 0 }, 'rollback: stall', { actor: 'rollout' });
    for (const a of await Promise.all(gets)) {
      assert.equal(a.status, 200);
      assert.equal(a.body, 'source\n');
      assert.ok(a.at - splitAt < DEADLINE_MS - 50, `answered ${Math.round(a.at - splitAt)} ms after the split`);
    }
    assert.equal(source.maxActive, 1, 'never two retries in flight: the budget held');
  });

  it('past the retry budget, a stalled GET still waiting at the deadline is tried again there, and answered 504 if the budget is still spent', async () => {
    const { target, source, balancer, url } = await migration(closers, { budget: 0, minRetryConcurrency: 1 });
    // The one rescue the budget allows holds its slot past the deadline.
    source.mode = 'slow';
    source.slowMs = DEADLINE_MS + 500;
    const gets = Array.from({ length: 3 }, () => send(`${url}/item`));
    await until('3 GETs stalled on the target', () => target.active === 3);

    const splitAt = performance.now();
    await balancer.setSplit('web', { source: 100, target: 0 }, 'rollback: stall', { actor: 'rollout' });
    const answers = (await Promise.all(gets)).map((a) => ({ status: a.status, ms: a.at - splitAt })).sort((a, b) => a.ms - b.ms);
    assert.deepEqual(
      answers.map((a) => a.status),
      [504, 504, 200],
    );
    for (const a of answers.slice(0, 2))
      assert.ok(a.ms >= DEADLINE_MS - 50 && a.ms < 1_000, `answered at the deadline (${Math.round(a.ms)} ms)`);
    assert.equal(source.maxActive, 1);
  });

  it('replays an idempotent request whose whole body was buffered (a PUT, a chunked GET) on the source at once, byte for byte in the same framing, and answers a PUT whose body streamed 504 by the deadline', async () => {
    const { target, source, balancer, url } = await migration(closers);
    const received = recordBodies(source);
    const put = send(`${url}/item/1`, 'PUT', 'p'.repeat(1000));
    // No length: chunked, upstream as well.
    const get = send(`${url}/search`, 'GET', Readable.from([Buffer.from('{"q":'), Buffer.from('"piper"}')]));
    // Over `requestBody.buffer` (64 KiB): admitted before it all arrived, it streams to the target once.
    const streamed = send(`${url}/item/2`, 'PUT', 's'.repeat(100 * 1024));
    await until('3 requests stalled on the target', () => target.active === 3);

    const splitAt = performance.now();
    await balancer.setSplit('web', { source: 100, target: 0 }, 'rollback: stall', { actor: 'rollout' });
    for (const a of await Promise.all([put, get])) {
      assert.equal(a.status, 200);
      assert.equal(a.body, 'source\n');
      assert.ok(a.at - splitAt < DEADLINE_MS - 50, `replayed at once (${Math.round(a.at - splitAt)} ms after the split)`);
    }
    const s = await streamed;
    assert.equal(s.status, 504, 'a streamed body is not kept: the deadline answers it');
    assert.ok(s.at - splitAt >= DEADLINE_MS - 50, `answered ${Math.round(s.at - splitAt)} ms after the split`);

    const byMethod = new Map(received.map((r) => [r.method, r]));
    assert.equal(received.length, 2, 'the source got the two kept bodies, not the streamed one');
    assert.equal(byMethod.get('PUT')?.body, 'p'.repeat(1000));
    assert.equal(byMethod.get('PUT')?.headers['content-length'], '1000');
    assert.equal(byMethod.get('GET')?.body, '{"q":"piper"}');
    assert.equal(byMethod.get('GET')?.headers['transfer-encoding'], 'chunked');
  });

  it('keeps bodies within requestBody.bufferTotal: a PUT that would take it over streams once and gets the deadline answer, and an ended request gives its bytes back', async () => {
    const { target, balancer, url } = await migration(closers, {}, { requestBody: { bufferTotal: 500 } });
    const rollback = async (bodies: number): Promise<{ status: number; ms: number }[]> => {
      await balancer.setSplit('web', { source: 0, target: 100 }, 'step', { actor: 'rollout' });
      const puts = Array.from({ length: bodies }, (_, i) => send(`${url}/item/${i}`, 'PUT', 'p'.repeat(400)));
      await until(`${bodies} PUTs stalled on the target`, () => target.active === bodies);
      const splitAt = performance.now();
      await balancer.setSplit('web', { source: 100, target: 0 }, 'rollback: stall', { actor: 'rollout' });
      return (await Promise.all(puts)).map((a) => ({ status: a.status, ms: a.at - splitAt })).sort((a, b) => a.ms - b.ms);
    };
    // 400 bytes kept; the next 400 would make 800 of 500.
    const [kept, streamed] = (await rollback(2)) as [{ status: number; ms: number }, { status: number; ms: number }];
    assert.equal(kept.status, 200);
    assert.ok(kept.ms < DEADLINE_MS - 50, `replayed at once (${Math.round(kept.ms)} ms)`);
    assert.equal(streamed.status, 504);
    assert.ok(streamed.ms >= DEADLINE_MS - 50, `answered at the deadline (${Math.round(streamed.ms)} ms)`);
    await until('the target connections dropped', () => target.active === 0);
    // Both ended: their 400 bytes are back, so a body is kept again.
    const [again] = (await rollback(1)) as [{ status: number; ms: number }];
    assert.equal(again.status, 200);
    assert.ok(again.ms < DEADLINE_MS - 50, `replayed at once (${Math.round(again.ms)} ms)`);
  });

  it('leaves the requests alone when the split only moves weight (no pool drops to 0)', async () => {
    const { target, balancer, url } = await migration(closers);
    const get = send(`${url}/item`);
    await until('the GET stalled on the target', () => target.active === 1);
    await balancer.setSplit('web', { source: 50, target: 50 }, 'step back', { actor: 'rollout' });
    await new Promise((r) => setTimeout(r, DEADLINE_MS + 200));
    assert.equal(target.active, 1, 'still waiting on the target: nothing was rolled back');
    await target.close();
    assert.notEqual((await get).status, 200);
  });
});
