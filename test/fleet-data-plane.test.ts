import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { isPiperError, SystemClock } from '../src/core/index.ts';
import { type ConnectedDataPlanes, connectDataPlanes, type DataPlaneEvent, type FleetDataPlane } from '../src/data-plane/index.ts';
import { mergeWindows, type TelemetryWindow } from '../src/telemetry/index.ts';
import { FixtureBackend } from './backend-fixture.ts';
import { killHard, type PiperUpProcess, startPiperUp } from './balancer-process.ts';

const TOKEN = 'fleet-data-plane-admin-token-0123456789';

/** A piper.yaml with route `web` all on `vendor`. */
function config(backends: { vendor: string; inhouse: string }, more: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    listeners: [{ name: 'public', address: '127.0.0.1', port: 0 }],
    admin: { address: '127.0.0.1', port: 0, token: TOKEN },
    pools: {
      vendor: { backends: [{ name: 'v1', url: backends.vendor }], healthCheck: { enabled: false } },
      inhouse: { backends: [{ name: 'i1', url: backends.inhouse }], healthCheck: { enabled: false } },
    },
    routes: [{ name: 'web', split: { vendor: 100, inhouse: 0 } }],
    dashboard: { enabled: false },
    logging: { level: 'error' },
    ...more,
  };
}

/** `piper up --role data`; `adminPort` to come back where it was. */
async function member(backends: { vendor: string; inhouse: string }, adminPort = 0): Promise<PiperUpProcess> {
  return startPiperUp(config(backends), ['--role', 'data', '--admin-port', String(adminPort)]);
}

async function splitOf(up: PiperUpProcess): Promise<Record<string, number> | undefined> {
  const res = await fetch(`${up.adminUrl}/api/v1/state`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const state = (await res.json()) as { routes: { name: string; split: Record<string, number> }[] };
  return state.routes.find((r) => r.name === 'web')?.split;
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a fleet of two piper up --role data processes, driven as one data plane', () => {
  const closers: (() => Promise<unknown> | unknown)[] = [];
  after(async () => {
    for (const c of closers.reverse()) await c();
  });

  it('a split reaches both with their acks; with one member down it fails naming it and lands once it is back; windows sum both', async () => {
    const fixtures = [new FixtureBackend('vendor-1'), new FixtureBackend('inhouse-1')];
    const [vendor, inhouse] = (await Promise.all(fixtures.map((b) => b.listen()))) as [string, string];
    for (const b of fixtures) closers.push(() => b.close());
    const a = await member({ vendor, inhouse });
    closers.push(() => a.stop());
    let b = await member({ vendor, inhouse });
    closers.push(() => b.stop());
    const bAdminPort = Number(new URL(b.adminUrl).port);

    const connected: ConnectedDataPlanes = await connectDataPlanes(
      [
        { name: 'edge-a', kind: 'remote', admin: a.adminUrl, token: TOKEN },
        { name: 'edge-b', kind: 'remote', admin: b.adminUrl, token: TOKEN },
      ],
      { clock: new SystemClock(), merge: mergeWindows, retryMs: 300 },
    );
    closers.push(() => connected.close());
    const fleet = connected.fleet as FleetDataPlane;
    assert.ok(fleet);
    const events: DataPlaneEvent[] = [];
    connected.onEvent((e) => events.push(e));

    // Windows: 7 requests through edge-a and 5 through edge-b add up in the merged windows.
    const merged: TelemetryWindow[] = [];
    const offWindows = fleet.onWindow((w) => merged.push(w));
    closers.push(offWindows);
    await waitFor('a first merged window', () => (merged.length > 0 ? true : undefined));
    for (let i = 0; i < 7; i++) await (await fetch(a.publicUrl)).text();
    for (let i = 0; i < 5; i++) await (await fetch(b.publicUrl)).text();
    const served = () => merged.reduce((n, w) => n + (w.routes.web?.requests ?? 0), 0);
    await waitFor('12 requests in the merged windows', () => (served() >= 12 ? true : undefined));
    assert.equal(served(), 12);
    assert.ok(
      merged.some((w) => (w.routes.web?.requests ?? 0) > 0 && w.complete !== false),
      'windows with traffic were merged from both members',
    );

    // Both take a split, each acknowledging it.
    await fleet.setSplit('web', { vendor: 50, inhouse: 50 }, 'migration 1: step 1', { term: 3, leader: 'cp-a', actor: 'rollout' });
    assert.deepEqual(await splitOf(a), { vendor: 50, inhouse: 50 });
    assert.deepEqual(await splitOf(b), { vendor: 50, inhouse: 50 });
    assert.deepEqual(
      Object.entries(fleet.lastAcks('web') ?? {}).map(([name, ack]) => [name, ack.ok]),
      [
        ['edge-a', true],
        ['edge-b', true],
      ],
    );
    const first = events.find((e) => e.kind === 'split.acknowledged');
    assert.equal(first?.kind === 'split.acknowledged' && first.data.complete, true);
    assert.equal(first?.kind === 'split.acknowledged' && first.data.term, 3);
    const view = fleet.snapshot();
    assert.equal(view.term, 3);
    assert.deepEqual(view.routes.find((r) => r.name === 'web')?.members?.['edge-b']?.split, { vendor: 50, inhouse: 50 });

    // edge-b goes away: the rollback is incomplete and names it.
    await killHard(b);
    await assert.rejects(
      fleet.setSplit('web', { vendor: 80, inhouse: 20 }, 'migration 1: rolled back', { term: 3, leader: 'cp-a', actor: 'rollout' }),
      (err) => {
        assert.ok(isPiperError(err, 'PIPER_FLEET_SPLIT_INCOMPLETE'), String(err));
        assert.equal(err.retryable, true);
        assert.match(err.message, /edge-b/);
        assert.doesNotMatch(err.message, /edge-a/);
        const members = err.details.members as Record<string, { ok: boolean }>;
        assert.equal(members['edge-a']?.ok, true);
        assert.equal(members['edge-b']?.ok, false);
        return true;
      },
    );
    assert.deepEqual(await splitOf(a), { vendor: 80, inhouse: 20 });
    const down = await waitFor('edge-b marked unreachable', () => {
      const m = fleet.snapshot().members?.find((x) => x.name === 'edge-b');
      return m?.reachable === false ? m : undefined;
    });
    assert.ok(down.error);

    // It comes back on the same admin port (with its config's split): the retried rollback lands.
    b = await member({ vendor, inhouse }, bAdminPort);
    closers.push(() => b.stop());
    await waitFor('the rollback on edge-b', async () => {
      const s = await splitOf(b);
      return s?.vendor === 80 ? s : undefined;
    });
    await waitFor('edge-b acknowledged', () => (fleet.lastAcks('web')?.['edge-b']?.ok ? true : undefined));
    const last = events.filter((e) => e.kind === 'split.acknowledged').at(-1);
    assert.ok(last?.kind === 'split.acknowledged');
    assert.equal(last.data.complete, true);
    assert.deepEqual(last.data.split, { vendor: 80, inhouse: 20 });
  });

  it('piper up with dataPlanes steers its own data plane and a remote one as a fleet, shown at GET /api/v1/fleet', async () => {
    const fixtures = [new FixtureBackend('vendor-1'), new FixtureBackend('inhouse-1')];
    const [vendor, inhouse] = (await Promise.all(fixtures.map((b) => b.listen()))) as [string, string];
    for (const b of fixtures) closers.push(() => b.close());
    const edge = await member({ vendor, inhouse });
    closers.push(() => edge.stop());
    const control = await startPiperUp(
      config(
        { vendor, inhouse },
        {
          dataPlanes: [
            { name: 'here', kind: 'local' },
            { name: 'edge', kind: 'remote', admin: edge.adminUrl, token: TOKEN },
          ],
        },
      ),
    );
    closers.push(() => control.stop());
    const res = await fetch(`${control.adminUrl}/api/v1/fleet`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.status, 200);
    const fleet = (await res.json()) as {
      members: { name: string; reachable: boolean }[];
      routes: { name: string; members: Record<string, unknown> }[];
    };
    assert.deepEqual(
      fleet.members.map((m) => [m.name, m.reachable]),
      [
        ['here', true],
        ['edge', true],
      ],
    );
    assert.deepEqual(Object.keys(fleet.routes.find((r) => r.name === 'web')?.members ?? {}), ['here', 'edge']);
  });
});
