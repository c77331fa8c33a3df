import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createControlApp } from '../control-api/index.ts';
import { ManualClock, silentLogger } from '../core/index.ts';
import { journalApi } from './journal-api.ts';
import { journalApiSpec } from './journal-api-spec.ts';
import { observeFailingSeconds } from './failing-traffic.ts';
import { Journal } from './journal.ts';
import { OnCall } from './on-call.ts';

const { routes } = journalApiSpec;

describe('the journal API, without a port', () => {
  const clock = new ManualClock();
  const journal = Journal.open({ path: ':memory:', clock });
  const onCall = new OnCall({ journal, clock, objectives: { web: { availability: 0.999, latencyThresholdMs: 500, latencyTarget: 0.99 } } });
  let app: FastifyInstance;

  before(async () => {
    app = await createControlApp({ logger: silentLogger(), plugins: [journalApi({ journal, onCall, clock })] });
    // Forty seconds of failures on `web`: a page fires and an incident opens.
    observeFailingSeconds(onCall, clock, 'web', 40);
  });
  after(async () => {
    await app.close();
    onCall.close();
    journal.close();
  });

  test('every answer has the shape its route declares', async () => {
    const note = await app.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: { kind: 'operator.note', subject: 'web', data: { text: 'hi' } },
    });
    assert.equal(note.statusCode, 201);
    routes.appendEvent.schema.response[201].parse(note.json());
    const answers = [
      ['/api/v1/events?kind=operator.*', routes.listEvents.schema.response[200]],
      ['/api/v1/incidents', routes.listIncidents.schema.response[200]],
      ['/api/v1/incidents/1', routes.getIncident.schema.response[200]],
      ['/api/v1/incidents/1/postmortem?format=json', routes.postmortem.schema.response[200]],
      ['/api/v1/capacity', routes.capacity.schema.response[200]],
      ['/api/v1/slo', routes.slo.schema.response[200]],
    ] as const;
    for (const [url, schema] of answers) {
      const r = await app.inject({ method: 'GET', url });
      assert.equal(r.statusCode, 200, `${url}: ${r.body}`);
      schema.parse(r.json());
    }
    const ack = await app.inject({ method: 'POST', url: '/api/v1/incidents/1/ack', payload: { actor: 'gilfoyle' } });
    routes.acknowledgeIncident.schema.response[200].parse(ack.json());
  });

  test("a field the schema refuses is named with the route's code", async () => {
    const limit = await app.inject({ method: 'GET', url: '/api/v1/events?colour=red' });
    assert.equal(limit.statusCode, 400);
    assert.equal(limit.json().error.code, 'PIPER_JOURNAL_BAD_FILTER');
    assert.match(limit.json().error.message, /^colour: /);
    const event = await app.inject({ method: 'POST', url: '/api/v1/events', payload: { kind: 'alert.firing', subject: 'web' } });
    assert.equal(event.json().error.code, 'PIPER_JOURNAL_BAD_EVENT');
    assert.match(event.json().error.message, /^event kind /);
    const actor = await app.inject({ method: 'POST', url: '/api/v1/incidents/1/ack', payload: { actor: '' } });
    assert.equal(actor.json().error.code, 'PIPER_JOURNAL_BAD_REQUEST');
    assert.match(actor.json().error.message, /^actor: /);
  });

  test('markdown and HTML postmortems answer as text; a wrong method on a journal path is 405 with allow', async () => {
    const md = await app.inject({ method: 'GET', url: '/api/v1/incidents/1/postmortem' });
    assert.equal(md.headers['content-type'], 'text/markdown; charset=utf-8');
    assert.match(md.body, /^# /);
    const html = await app.inject({ method: 'GET', url: '/api/v1/incidents/1/postmortem?format=html' });
    assert.equal(html.headers['content-type'], 'text/html; charset=utf-8');
    const wrong = await app.inject({ method: 'PUT', url: '/api/v1/incidents/1/ack' });
    assert.equal(wrong.statusCode, 405);
    assert.equal(wrong.headers.allow, 'POST');
    assert.equal(wrong.json().error.code, 'PIPER_JOURNAL_METHOD_NOT_ALLOWED');
  });
});
