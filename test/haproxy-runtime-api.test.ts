// The Runtime API client against a real HAProxy (Debian's 2.6): weights and states set in one
// session and read back, the stats and info parsers on live output, and the errors a dead
// socket gives.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isPiperError, SeededRandom, SystemClock } from '../src/core/index.ts';
import { RuntimeApiClient } from '../src/haproxy/index.ts';
import { FixtureBackend } from './backend-fixture.ts';
import { haproxyMissing, type RunningHaproxy, startHaproxy } from './haproxy-runtime-fixture.ts';

const skip = haproxyMissing();

describe('Runtime API client on a real HAProxy', { skip }, () => {
  let haproxy: RunningHaproxy;
  const backends = [new FixtureBackend('v1'), new FixtureBackend('h1')];
  const clock = new SystemClock();
  let unix: RuntimeApiClient;

  before(async () => {
    for (const b of backends) await b.listen();
    haproxy = await startHaproxy({
      servers: [
        { name: 'vendor.v1', port: (backends[0] as FixtureBackend).port, weight: 10 },
        { name: 'inhouse.h1', port: (backends[1] as FixtureBackend).port, weight: 10 },
      ],
    });
    unix = new RuntimeApiClient({ address: { path: haproxy.socket }, clock, random: new SeededRandom(1) });
  });
  after(async () => {
    await haproxy?.stop();
    for (const b of backends) await b.close();
  });

  test('applyWeights sets every weight in one session and returns what HAProxy reads back', async () => {
    const applied = await unix.applyWeights('web', { 'vendor.v1': 3, 'inhouse.h1': 256 });
    assert.equal(applied.servers['vendor.v1']?.weight, 3);
    assert.equal(applied.servers['inhouse.h1']?.weight, 256);
    assert.equal(applied.servers['vendor.v1']?.initialWeight, 10);
    const [v1, h1] = await unix.showServersState('web');
    assert.equal(v1?.weight, 3);
    assert.equal(h1?.weight, 256);
    // Traffic follows: with weight 0 nothing goes to vendor.v1.
    await unix.applyWeights('web', { 'vendor.v1': 0, 'inhouse.h1': 10 });
    const before = (backends[0] as FixtureBackend).requests;
    for (let i = 0; i < 6; i++) assert.equal(await fetch(`http://127.0.0.1:${haproxy.port}/`).then((r) => r.text()), 'h1\n');
    assert.equal((backends[0] as FixtureBackend).requests, before);
  });

  test('drain, maint and ready are applied and read back as server states', async () => {
    const drained = await unix.applyStates('web', { 'vendor.v1': 'drain', 'inhouse.h1': 'maint' });
    assert.equal(drained.servers['vendor.v1']?.admin, 'drain');
    assert.equal(drained.servers['inhouse.h1']?.admin, 'maint');
    const stat = await unix.showStat();
    const status = Object.fromEntries(stat.filter((r) => r.type === 'server').map((r) => [r.service, r.fields.status]));
    assert.deepEqual(status, { 'vendor.v1': 'DRAIN', 'inhouse.h1': 'MAINT' });
    const ready = await unix.applyServers('web', { 'vendor.v1': { state: 'ready', weight: 10 }, 'inhouse.h1': { state: 'ready' } });
    assert.equal(ready.servers['vendor.v1']?.admin, 'ready');
    assert.equal(ready.servers['inhouse.h1']?.admin, 'ready');
  });

  test('a server HAProxy does not know is its refusal, with the rest read back', async () => {
    await assert.rejects(unix.applyWeights('web', { 'vendor.v1': 5, 'vendor.nope': 5 }), (err) => {
      assert.ok(isPiperError(err, 'PIPER_HAPROXY_COMMAND_FAILED'));
      assert.equal(err.details.message, 'No such server.');
      assert.equal((err.details.reported as Record<string, { weight: number }>)['vendor.v1']?.weight, 5);
      return true;
    });
    await assert.rejects(unix.showServersState('nope'), (err) => isPiperError(err, 'PIPER_HAPROXY_COMMAND_FAILED'));
  });

  test('the TCP stats socket answers the same, in CSV and typed form', async () => {
    const tcp = new RuntimeApiClient({ address: { host: '127.0.0.1', port: haproxy.statsPort }, clock, random: new SeededRandom(2) });
    const info = await tcp.showInfo();
    assert.equal(info.Name, 'HAProxy');
    const csv = await tcp.showStat();
    const typed = await tcp.showStatTyped();
    assert.deepEqual(
      typed.map((r) => `${r.type} ${r.proxy}/${r.service}`),
      csv.map((r) => `${r.type} ${r.proxy}/${r.service}`),
    );
    assert.ok(csv.some((r) => r.type === 'server' && r.service === 'inhouse.h1'));
  });

  test('a stopped HAProxy is reported unreachable after the bounded retries', async () => {
    const other = await startHaproxy({ servers: [{ name: 'vendor.v1', port: (backends[0] as FixtureBackend).port }] });
    const c = new RuntimeApiClient({ address: { path: other.socket }, clock, random: new SeededRandom(3), attempts: 3, backoffMs: 1 });
    assert.equal((await c.showInfo()).Name, 'HAProxy');
    await other.stop();
    await assert.rejects(c.showInfo(), (err) => isPiperError(err, 'PIPER_HAPROXY_SOCKET_UNREACHABLE') && err.details.attempts === 3);
  });
});
