import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { FixtureBackend } from './backend-fixture.ts';
import { type PiperUpProcess, startPiperUp } from './balancer-process.ts';

const TOKEN = 'data-plane-fencing-admin-token-0123456789';

/** The fields of the answers this test reads. */
interface Answer {
  error: { code: string; message: string };
  routes: { name: string; split: Record<string, number> }[];
  term: number;
  leader: string;
  events: { kind: string; actor: string; data: Record<string, unknown> }[];
}

async function api(up: PiperUpProcess, method: string, path: string, body?: unknown): Promise<{ status: number; body: Answer }> {
  const res = await fetch(`${up.adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: await res.json() };
}

describe('fencing on the data plane, over the admin API of a real balancer', () => {
  const closers: (() => Promise<unknown> | unknown)[] = [];
  after(async () => {
    for (const c of closers.reverse()) await c();
  });

  it('takes a split from term 4, refuses one from term 3 with 409 naming both terms and the leader, and keeps the split', async () => {
    const backends = [new FixtureBackend('v1'), new FixtureBackend('i1')];
    const [vendor, inhouse] = await Promise.all(backends.map((b) => b.listen()));
    for (const b of backends) closers.push(() => b.close());
    const up = await startPiperUp({
      listeners: [{ name: 'public', address: '127.0.0.1', port: 0 }],
      admin: { address: '127.0.0.1', port: 0, token: TOKEN },
      pools: {
        vendor: { backends: [{ name: 'v1', url: vendor }], healthCheck: { enabled: false } },
        inhouse: { backends: [{ name: 'i1', url: inhouse }], healthCheck: { enabled: false } },
      },
      routes: [{ name: 'web', split: { vendor: 100, inhouse: 0 } }],
      dashboard: { enabled: false },
      logging: { level: 'warn' },
    });
    closers.push(() => up.stop());

    const taken = await api(up, 'PUT', '/api/v1/routes/web/split', {
      split: { vendor: 50, inhouse: 50 },
      reason: 'leader b',
      term: 4,
      leader: 'cp-b',
    });
    assert.equal(taken.status, 200, JSON.stringify(taken.body));
    const refused = await api(up, 'PUT', '/api/v1/routes/web/split', {
      split: { vendor: 100, inhouse: 0 },
      reason: 'leader a wakes',
      term: 3,
      leader: 'cp-a',
    });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'PIPER_SPLIT_STALE_TERM');
    assert.match(refused.body.error.message, /term 3.*term 4.*cp-b/);
    const beat = await api(up, 'POST', '/api/v1/routes/web/heartbeat', { term: 3, leader: 'cp-a' });
    assert.equal(beat.status, 409, 'a deposed leader cannot keep the guard alive either');

    const state = await api(up, 'GET', '/api/v1/state');
    assert.deepEqual(state.body.routes.find((r) => r.name === 'web')?.split, { vendor: 50, inhouse: 50 });
    assert.equal(state.body.term, 4);
    assert.equal(state.body.leader, 'cp-b');

    const manual = await api(up, 'PUT', '/api/v1/routes/web/split', { split: { vendor: 100, inhouse: 0 }, reason: 'operator' });
    assert.equal(manual.status, 200, "an operator's split has no term and is taken");
    const announced = await api(up, 'POST', '/api/v1/term', { term: 6, leader: 'cp-c' });
    assert.deepEqual(announced.body, { term: 6, leader: 'cp-c' });
    assert.equal((await api(up, 'POST', '/api/v1/term', { term: 5, leader: 'cp-b' })).status, 409);

    // The refusal is journaled, with the deposed sender as actor.
    let events: Answer['events'] = [];
    for (let i = 0; i < 50 && events.length < 3; i++) {
      events = (await api(up, 'GET', '/api/v1/events?kind=split.refused')).body.events;
      if (events.length < 3) await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(
      events.map((e) => [e.actor, e.data.route, e.data.term, e.data.currentTerm, e.data.leader]),
      [
        ['cp-a', 'web', 3, 4, 'cp-b'],
        ['cp-a', 'web', 3, 4, 'cp-b'],
        ['cp-b', null, 5, 6, 'cp-c'],
      ],
    );
  });
});
