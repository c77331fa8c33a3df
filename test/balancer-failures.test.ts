import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { FixtureBackend } from './backend-fixture.ts';
import { refusingUrl } from './refusing-port.ts';
import { type PiperUpProcess, startPiperUp } from './balancer-process.ts';

interface StateBackend {
  name: string;
  health: string;
  reason: string | null;
  ejections: number;
}

async function state(
  up: PiperUpProcess,
): Promise<{ routes: { name: string; split: Record<string, number> }[]; pools: { name: string; backends: StateBackend[] }[] }> {
  return (await (await fetch(`${up.adminUrl}/api/v1/state`)).json()) as never;
}

async function backendState(up: PiperUpProcess, pool: string, backend: string): Promise<StateBackend> {
  const s = await state(up);
  return s.pools.find((p) => p.name === pool)?.backends.find((b) => b.name === backend) as StateBackend;
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await request(url);
  return { status: res.statusCode, body: await res.body.text() };
}

async function eventually(what: string, check: () => Promise<boolean>, attempts = 200): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('piper up: failing backends', () => {
  const good = new FixtureBackend('good');
  const hang = new FixtureBackend('hang', 'hang');
  const flaky = new FixtureBackend('flaky', 'hang');
  const spare = new FixtureBackend('spare');
  const a = new FixtureBackend('a');
  const b = new FixtureBackend('b');
  const slow = new FixtureBackend('slow', 'slow');
  const fixtures = [good, hang, flaky, spare, a, b, slow];
  let up: PiperUpProcess;
  const noChecks = { enabled: false };

  // One balancer for all cases (a process start costs seconds on a busy machine); each case
  // has its own route (by path prefix) and pools.
  before(async () => {
    // Slower than the tight pool's queue timeout (100 ms), faster than the upstream headers timeout (300 ms).
    slow.slowMs = 150;
    const [g, h, f, sp, ua, ub, sl] = await Promise.all(fixtures.map((x) => x.listen()));
    up = await startPiperUp({
      listeners: [{ name: 'public', port: 0 }],
      admin: { port: 0 },
      timeouts: { upstreamHeaders: '300ms' },
      pools: {
        refuse: {
          backends: [
            { name: 'good', url: g },
            { name: 'dead', url: await refusingUrl() },
          ],
          healthCheck: noChecks,
        },
        hang: {
          backends: [
            { name: 'good', url: g },
            { name: 'hang', url: h },
          ],
          healthCheck: noChecks,
        },
        checked: {
          backends: [
            { name: 'good', url: g },
            { name: 'flaky', url: f },
          ],
          healthCheck: { interval: '200ms', timeout: '1s', rise: 2, fall: 2 },
          outlierDetection: { enabled: false },
        },
        main: { backends: [{ name: 'm1', url: await refusingUrl() }], healthCheck: noChecks },
        spare: { backends: [{ name: 's1', url: sp }], healthCheck: noChecks },
        a: { backends: [{ name: 'a', url: ua }], healthCheck: noChecks },
        b: { backends: [{ name: 'b', url: ub }], healthCheck: noChecks },
        tight: {
          backends: [{ name: 'slow', url: sl }],
          healthCheck: noChecks,
          admission: { adaptive: false, initialLimit: 2, queueSize: 2, queueTimeout: '100ms' },
        },
      },
      routes: [
        { name: 'refuse', match: { pathPrefix: '/refuse' }, split: { refuse: 1 } },
        { name: 'hang', match: { pathPrefix: '/hang' }, split: { hang: 1 } },
        { name: 'checked', match: { pathPrefix: '/checked' }, split: { checked: 1 } },
        { name: 'with-failover', match: { pathPrefix: '/failover' }, split: { main: 1 }, failover: ['spare'] },
        { name: 'deadman', match: { pathPrefix: '/deadman' }, split: { a: 100, b: 0 } },
        { name: 'tight', match: { pathPrefix: '/tight' }, split: { tight: 1 } },
        { name: 'no-failover', match: { pathPrefix: '/' }, split: { main: 1 } },
      ],
    });
  });

  after(async () => {
    await up?.stop();
    await Promise.all(fixtures.map((x) => x.close()));
  });

  it('takes a refusing backend out within 3 failures; no GET fails meanwhile', async () => {
    for (let i = 0; i < 40; i++) assert.deepEqual(await get(`${up.publicUrl}/refuse/${i}`), { status: 200, body: 'good\n' });
    const dead = await backendState(up, 'refuse', 'dead');
    assert.equal(dead.health, 'ejected');
    assert.match(dead.reason ?? '', /^3 consecutive connect failures/);
    assert.equal(dead.ejections, 1);
    // The refused attempts are hidden from the clients, and counted as requests a retry saved.
    let saved = 0;
    await eventually('the windows of the retried requests', async () => {
      const { windows } = (await (await fetch(`${up.adminUrl}/api/v1/windows`)).json()) as {
        windows: { routes: Record<string, { failed: number; savedByRetry?: number }> }[];
      };
      saved = windows.reduce((sum, w) => sum + (w.routes.refuse?.savedByRetry ?? 0), 0);
      assert.equal(
        windows.reduce((sum, w) => sum + (w.routes.refuse?.failed ?? 0), 0),
        0,
      );
      return saved >= 3;
    });
    assert.equal(saved, 3, 'one saved request per refused connection');
  });

  it('ejects a backend that accepts and hangs after its upstream timeout; GETs are retried elsewhere', async () => {
    for (let i = 0; i < 20; i++) assert.deepEqual(await get(`${up.publicUrl}/hang/${i}`), { status: 200, body: 'good\n' });
    const s = await backendState(up, 'hang', 'hang');
    assert.equal(s.health, 'ejected');
    assert.match(s.reason ?? '', /consecutive gateway errors \(last: timeout\)/);
    assert.ok(hang.requests <= 3, `the hanging backend got ${hang.requests} requests`);
  });

  it('active health checks mark a hanging backend down and a recovered one up', async () => {
    await eventually('flaky down', async () => (await backendState(up, 'checked', 'flaky')).health === 'unhealthy');
    assert.match((await backendState(up, 'checked', 'flaky')).reason ?? '', /health check: timed out after 1000 ms/);
    for (let i = 0; i < 20; i++) assert.equal((await get(`${up.publicUrl}/checked`)).body, 'good\n');
    flaky.mode = 'ok';
    await eventually('flaky up', async () => (await backendState(up, 'checked', 'flaky')).health === 'healthy');
  });

  it('fails over to the failover pool, and answers 503 with a code when every pool is down', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await request(`${up.publicUrl}/n`);
      statuses.push(res.statusCode);
      const text = await res.body.text();
      const body = JSON.parse(text) as { error: { code: string } };
      if (res.statusCode === 503) assert.equal(body.error.code, 'PIPER_BALANCER_NO_HEALTHY_BACKEND');
      else assert.equal(body.error.code, 'PIPER_BALANCER_UPSTREAM_CONNECT');
      // Information disclosure: a public error names no route, pool or backend.
      assert.doesNotMatch(text, /no-failover|main|m1/);
    }
    assert.deepEqual(statuses, [502, 502, 502, 503, 503, 503], 'three connect failures, then the pool is out');
    for (let i = 0; i < 5; i++) assert.deepEqual(await get(`${up.publicUrl}/failover`), { status: 200, body: 'spare\n' });
  });

  it('sheds what exceeds the concurrency limit and its queue with 503 + Retry-After', async () => {
    const answers = await Promise.all(
      Array.from({ length: 12 }, async () => {
        const res = await request(`${up.publicUrl}/tight`);
        const body = await res.body.text();
        return { status: res.statusCode, retryAfter: res.headers['retry-after'], body };
      }),
    );
    const ok = answers.filter((x) => x.status === 200);
    const shed = answers.filter((x) => x.status === 503);
    assert.equal(ok.length + shed.length, 12);
    // Never more than the limit at the backend; what neither fits nor waits (queue of 2, 100 ms) is shed.
    assert.equal(slow.maxActive, 2);
    assert.ok(ok.length >= 2 && shed.length >= 4, `${ok.length} served, ${shed.length} shed`);
    for (const x of shed) {
      assert.equal(x.retryAfter, '1');
      assert.match(x.body, /PIPER_BALANCER_OVERLOADED/);
      assert.doesNotMatch(x.body, /tight/, 'a public 503 names no route or pool');
    }
    const pool = (await state(up)).pools.find((p) => p.name === 'tight') as unknown as { inFlight: number; queued: number };
    assert.equal(pool.inFlight, 0);
    assert.equal(pool.queued, 0);
  });

  it('reverts a split to its safe split when the dead-man heartbeat stops', async () => {
    const route = async () =>
      (await state(up)).routes.find((r) => r.name === 'deadman') as unknown as { split: Record<string, number>; deadMan: unknown };
    const put = await fetch(`${up.adminUrl}/api/v1/routes/deadman/split`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        split: { a: 0, b: 100 },
        reason: 'migration step',
        actor: 'rollout',
        deadMan: { safeSplit: { a: 100, b: 0 }, timeoutMs: 400 },
      }),
    });
    assert.equal(put.status, 200);
    assert.equal(((await put.json()) as { deadMan: { timeoutMs: number } }).deadMan.timeoutMs, 400);
    const hb = await fetch(`${up.adminUrl}/api/v1/routes/deadman/heartbeat`, { method: 'POST' });
    assert.equal(hb.status, 200);
    assert.equal((await get(`${up.publicUrl}/deadman`)).body, 'b\n');
    await eventually('the dead-man revert', async () => (await route()).split.a === 100);
    assert.equal((await get(`${up.publicUrl}/deadman`)).body, 'a\n');
    assert.equal((await route()).deadMan, null);
  });
});

describe('piper up: shutdown', () => {
  it('drains in-flight requests on SIGTERM before exiting', async () => {
    const slow = new FixtureBackend('slow', 'slow');
    slow.slowMs = 500;
    const up = await startPiperUp({
      listeners: [{ name: 'public', port: 0 }],
      admin: { port: 0 },
      pools: { p: { backends: [{ name: 'slow', url: await slow.listen() }], healthCheck: { enabled: false } } },
      routes: [{ name: 'web', split: { p: 1 } }],
    });
    try {
      const inFlight = get(`${up.publicUrl}/slow`);
      await eventually('the request to reach the backend', async () => slow.requests === 1);
      const code = up.stop();
      assert.deepEqual(await inFlight, { status: 200, body: 'slow\n' });
      assert.equal(await code, 0);
    } finally {
      await up.stop();
      await slow.close();
    }
  });
});
