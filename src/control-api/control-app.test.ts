import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { createLogger, PiperError } from '../core/index.ts';
import { apiPlugin } from './api-plugin.ts';
import { createControlApp } from './control-app.ts';
import { defineApi } from './route-spec.ts';

const spec = defineApi({
  tag: 'Test',
  invalid: { code: 'PIPER_TEST_BAD_REQUEST' },
  methodNotAllowedCode: 'PIPER_TEST_METHOD_NOT_ALLOWED',
  routes: {
    read: {
      method: 'GET',
      url: '/api/v1/things/:id',
      summary: 'one thing',
      schema: { params: z.strictObject({ id: z.string() }), querystring: z.strictObject({ n: z.string().optional() }), response: {} },
    },
    write: {
      method: 'POST',
      url: '/api/v1/things/:id',
      summary: 'changes a thing',
      schema: {
        params: z.strictObject({ id: z.string() }),
        body: z.strictObject({ size: z.number().int(), label: z.string().optional() }).optional(),
        response: {},
      },
      invalid: { code: 'PIPER_TEST_BAD_THING', message: (field, problem) => `thing ${field} ${problem}` },
    },
  },
});

/** What the log was told, to check an internal message stays there. */
const logged: string[] = [];

describe('the control-plane layer', () => {
  let app: FastifyInstance;
  before(async () => {
    const logger = createLogger({ level: 'error', destination: { write: (line: string) => logged.push(line) } });
    app = await createControlApp({
      logger,
      plugins: [
        apiPlugin(spec, {
          read: (req) => {
            if (req.params.id === 'gone')
              throw new PiperError('PIPER_TEST_NOT_FOUND', 'no such thing', { source: 'downstream', details: { status: 404 } });
            if (req.params.id === 'broken') throw new Error('disk /var/lib/piper/x.db is corrupt');
            if (req.params.id === 'closed')
              throw new PiperError('PIPER_TEST_READ_ONLY', 'the file /var/lib/piper/x.db is read-only', {
                source: 'internal',
                details: { status: 503 },
              });
            return { id: req.params.id, n: req.query.n ?? null };
          },
          write: (req) => ({ id: req.params.id, size: req.body?.size ?? null }),
        }),
      ],
    });
  });
  after(() => app.close());

  test('a route answers its JSON with the house content type', async () => {
    const r = await app.inject({ method: 'GET', url: '/api/v1/things/a?n=2' });
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepEqual(r.json(), { id: 'a', n: '2' });
  });

  test('a request failing the schema is 400 with the route code and names the field, or the unknown key', async () => {
    const bad = await app.inject({ method: 'POST', url: '/api/v1/things/a', payload: { size: 'big' } });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'PIPER_TEST_BAD_THING');
    assert.match(bad.json().error.message, /^thing size /);
    const unknown = await app.inject({ method: 'POST', url: '/api/v1/things/a', payload: { size: 1, colour: 'red' } });
    assert.match(unknown.json().error.message, /^thing colour /);
    const query = await app.inject({ method: 'GET', url: '/api/v1/things/a?colour=red' });
    assert.equal(query.statusCode, 400);
    assert.equal(query.json().error.code, 'PIPER_TEST_BAD_REQUEST');
    assert.match(query.json().error.message, /^colour: /);
  });

  test('an optional body may be absent or empty; a present one must be JSON', async () => {
    assert.deepEqual((await app.inject({ method: 'POST', url: '/api/v1/things/a' })).json(), { id: 'a', size: null });
    const empty = await app.inject({
      method: 'POST',
      url: '/api/v1/things/a',
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    assert.equal(empty.statusCode, 200);
    const text = await app.inject({ method: 'POST', url: '/api/v1/things/a', headers: { 'content-type': 'text/plain' }, payload: '{}' });
    assert.equal(text.statusCode, 415);
    assert.equal(text.json().error.code, 'PIPER_CORE_UNSUPPORTED_MEDIA_TYPE');
    const broken = await app.inject({
      method: 'POST',
      url: '/api/v1/things/a',
      headers: { 'content-type': 'application/json' },
      payload: '{no',
    });
    assert.equal(broken.statusCode, 400);
    assert.equal(broken.json().error.code, 'PIPER_CORE_BAD_JSON');
    const big = await app.inject({
      method: 'POST',
      url: '/api/v1/things/a',
      headers: { 'content-type': 'application/json' },
      payload: `{"label":"${'x'.repeat(1024 * 1024)}"}`,
    });
    assert.equal(big.statusCode, 413);
    assert.equal(big.json().error.code, 'PIPER_CORE_BODY_TOO_LARGE');
  });

  test('another method on a known path is 405 with allow; an unknown path is 404', async () => {
    const wrong = await app.inject({ method: 'DELETE', url: '/api/v1/things/a' });
    assert.equal(wrong.statusCode, 405);
    assert.equal(wrong.headers.allow, 'GET, POST');
    assert.equal(wrong.json().error.code, 'PIPER_TEST_METHOD_NOT_ALLOWED');
    const missing = await app.inject({ method: 'GET', url: '/api/v1/nothing?x=1' });
    assert.equal(missing.statusCode, 404);
    assert.deepEqual(missing.json(), { error: { code: 'PIPER_BALANCER_API_NOT_FOUND', message: 'no API at GET /api/v1/nothing' } });
  });

  test('a PiperError answers with its status, code and message; anything else with its code alone, the reason in the log', async () => {
    const gone = await app.inject({ method: 'GET', url: '/api/v1/things/gone' });
    assert.equal(gone.statusCode, 404);
    assert.deepEqual(gone.json(), { error: { code: 'PIPER_TEST_NOT_FOUND', message: 'no such thing' } });
    const broken = await app.inject({ method: 'GET', url: '/api/v1/things/broken' });
    assert.equal(broken.statusCode, 500);
    assert.equal(broken.json().error.code, 'PIPER_BALANCER_INTERNAL');
    assert.doesNotMatch(broken.body, /var\/lib/);
    // An internal PiperError keeps its status (a read-only store is 503: try another control plane), not its words.
    const closed = await app.inject({ method: 'GET', url: '/api/v1/things/closed' });
    assert.equal(closed.statusCode, 503);
    assert.equal(closed.json().error.code, 'PIPER_TEST_READ_ONLY');
    assert.doesNotMatch(closed.body, /var\/lib/);
    assert.ok(logged.some((line) => line.includes('x.db is corrupt')));
  });
});

test('the onRequest hook runs before routing, for unknown paths too', async () => {
  const app = await createControlApp({
    logger: createLogger({ level: 'silent' }),
    plugins: [],
    onRequest: async (_req, reply) => {
      await reply.code(401).send({ error: { code: 'PIPER_TEST_UNAUTHORIZED', message: 'token' } });
    },
  });
  try {
    const r = await app.inject({ method: 'GET', url: '/api/v1/nothing' });
    assert.equal(r.statusCode, 401);
  } finally {
    await app.close();
  }
});

test('an event stream answers GET only: a HEAD would hold the connection with nothing to show', async () => {
  const spec = defineApi({
    tag: 'Stream',
    invalid: { code: 'PIPER_TEST_BAD_REQUEST' },
    routes: {
      stream: { method: 'GET', url: '/api/v1/stream', summary: 'events', schema: { response: {} }, produces: ['text/event-stream'] },
    },
  });
  const app = await createControlApp({ logger: createLogger({ level: 'silent' }), plugins: [apiPlugin(spec, { stream: () => 'never' })] });
  try {
    assert.equal((await app.inject({ method: 'HEAD', url: '/api/v1/stream' })).statusCode, 404);
  } finally {
    await app.close();
  }
});
