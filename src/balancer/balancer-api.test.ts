import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { unwrapConfig, validateConfig } from '../config/index.ts';
import { createControlApp } from '../control-api/index.ts';
import { ManualClock, SeededRandom, silentLogger } from '../core/index.ts';
import { MetricsRegistry } from '../telemetry/index.ts';
import { balancerApi } from './balancer-api.ts';
import { balancerApiSpec } from './balancer-api-spec.ts';
import { Balancer } from './balancer.ts';

const { routes } = balancerApiSpec;

describe('the balancer API, without a port', () => {
  const clock = new ManualClock();
  const config = unwrapConfig(
    validateConfig({
      pools: {
        vendor: { backends: [{ name: 'v1', url: 'http://127.0.0.1:9001' }], healthCheck: { enabled: false } },
        inhouse: { backends: [{ name: 'i1', url: 'http://127.0.0.1:9011' }], healthCheck: { enabled: false } },
      },
      routes: [{ name: 'web', split: { vendor: 100, inhouse: 0 } }],
    }),
  );
  const balancer = new Balancer({ config, clock, random: new SeededRandom(1), logger: silentLogger(), connect: false });
  const reloads: string[] = [];
  let app: FastifyInstance;

  before(async () => {
    const reload = async (actor: string): Promise<void> => {
      reloads.push(actor);
    };
    app = await createControlApp({
      logger: silentLogger(),
      plugins: [balancerApi({ balancer, clock, registry: new MetricsRegistry(), reload })],
    });
  });
  after(async () => {
    await app.close();
    await balancer.close(0);
  });

  test('every JSON answer has the shape its route declares', async () => {
    const split = await app.inject({
      method: 'PUT',
      url: '/api/v1/routes/web/split',
      payload: { split: { vendor: 90, inhouse: 10 }, reason: 'step 1', actor: 'monica' },
    });
    assert.equal(split.statusCode, 200, split.body);
    assert.deepEqual(routes.setSplit.schema.response[200].parse(split.json()).split, { vendor: 90, inhouse: 10 });
    routes.state.schema.response[200].parse((await app.inject({ method: 'GET', url: '/api/v1/state' })).json());
    routes.windows.schema.response[200].parse((await app.inject({ method: 'GET', url: '/api/v1/windows?since=0' })).json());
    routes.drain.schema.response[200].parse((await app.inject({ method: 'POST', url: '/api/v1/pools/vendor/backends/v1/drain' })).json());
    routes.undrain.schema.response[200].parse(
      (await app.inject({ method: 'POST', url: '/api/v1/pools/vendor/backends/v1/undrain' })).json(),
    );
    routes.heartbeat.schema.response[200].parse((await app.inject({ method: 'POST', url: '/api/v1/routes/web/heartbeat' })).json());
    const reloaded = await app.inject({ method: 'POST', url: '/api/v1/reload', payload: { actor: 'jared' } });
    routes.reload.schema.response[200].parse(reloaded.json());
    assert.deepEqual(reloads, ['jared']);
  });

  test('a body the schema refuses answers 400 PIPER_BALANCER_BAD_API_REQUEST naming the field; the split itself is the balancer’s to judge', async () => {
    const noReason = await app.inject({ method: 'PUT', url: '/api/v1/routes/web/split', payload: { split: { vendor: 100 } } });
    assert.equal(noReason.statusCode, 400);
    assert.equal(noReason.json().error.code, 'PIPER_BALANCER_BAD_API_REQUEST');
    assert.match(noReason.json().error.message, /^reason: /);
    const term = await app.inject({ method: 'POST', url: '/api/v1/routes/web/heartbeat', payload: { term: -1 } });
    assert.match(term.json().error.message, /^term: /);
    const unknownPool = await app.inject({ method: 'PUT', url: '/api/v1/routes/web/split', payload: { split: { nope: 1 }, reason: 'x' } });
    assert.equal(unknownPool.json().error.code, 'PIPER_BALANCER_INVALID_SPLIT');
  });

  test('metrics answer as Prometheus text; a balancer that does not fence has no term to announce', async () => {
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(metrics.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    const term = await app.inject({ method: 'POST', url: '/api/v1/term', payload: { term: 1, leader: 'cp-1' } });
    assert.equal(term.statusCode, 404);
    assert.equal(term.json().error.code, 'PIPER_BALANCER_API_NOT_FOUND');
  });
});
