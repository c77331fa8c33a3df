import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { defaultConfig } from '../config/index.ts';
import { createControlApp } from '../control-api/index.ts';
import { ManualClock, silentLogger } from '../core/index.ts';
import { Journal } from '../journal/index.ts';
import { recordCapacityResult } from './capacity-record.ts';
import { InMemoryDataPlane } from '../data-plane/index.ts';
import { MigrationController } from './migration-controller.ts';
import { rolloutApi } from './rollout-api.ts';
import { rolloutApiSpec } from './rollout-api-spec.ts';
import { RolloutClient } from './rollout-client.ts';
import { syntheticWindow } from './synthetic-window.ts';

describe('rollout API', () => {
  const clock = new ManualClock();
  const journal = Journal.open({ path: ':memory:', clock });
  const dp = new InMemoryDataPlane(clock, { web: { vendor: 100 }, api: { vendor: 100 } }, ['vendor', 'inhouse']);
  const controller = new MigrationController({
    dataPlane: dp,
    journal,
    clock,
    migration: { ...defaultConfig().migration, stepDuration: 60_000 },
  });
  let api: FastifyInstance;
  let server: Server;
  let base: string;
  let client: RolloutClient;

  async function post(path: string, body: unknown, type = 'application/json'): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': type },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  before(async () => {
    await controller.start();
    api = await createControlApp({ logger: silentLogger(), plugins: [rolloutApi({ controller })] });
    server = createServer((req, res) => api.routing(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    client = new RolloutClient({ apiUrl: base, clock });
    dp.push(syntheticWindow(clock.now() - 1000, 'web', { vendor: { requests: 500 } }));
    await controller.idle();
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await controller.close();
    dp.close();
    journal.close();
  });

  it('answers 409 with the gate figures when the target has no certified capacity', async () => {
    const r = await post('/api/v1/migrations', { route: 'web', to: 'inhouse', stepDuration: '2s' });
    assert.equal(r.status, 409);
    assert.equal((r.json.error as { code: string }).code, 'PIPER_ROLLOUT_GATE_REFUSED');
    assert.equal((r.json.gate as { reason: string; projectedRps: number }).reason, 'no_capacity_result');
    assert.equal((r.json.gate as { projectedRps: number }).projectedRps, 500);
    rolloutApiSpec.routes.start.schema.response[409].parse(r.json);
    await assert.rejects(client.start({ route: 'web', to: 'inhouse' }), (err: Error & { code?: string; details?: { gate?: unknown } }) => {
      assert.equal(err.code, 'PIPER_ROLLOUT_GATE_REFUSED');
      assert.ok(err.details?.gate);
      return true;
    });
  });

  it('starts, shows, pauses, resumes, promotes and aborts a migration', async () => {
    // Recorded as the control plane records one: with the pool's membership it sees.
    journal.append(
      recordCapacityResult(
        {
          kind: 'capacity.result',
          source: 'loadgen',
          subject: 'inhouse',
          data: { pool: 'inhouse', capacityRps: 2000, certifiedAt: clock.now(), slo: { p99Ms: 200, maxErrorRatio: 0.001 } },
        },
        dp.snapshot(),
        clock.now(),
      ),
    );
    const started = await client.start({ route: 'web', to: 'inhouse', stepDuration: '2s', actor: 'monica' });
    assert.equal(started.targetPercent, 1);
    assert.equal(started.plan.stepDurationMs, 2000);
    const one = await client.get(started.id);
    assert.deepEqual(
      one.events.map((e) => e.kind),
      ['migration.started', 'migration.step'],
    );
    // The evidence comes with the detail: the gate at the start and at the first step.
    assert.deepEqual(
      one.gates.map((g) => [g.occasion, g.gate.passed]),
      [
        ['start', true],
        ['step', true],
      ],
    );
    assert.deepEqual(one.decisions, []);
    assert.equal((await client.list())[0]?.id, started.id);
    assert.equal((await client.action(started.id, 'pause', 'monica', 'coffee')).phase, 'paused');
    assert.equal((await client.action(started.id, 'resume', 'monica', 'back')).phase, 'running');
    assert.equal((await client.promote(started.id, false, 'monica')).targetPercent, 5);
    const aborted = await client.action(started.id, 'abort', 'monica', 'enough');
    assert.equal(aborted.phase, 'aborted');
    const r = await post(`/api/v1/migrations/${started.id}/pause`, {});
    assert.equal(r.status, 409);
    assert.equal((r.json.error as { code: string }).code, 'PIPER_ROLLOUT_INVALID_TRANSITION');
  });

  it('lowers the headroom below migration.headroom only with a reason, journaled with who in migration.started', async () => {
    journal.append(
      recordCapacityResult(
        {
          kind: 'capacity.result',
          source: 'loadgen',
          subject: 'inhouse',
          data: { pool: 'inhouse', capacityRps: 2000, certifiedAt: clock.now(), slo: { p99Ms: 200, maxErrorRatio: 0.001 } },
        },
        dp.snapshot(),
        clock.now(),
      ),
    );
    const startedEvents = (): number => journal.query({ kinds: ['migration.started'], limit: 1000 }).length;
    const before = startedEvents();
    const silent = await post('/api/v1/migrations', { route: 'web', to: 'inhouse', headroom: 1.5 });
    assert.equal(silent.status, 400);
    assert.equal((silent.json.error as { code: string }).code, 'PIPER_ROLLOUT_BAD_REQUEST');
    assert.match((silent.json.error as { message: string }).message, /headroom 1\.5 is below migration\.headroom 2: .*overrideHeadroom/);
    const idle = await post('/api/v1/migrations', { route: 'web', to: 'inhouse', headroom: 2, overrideHeadroom: 'just in case' });
    assert.equal(idle.status, 400, 'a reason with nothing lowered is no override to record');
    assert.equal(startedEvents(), before, 'nothing started');

    const reason = 'certified at 3x the peak last week; the vendor contract ends tonight';
    const lowered = await client.start({ route: 'web', to: 'inhouse', headroom: 1.5, overrideHeadroom: reason, actor: 'gilfoyle' });
    assert.equal(lowered.plan.headroom, 1.5);
    const override = { reason, actor: 'gilfoyle', configured: 2, headroom: 1.5 };
    assert.deepEqual({ ...lowered.headroomOverride, at: undefined }, { ...override, at: undefined });
    const event = journal.query({ kinds: ['migration.started'], limit: 1000 }).at(-1);
    assert.equal(event?.actor, 'gilfoyle');
    assert.deepEqual({ ...(event?.data.headroomOverride as object), at: undefined }, { ...override, at: undefined });
    await client.action(lowered.id, 'abort', 'gilfoyle', 'done');

    // Raising it needs no reason, and records no override.
    const raised = await client.start({ route: 'web', to: 'inhouse', headroom: 3, actor: 'gilfoyle' });
    assert.equal(raised.plan.headroom, 3);
    assert.equal(raised.headroomOverride, null);
    await client.action(raised.id, 'abort', 'gilfoyle', 'done');
  });

  it('answers in the shapes its spec declares, and names the field a body gets wrong (without a port)', async () => {
    const { routes } = rolloutApiSpec;
    const list = await api.inject({ method: 'GET', url: '/api/v1/migrations' });
    routes.list.schema.response[200].parse(list.json());
    const id = (list.json() as { migrations: { id: string }[] }).migrations[0]?.id ?? '';
    routes.get.schema.response[200].parse((await api.inject({ method: 'GET', url: `/api/v1/migrations/${id}` })).json());
    const steps = await api.inject({ method: 'POST', url: '/api/v1/migrations', payload: { route: 'web', to: 'inhouse', steps: 'all' } });
    assert.equal(steps.statusCode, 400);
    assert.equal(steps.json().error.code, 'PIPER_ROLLOUT_BAD_REQUEST');
    assert.match(steps.json().error.message, /^steps: /);
    const extra = await api.inject({ method: 'POST', url: `/api/v1/migrations/${id}/pause`, payload: { why: 'x' } });
    assert.match(extra.json().error.message, /^why: /);
    const get = await api.inject({ method: 'GET', url: `/api/v1/migrations/${id}/abort` });
    assert.equal(get.statusCode, 405);
    assert.equal(get.headers.allow, 'POST');
  });

  it('refuses malformed requests with 400 and a code, and unknown ids with 404', async () => {
    const cases: [string, unknown, string?][] = [
      ['/api/v1/migrations', { route: 'web' }],
      ['/api/v1/migrations', { route: 'web', to: 'inhouse', surprise: 1 }],
      ['/api/v1/migrations', { route: 'web', to: 'inhouse', stepDuration: 'soon' }],
      ['/api/v1/migrations', { route: 'web', to: 'inhouse', steps: [5, 1, 100] }],
      ['/api/v1/migrations', '{not json'],
      ['/api/v1/migrations', { route: 'web', to: 'inhouse' }, 'text/plain'],
    ];
    for (const [path, body, type] of cases) {
      const r = await post(path, body, type);
      assert.ok(r.status === 400 || r.status === 415, `${JSON.stringify(body)} → ${r.status}`);
      assert.match((r.json.error as { code: string }).code, /^PIPER_/);
    }
    const missing = await fetch(`${base}/api/v1/migrations/404`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'PIPER_ROLLOUT_NOT_FOUND');
    const wrong = await fetch(`${base}/api/v1/migrations`, { method: 'DELETE' });
    assert.equal(wrong.status, 405);
    await wrong.body?.cancel();
  });
});
