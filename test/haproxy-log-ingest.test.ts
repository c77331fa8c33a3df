// HAProxy's per-request lines, sent by a real HAProxy over UDP in LOG_FORMAT, folded into
// the same windows the Node balancer produces, and checked against what was sent and what
// HAProxy's own counters say. Windows close on a manual clock; the test waits only for the
// datagrams to arrive.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock, SeededRandom } from '../src/core/index.ts';
import { HaproxyTelemetry, type HaproxyTelemetryWindow, RuntimeApiClient } from '../src/haproxy/index.ts';
import { FixtureBackend } from './backend-fixture.ts';
import { haproxyMissing, type RunningHaproxy, startHaproxy } from './haproxy-runtime-fixture.ts';

const skip = haproxyMissing();

/** Resolves when `check()` holds (at most 5 s: datagrams on loopback arrive in microseconds). */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('log ingestion from a real HAProxy', { skip }, () => {
  const clock = new ManualClock(Date.now());
  const v1 = new FixtureBackend('v1');
  const h1 = new FixtureBackend('h1', '5xx');
  let haproxy: RunningHaproxy;
  let telemetry: HaproxyTelemetry;
  let client: RuntimeApiClient;

  before(async () => {
    await v1.listen();
    await h1.listen();
    // Order of a real start: bind the syslog socket first, write its address into haproxy.cfg,
    // then start HAProxy. The stats socket is not there yet, so the first poll fails (attempts: 1).
    let socketPath = '';
    const address = {
      get path() {
        return socketPath;
      },
    };
    client = new RuntimeApiClient({ address, clock, random: new SeededRandom(1), attempts: 1 });
    telemetry = await HaproxyTelemetry.start({ client, clock, poolOf: () => 'vendor' });
    haproxy = await startHaproxy({
      logTarget: telemetry.logTarget,
      servers: [
        { name: 'vendor.v1', port: v1.port },
        { name: 'inhouse.h1', port: h1.port },
      ],
    });
    socketPath = haproxy.socket;
  });
  after(async () => {
    await telemetry?.close();
    await haproxy?.stop();
    await v1.close();
    await h1.close();
  });

  test('every request is one folded line; the window matches what was sent and what show stat counts', async () => {
    const base = `http://127.0.0.1:${haproxy.port}`;
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push(await fetch(`${base}/`).then((r) => r.arrayBuffer().then(() => r.status)));
    assert.deepEqual(statuses.filter((s) => s === 200).length, 10);
    // Every server in maintenance: HAProxy answers 503 itself (<NOSRV>, SC).
    await client.applyStates('web', { 'vendor.v1': 'maint', 'inhouse.h1': 'maint' });
    for (let i = 0; i < 2; i++) statuses.push(await fetch(`${base}/`).then((r) => r.arrayBuffer().then(() => r.status)));
    await until(() => telemetry.counts().folded === 22, '22 folded lines');
    await telemetry.pollNow();
    clock.advance(1000);
    const [w] = telemetry.recent() as [HaproxyTelemetryWindow];

    const web = w.routes.web;
    assert.equal(web?.requests, 22);
    assert.deepEqual(web?.status, { '1xx': 0, '2xx': 10, '3xx': 0, '4xx': 0, '5xx': 12 });
    assert.equal(web?.failed, 12);
    assert.deepEqual(web?.errors, { no_backend: 2 });
    assert.equal(web?.latency.count, 22);
    assert.equal(w.pools.vendor?.requests, 12, "10 answered, and the 2 with no server on the route's largest pool");
    assert.equal(w.pools.inhouse?.requests, 10);
    assert.equal(w.backends['vendor/v1']?.requests, 10);
    assert.deepEqual(w.backends['inhouse/h1']?.status, { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 10 });
    assert.ok((w.routes.web?.bytesOut ?? 0) > 0);
    // Health from show stat: both servers were put in maintenance.
    assert.equal(w.backends['vendor/v1']?.health, 'draining');
    assert.equal(w.pools.inhouse?.healthyBackends, 0);

    // Nothing missing: every line folded, none cut, dropped or lost; HAProxy's own messages
    // (the servers going into maintenance) were counted apart.
    assert.equal(w.logLines.folded, 22);
    assert.equal(w.logLines.truncated + w.logLines.unparsable + w.logLines.unknown + w.logLines.dropped + w.logLines.lost, 0);
    assert.equal(w.logLines.foreign, w.logLines.received - 22);
    assert.equal(w.logLines.complete, true);
    assert.equal(w.complete, true);
    const live = telemetry.live();
    assert.equal(live.failure, null);
    assert.equal(live.state?.requestsTotal, 22, "HAProxy's own request count equals the lines folded");
  });

  test('an unreachable stats socket leaves the live state stale and says why; windows still close, marked incomplete', async () => {
    const dead = new RuntimeApiClient({ address: { path: `${haproxy.dir}/nobody.sock` }, clock, random: new SeededRandom(2), attempts: 1 });
    const t = await HaproxyTelemetry.start({ client: dead, clock });
    try {
      assert.equal(t.live().state, null);
      assert.equal(t.live().failure?.code, 'PIPER_HAPROXY_SOCKET_UNREACHABLE');
      assert.equal(t.pollFailures(), 1);
      const next = t.windows()[Symbol.asyncIterator]().next();
      clock.advance(1000);
      const w = (await next).value as HaproxyTelemetryWindow;
      assert.equal(w.logLines.received, 0);
      assert.equal(w.logLines.complete, true);
      // No line arrived, but HAProxy's drop counter could not be read: an empty window, not a quiet one.
      assert.equal(w.complete, false);
      assert.match(w.incompleteReason ?? '', /dropped lines unread \(stats socket: PIPER_HAPROXY_SOCKET_UNREACHABLE\)/);
      assert.equal(t.recent().length, 1);
    } finally {
      await t.close();
    }
  });
});
