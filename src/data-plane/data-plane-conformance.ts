import assert from 'node:assert/strict';
import { isPiperError } from '../core/index.ts';
import type { TelemetryWindow, WindowStats } from '../telemetry/index.ts';
import { CONFORMANCE_TOPOLOGY, type DataPlaneFactory, type DataPlaneUnderTest, type TrafficTally } from './conformance-factory.ts';
import type { DataPlane, RouteState, Split } from './data-plane.ts';

/** One behaviour of the port; register it with node:test (`it(c.name, { skip: c.skip }, c.run)`). */
export interface DataPlaneConformanceCase {
  name: string;
  /** Why the case does not apply to this implementation, or false. */
  skip: string | false;
  run(): Promise<void>;
}

// Traffic shares. The balancer picks a pool per request at random by weight, so at split 3:1 the
// requests pool `b` gets of N are X ~ Binomial(N, 0.25). For N = 2000 (mean 500, σ ≈ 19.4) the
// exact sum of the binomial pmf gives P(|X − 500| > 120) = 6.8e-10: a tolerance of 120 requests
// (6 percentage points) fails a correct implementation less than once in a billion runs, and
// still catches a split applied per backend instead of per pool (the pool's weight on each server,
// 3, 3, 1: b gets 1/7 ≈ 14 %; weights ignored: 1/3 ≈ 33 %). Every other traffic check is exact (a
// pool at weight 0, a drained or down backend gets none). A deterministic implementation (weighted
// round robin) lands within a request or two.
const SHARE_REQUESTS = 2000;
const SHARE_TOLERANCE = 120;
const SAMPLE = 100;
/** A split reported back may be rounded (HAProxy's weights are 0–256 per server): half a percentage point. */
const SPLIT_SHARE_TOLERANCE = 0.005;
const STEP_MS = 100;
/** The dead-man timeout on the wall clock: short, for the suite waits it out. */
const REAL_DEAD_MAN_MS = 1000;
/** Ticks an `eventually` waits at most: 15 s of wall clock for a real data plane. */
const MAX_STEPS = 150;

/**
 * The behaviour every `DataPlane` must have (STYLE.md rule 12): the in-process balancer, the
 * remote one over the admin API, the in-memory double and HAProxy each run it. Every case starts
 * a fresh data plane from `factory` on {@link CONFORMANCE_TOPOLOGY} and closes it at the end.
 */
export function dataPlaneConformance(factory: DataPlaneFactory): DataPlaneConformanceCase[] {
  const run = (body: (h: DataPlaneUnderTest) => Promise<void>) => async (): Promise<void> => {
    const h = await factory.start(CONFORMANCE_TOPOLOGY);
    try {
      await body(h);
    } finally {
      await h.close();
    }
  };
  return [
    {
      name: `a split set is the split traffic sees: 3:1 within ${SHARE_TOLERANCE / (SHARE_REQUESTS / 100)} points over ${SHARE_REQUESTS} requests, and a pool at weight 0 gets none`,
      skip: false,
      run: run(splitIsObserved),
    },
    {
      name: 'the snapshot shows a drained backend as draining, and traffic leaves it',
      skip: false,
      run: run(drainIsReflected),
    },
    {
      name: 'the snapshot shows a stopped backend as down on its own, and traffic goes around it',
      skip: false,
      run: run(healthIsReflected),
    },
    {
      name: 'one window per second, whose route, pool and backend counts are the traffic sent',
      skip: false,
      run: run(windowsCountTraffic),
    },
    {
      name: 'the dead-man guard holds while heartbeats come and reverts to the safe split after the silence',
      skip: false,
      run: run(deadManReverts),
    },
    {
      name: 'cut off from its port, the data plane fails setSplit and its window stream with a stable retryable code, and reverts on its own',
      skip: factory.noPartition ?? false,
      run: run(unreachable),
    },
  ];
}

async function splitIsObserved(h: DataPlaneUnderTest): Promise<void> {
  const dp = h.dataPlane;
  await dp.setSplit('web', { a: 3, b: 1 }, 'conformance: 3 to 1', { actor: 'conformance' });
  assertShares(routeOf(dp).split, { a: 3, b: 1 }, 'the split the snapshot shows once setSplit resolved');
  const t = await h.send('web', SHARE_REQUESTS);
  assert.equal(t.failed, 0, `no request may fail: ${JSON.stringify(t)}`);
  const pools = byPool(t);
  const onB = pools.b ?? 0;
  assert.equal((pools.a ?? 0) + onB, SHARE_REQUESTS, `only pools a and b serve: ${JSON.stringify(t.served)}`);
  assert.ok(
    Math.abs(onB - SHARE_REQUESTS / 4) <= SHARE_TOLERANCE,
    `pool b served ${onB} of ${SHARE_REQUESTS} at split 3:1; expected ${SHARE_REQUESTS / 4} ± ${SHARE_TOLERANCE}`,
  );

  await dp.setSplit('web', { a: 0, b: 1 }, 'conformance: all on b', { actor: 'conformance' });
  assertShares(routeOf(dp).split, { a: 0, b: 1 }, 'the split after the second setSplit');
  const after = await h.send('web', SAMPLE);
  assert.deepEqual(byPool(after), { b: SAMPLE }, 'a pool at weight 0 gets no request');
  assert.equal(after.failed, 0, `no request may fail: ${JSON.stringify(after)}`);
}

async function drainIsReflected(h: DataPlaneUnderTest): Promise<void> {
  const dp = h.dataPlane;
  assert.equal(poolOf(dp, 'a').backends.length, 2);
  await h.drain('a', 'a1');
  await eventually(h, 'a1 shown as draining', () => backendOf(dp, 'a', 'a1').health === 'draining');
  assert.equal(poolOf(dp, 'a').healthyBackends, 1, 'a draining backend is not counted as healthy');
  assert.notEqual(backendOf(dp, 'a', 'a2').health, 'draining');
  const t = await h.send('web', SAMPLE);
  assert.equal(t.failed, 0, `no request may fail: ${JSON.stringify(t)}`);
  assert.deepEqual(t.served, { 'a/a2': SAMPLE }, 'no new request goes to a drained backend');
}

async function healthIsReflected(h: DataPlaneUnderTest): Promise<void> {
  const dp = h.dataPlane;
  await dp.setSplit('web', { a: 1, b: 1 }, 'conformance: half on b', { actor: 'conformance' });
  assert.ok(['healthy', 'unknown'].includes(backendOf(dp, 'b', 'b1').health), 'b1 starts up (or not yet checked)');
  await h.stopBackend('b', 'b1');
  await eventually(h, 'b1 shown as down after failing its checks', () => isDown(backendOf(dp, 'b', 'b1').health));
  await eventually(h, 'pool b shown with no healthy backend', () => poolOf(dp, 'b').healthyBackends === 0);
  // The health of a1 and a2 did not change with it.
  for (const name of ['a1', 'a2']) assert.ok(!isDown(backendOf(dp, 'a', name).health), `${name} still up`);
  const t = await h.send('web', SAMPLE);
  assert.equal(t.failed, 0, `traffic goes around a down pool: ${JSON.stringify(t)}`);
  assert.deepEqual(byPool(t), { a: SAMPLE }, 'the split pool with a live backend takes the whole route');
}

async function windowsCountTraffic(h: DataPlaneUnderTest): Promise<void> {
  const dp = h.dataPlane;
  await dp.setSplit('web', { a: 1, b: 1 }, 'conformance: half on b', { actor: 'conformance' });
  const reader = readWindows(dp);
  try {
    // Reading from a window that closed after the stream opened: none of the traffic is missed.
    await eventually(h, 'a first window', () => reader.windows.length > 0 || reader.ended);
    assert.equal(reader.error, undefined, `the window stream failed: ${String(reader.error)}`);
    const before = reader.windows.length;
    const n = 200;
    const t = await h.send('web', n);
    assert.equal(t.failed, 0, `no request may fail: ${JSON.stringify(t)}`);
    if (h.time === 'manual' && dp.inProgress !== undefined) {
      // The clock has not moved: the open window holds it all before it closes.
      const open = (): number => Object.values(dp.inProgress?.().pools ?? {}).reduce((sum, c) => sum + c.requests, 0);
      await eventually(h, 'the open window to count the traffic', () => open() === n, 0);
    }
    const counted = (): TelemetryWindow[] => reader.windows.slice(before);
    await eventually(h, `windows counting ${n} requests`, () => sum(counted(), (w) => w.routes.web) >= n || reader.ended);
    assert.equal(reader.error, undefined, `the window stream failed: ${String(reader.error)}`);
    const windows = counted();
    assert.equal(
      sum(windows, (w) => w.routes.web),
      n,
      'the route counts each request once',
    );
    assert.equal(
      windows.reduce((s, w) => s + (w.routes.web?.status['2xx'] ?? 0), 0),
      n,
      'as answered 2xx',
    );
    assert.equal(
      windows.reduce((s, w) => s + (w.routes.web?.failed ?? 0), 0),
      0,
      'and none failed',
    );
    assert.deepEqual(counts(windows, 'pools'), byPool(t), 'each pool counts the requests it served');
    assert.deepEqual(counts(windows, 'backends'), t.served, 'each backend (`pool/backend`) counts the requests it served');
    const all = reader.windows;
    for (const [i, w] of all.entries()) {
      assert.equal(w.start % 1000, 0, `window ${i} starts on a second`);
      if (h.time === 'manual') assert.equal(w.durationMs, 1000, `window ${i} lasts one second`);
      // On the wall clock a blocked event loop may make one longer window, never an overlap or a gap.
      else assert.ok(w.durationMs >= 1000 && w.durationMs % 1000 === 0, `window ${i} lasts whole seconds`);
      const next = all[i + 1];
      if (next !== undefined) assert.equal(next.start, w.start + w.durationMs, `window ${i + 1} follows window ${i}`);
    }
  } finally {
    reader.stop();
  }
}

async function deadManReverts(h: DataPlaneUnderTest): Promise<void> {
  const dp = h.dataPlane;
  const safeSplit = { a: 1, b: 0 };
  const arm = (timeoutMs: number, reason: string) =>
    dp.setSplit('web', { a: 1, b: 1 }, reason, { actor: 'conformance', deadMan: { safeSplit, timeoutMs } });
  // On the wall clock a heartbeat's trip may take any time on a busy machine: it is checked under a
  // guard that cannot fire meanwhile, and the silence under a short one that nothing feeds.
  const timeoutMs = h.time === 'manual' ? 10_000 : 60_000;
  assert.equal(routeOf(dp).splitOrigin.kind, 'config', 'a data plane starts on the split of its config');
  await arm(timeoutMs, 'conformance: a step under the guard');
  const armed = routeOf(dp);
  assert.equal(armed.splitOrigin.kind, 'api', 'a split set is one set through the port');
  assertShares(armed.split, { a: 1, b: 1 }, 'the split set with the guard');
  assert.ok(armed.deadMan !== null, 'the guard shows as armed');
  assertShares(armed.deadMan.safeSplit, safeSplit, 'the guard’s safe split');
  assert.equal(armed.deadMan.timeoutMs, timeoutMs);

  if (h.time === 'manual') {
    // Heartbeats hold it off well past the timeout...
    for (let i = 0; i < 3; i++) {
      await h.tick(timeoutMs - 1000);
      dp.heartbeat('web');
    }
    await h.tick(timeoutMs - 1);
    assertShares(routeOf(dp).split, { a: 1, b: 1 }, 'held by heartbeats, one millisecond before the timeout');
    assert.notEqual(routeOf(dp).deadMan, null);
    // ...and the silence of one whole timeout after the last one reverts it.
    await h.tick(1);
  } else {
    const armedAt = armed.deadMan.lastHeartbeat;
    dp.heartbeat('web');
    await eventually(h, 'the heartbeat to reach the data plane', () => (routeOf(dp).deadMan?.lastHeartbeat ?? armedAt) > armedAt);
    await arm(REAL_DEAD_MAN_MS, 'conformance: a step under a short guard');
    assert.equal(routeOf(dp).deadMan?.timeoutMs, REAL_DEAD_MAN_MS, 're-arming replaces the timeout');
  }
  await eventually(h, 'the dead-man revert', () => routeOf(dp).deadMan === null);
  assertShares(routeOf(dp).split, safeSplit, 'reverted to the safe split');
  assert.equal(routeOf(dp).splitOrigin.kind, 'dead-man', 'the snapshot says the guard put it there');
  const t = await h.send('web', SAMPLE);
  assert.equal(t.failed, 0, `no request may fail: ${JSON.stringify(t)}`);
  assert.deepEqual(byPool(t), { a: SAMPLE }, 'traffic follows the safe split');
}

async function unreachable(h: DataPlaneUnderTest): Promise<void> {
  const dp = h.dataPlane;
  const partition = h.partition;
  assert.ok(partition, 'a data plane the port can be cut off from offers `partition` (or its factory says `noPartition`)');
  const timeoutMs = h.time === 'manual' ? 10_000 : REAL_DEAD_MAN_MS;
  const safeSplit = { a: 1, b: 0 };
  const reader = readWindows(dp);
  try {
    await eventually(h, 'a first window', () => reader.windows.length > 0 || reader.ended);
    assert.equal(reader.error, undefined, `the window stream failed before the cut: ${String(reader.error)}`);
    await dp.setSplit('web', { a: 1, b: 1 }, 'conformance: a step under the guard', {
      actor: 'conformance',
      deadMan: { safeSplit, timeoutMs },
    });
    await partition.cut();

    const refused = await dp.setSplit('web', { a: 1, b: 3 }, 'conformance: while cut off', { actor: 'conformance' }).then(
      () => undefined,
      (err: unknown) => err,
    );
    assertCode(refused, partition.code, 'setSplit while cut off');
    assert.doesNotThrow(() => dp.heartbeat('web'), 'a heartbeat is fire-and-forget: it never throws');
    // The port still answers with the state it last knew: the controller reads it synchronously.
    routeOf(dp);
    await eventually(h, 'the open window stream to fail', () => reader.ended);
    assertCode(reader.error, partition.code, 'the window stream open at the cut');
    const reopened = settle(dp.windows()[Symbol.asyncIterator]().next());
    await eventually(h, 'a new window stream to fail', () => reopened.done);
    assertCode(reopened.error, partition.code, 'a window stream opened while cut off');

    // The data plane itself carries on: no heartbeat reaches it, so its guard reverts the route.
    if (h.time === 'manual') await h.tick(timeoutMs);
    await partition.heal();
    await eventually(h, 'the revert, seen once reachable again', () => routeOf(dp).deadMan === null);
    assertShares(routeOf(dp).split, safeSplit, 'reverted to the safe split while cut off');
    await dp.setSplit('web', { a: 1, b: 1 }, 'conformance: reachable again', { actor: 'conformance' });
    assertShares(routeOf(dp).split, { a: 1, b: 1 }, 'a split set after healing');
  } finally {
    reader.stop();
  }
}

function assertCode(err: unknown, code: string, what: string): void {
  assert.ok(isPiperError(err), `${what}: a PiperError, got ${String(err)}`);
  assert.equal(err.code, code, `${what}: the stable code`);
  assert.equal(err.retryable, true, `${what}: retryable (the data plane may come back)`);
}

/** Waits until `done` holds, ticking `stepMs` between looks, for at most {@link MAX_STEPS} ticks. */
async function eventually(h: DataPlaneUnderTest, what: string, done: () => boolean, stepMs = STEP_MS): Promise<void> {
  for (let i = 0; i < MAX_STEPS; i++) {
    if (done()) return;
    await h.tick(stepMs);
  }
  if (!done()) assert.fail(`gave up waiting for ${what} (${MAX_STEPS} ticks of ${stepMs} ms)`);
}

/** Reads a window stream in the background, keeping what it yields and how it ended. */
function readWindows(dp: DataPlane): { windows: TelemetryWindow[]; ended: boolean; error: unknown; stop(): void } {
  const abort = new AbortController();
  const state = {
    windows: [] as TelemetryWindow[],
    ended: false,
    error: undefined as unknown,
    stop: () => abort.abort(),
  };
  void (async () => {
    try {
      for await (const w of dp.windows(abort.signal)) state.windows.push(w);
    } catch (err) {
      state.error = err;
    } finally {
      state.ended = true;
    }
  })();
  return state;
}

function settle<T>(p: Promise<T>): { done: boolean; error: unknown } {
  const out = { done: false, error: undefined as unknown };
  p.then(
    () => {
      out.done = true;
    },
    (err: unknown) => {
      out.error = err;
      out.done = true;
    },
  );
  return out;
}

function routeOf(dp: DataPlane, name = 'web'): RouteState {
  const route = dp.snapshot().routes.find((r) => r.name === name);
  assert.ok(route, `the snapshot lists route ${name}`);
  return route;
}

function poolOf(dp: DataPlane, name: string) {
  const pool = dp.snapshot().pools.find((p) => p.name === name);
  assert.ok(pool, `the snapshot lists pool ${name}`);
  return pool;
}

function backendOf(dp: DataPlane, pool: string, name: string) {
  const backend = poolOf(dp, pool).backends.find((b) => b.name === name);
  assert.ok(backend, `the snapshot lists backend ${pool}/${name}`);
  return backend;
}

function isDown(health: string): boolean {
  return health === 'unhealthy' || health === 'ejected';
}

/** Each pool's share of a split (weights are proportional). */
function shares(split: Split): Record<string, number> {
  const total = Object.values(split).reduce((s, w) => s + w, 0);
  const out: Record<string, number> = {};
  for (const [pool, w] of Object.entries(split)) if (w > 0) out[pool] = w / total;
  return out;
}

function assertShares(actual: Split, expected: Split, what: string): void {
  const a = shares(actual);
  const e = shares(expected);
  assert.deepEqual(Object.keys(a).sort(), Object.keys(e).sort(), `${what}: pools with weight (${JSON.stringify(actual)})`);
  for (const [pool, share] of Object.entries(e)) {
    assert.ok(Math.abs((a[pool] ?? 0) - share) <= SPLIT_SHARE_TOLERANCE, `${what}: ${pool}'s share (${JSON.stringify(actual)})`);
  }
}

function byPool(t: TrafficTally): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, n] of Object.entries(t.served)) {
    const pool = key.slice(0, key.indexOf('/'));
    out[pool] = (out[pool] ?? 0) + n;
  }
  return out;
}

function sum(windows: readonly TelemetryWindow[], pick: (w: TelemetryWindow) => WindowStats | undefined): number {
  return windows.reduce((s, w) => s + (pick(w)?.requests ?? 0), 0);
}

/** Requests per pool or per `pool/backend` over the windows, leaving out those with none. */
function counts(windows: readonly TelemetryWindow[], level: 'pools' | 'backends'): Record<string, number> {
  const out: Record<string, number> = {};
  for (const w of windows) {
    for (const [name, stats] of Object.entries(w[level])) if (stats.requests > 0) out[name] = (out[name] ?? 0) + stats.requests;
  }
  return out;
}
