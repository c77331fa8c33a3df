import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyPluginAsync } from 'fastify';
import { createControlApp } from '../src/control-api/index.ts';
import { ManualClock, silentLogger } from '../src/core/index.ts';
import {
  exampleEvent,
  Journal,
  journalApi,
  JournalHttpClient,
  OnCall,
  observeFailingSeconds,
  POSTMORTEM_SECTIONS,
  summarizeEvent,
} from '../src/journal/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'piper-journal-api-'));
const clock = new ManualClock();
let journal: Journal;
let onCall: OnCall;
let server: Server;
let base: string;

/** The journal's slice on the control-plane layer, as piper serves it, on a port of its own. */
async function serve(plugin: FastifyPluginAsync): Promise<{ server: Server; base: string }> {
  const api = await createControlApp({ logger: silentLogger(), plugins: [plugin] });
  const s = createServer((req, res) => api.routing(req, res));
  return new Promise((resolve) =>
    s.listen(0, '127.0.0.1', () => resolve({ server: s, base: `http://127.0.0.1:${(s.address() as AddressInfo).port}` })),
  );
}

before(async () => {
  journal = Journal.open({ path: join(dir, 'api.db'), clock });
  onCall = new OnCall({ journal, clock, objectives: { web: { availability: 0.999, latencyThresholdMs: 500, latencyTarget: 0.99 } } });
  journal.append({ kind: 'capacity.result', source: 'loadgen', subject: 'inhouse', data: { pool: 'inhouse', capacityRps: 120 } });
  observeFailingSeconds(onCall, clock, 'web', 40);
  ({ server, base } = await serve(journalApi({ journal, onCall, clock })));
});

after(async () => {
  await new Promise((r) => server.close(r));
  onCall.close();
  journal.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(
  method: string,
  path: string,
  body?: string,
  type = 'application/json',
): Promise<{ status: number; json: Record<string, unknown>; text: string; type: string }> {
  const res = await fetch(base + path, { method, ...(body !== undefined ? { body, headers: { 'content-type': type } } : {}) });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON (postmortem text)
  }
  return { status: res.status, json, text, type: res.headers.get('content-type') ?? '' };
}

const codeOf = (r: { json: Record<string, unknown> }): unknown => (r.json.error as { code?: string } | undefined)?.code;

test('malformed event queries get 400 with a code naming the problem', async () => {
  for (const [query, code] of [
    ['limit=abc', 'PIPER_JOURNAL_BAD_FILTER'],
    ['limit=0', 'PIPER_JOURNAL_BAD_FILTER'],
    ['limit=20000', 'PIPER_JOURNAL_BAD_FILTER'],
    ['kind=DROP%20TABLE', 'PIPER_JOURNAL_BAD_FILTER'],
    ['since=someday', 'PIPER_JOURNAL_BAD_FILTER'],
    ['afterId=-3', 'PIPER_JOURNAL_BAD_FILTER'],
    ['colour=red', 'PIPER_JOURNAL_BAD_FILTER'],
  ] as const) {
    const r = await call('GET', `/api/v1/events?${query}`);
    assert.equal(r.status, 400, query);
    assert.equal(codeOf(r), code, query);
  }
});

test('events are listed oldest first with kind prefixes and paging by afterId', async () => {
  const r = await call('GET', '/api/v1/events?kind=alert.*&kind=incident.opened&limit=2');
  assert.equal(r.status, 200);
  const events = r.json.events as { id: number; kind: string }[];
  assert.equal(events.length, 2);
  assert.ok((events[0]?.id ?? 0) < (events[1]?.id ?? 0));
  const next = await call('GET', `/api/v1/events?kind=alert.*&kind=incident.opened&afterId=${r.json.lastId}`);
  assert.ok((next.json.events as { kind: string }[]).every((e) => e.kind.startsWith('alert.') || e.kind === 'incident.opened'));
  for (const e of next.json.events as Parameters<typeof summarizeEvent>[0][]) {
    assert.equal((e as { summary?: string }).summary, summarizeEvent(e), 'each event carries its summary');
  }
});

test('POST /api/v1/events appends an operator note and refuses bad bodies with codes', async () => {
  const ok = await call(
    'POST',
    '/api/v1/events',
    JSON.stringify({ kind: 'operator.note', subject: 'web', actor: 'jared', data: { text: 'calling the vendor' } }),
  );
  assert.equal(ok.status, 201);
  assert.equal(ok.json.source, 'operator');
  assert.equal(ok.json.actor, 'jared');
  const cases: [string, string, number, string][] = [
    ['{not json', 'application/json', 400, 'PIPER_CORE_BAD_JSON'],
    ['{}', 'text/plain', 415, 'PIPER_CORE_UNSUPPORTED_MEDIA_TYPE'],
    ['[1,2]', 'application/json', 400, 'PIPER_JOURNAL_BAD_EVENT'],
    [JSON.stringify({ kind: 'Operator Note', subject: 'web' }), 'application/json', 400, 'PIPER_JOURNAL_BAD_EVENT'],
    [JSON.stringify({ kind: 'alert.firing', source: 'alert', subject: 'web' }), 'application/json', 400, 'PIPER_JOURNAL_BAD_EVENT'],
    [JSON.stringify({ kind: 'operator.note', subject: 'web', colour: 'red' }), 'application/json', 400, 'PIPER_JOURNAL_BAD_EVENT'],
    [JSON.stringify({ kind: 'operator.note', subject: 'web', data: 'text' }), 'application/json', 400, 'PIPER_JOURNAL_BAD_EVENT'],
  ];
  for (const [body, type, status, code] of cases) {
    const r = await call('POST', '/api/v1/events', body, type);
    assert.equal(r.status, status, body);
    assert.equal(codeOf(r), code, body);
  }
  // Only notes and capacity results may be posted, each in its catalogue shape; the error names the field.
  for (const [body, field] of [
    [{ kind: 'migration.started', source: 'rollout', subject: 'web', data: {} }, 'kind'],
    [{ kind: 'capacity.result', subject: 'inhouse', data: { pool: 'inhouse', capacityRps: '120/s' } }, 'data.capacityRps'],
    [{ kind: 'capacity.result', subject: 'inhouse', data: { pool: 'inhouse', capacityRps: 120, p99: 80 } }, 'data.p99'],
    [{ kind: 'capacity.result', source: 'operator', subject: 'inhouse', data: { pool: 'inhouse', capacityRps: 120 } }, 'source'],
    [{ kind: 'operator.note', subject: 'web', data: { text: 'see', link: { href: 'x' } } }, 'data.link'],
  ] as const) {
    const r = await call('POST', '/api/v1/events', JSON.stringify(body));
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(codeOf(r), 'PIPER_JOURNAL_BAD_EVENT');
    assert.match(
      String((r.json.error as { message: string }).message),
      new RegExp(`^event ${field.replace('.', '\\.')} `),
      JSON.stringify(body),
    );
  }
  const capacity = await call(
    'POST',
    '/api/v1/events',
    JSON.stringify({ kind: 'capacity.result', subject: 'x', data: { pool: 'x', capacityRps: 5 } }),
  );
  assert.equal(capacity.status, 201);
  assert.equal(capacity.json.source, 'loadgen', "the kind's writer is the default source");
  assert.equal(capacity.json.summary, 'x certified for 5 req/s (no objective recorded)');
  const wrong = await call('DELETE', '/api/v1/events');
  assert.equal(wrong.status, 405);
  assert.equal(codeOf(wrong), 'PIPER_JOURNAL_METHOD_NOT_ALLOWED');
});

test('incidents: list, one report, acknowledge, postmortem in md, html and json; bad ids are 400, unknown 404', async () => {
  const list = await call('GET', '/api/v1/incidents');
  assert.equal(list.status, 200);
  const incidents = list.json.incidents as { id: number; status: string }[];
  assert.equal(incidents.length, 1);
  const one = await call('GET', '/api/v1/incidents/1');
  assert.equal(one.status, 200);
  // All 40 seconds failed every request: impact counts them from the first bad second on.
  assert.equal((one.json.impact as { failed: number }).failed, 800);
  const timeline = one.json.timeline as { kind: string; summary: string }[];
  assert.ok(timeline.length > 0);
  assert.ok(
    timeline.every((e) => e.summary.length > 0 && !e.summary.includes('{')),
    'the timeline carries summaries',
  );
  assert.equal((await call('GET', '/api/v1/incidents/abc')).status, 400);
  assert.equal(codeOf(await call('GET', '/api/v1/incidents/0')), 'PIPER_JOURNAL_BAD_INCIDENT_ID');
  const missing = await call('GET', '/api/v1/incidents/99');
  assert.equal(missing.status, 404);
  assert.equal(codeOf(missing), 'PIPER_JOURNAL_INCIDENT_NOT_FOUND');
  const noActor = await call('POST', '/api/v1/incidents/1/ack', '{}');
  assert.equal(noActor.status, 400);
  const ack = await call('POST', '/api/v1/incidents/1/ack', JSON.stringify({ actor: 'gilfoyle' }));
  assert.equal(ack.status, 200);
  assert.equal(ack.json.status, 'acknowledged');
  assert.equal(ack.json.acknowledgedBy, 'gilfoyle');
  const md = await call('GET', '/api/v1/incidents/1/postmortem');
  assert.equal(md.status, 200);
  assert.match(md.type, /^text\/markdown/);
  assert.match(md.text, /^## Changes to make in future outage responses$/m);
  const html = await call('GET', '/api/v1/incidents/1/postmortem?format=html&tz=Europe/Paris');
  assert.match(html.type, /^text\/html/);
  assert.match(html.text, /CEST|GMT\+2/);
  // The structured document the dashboard draws: the same sections, as data.
  const doc = await call('GET', '/api/v1/incidents/1/postmortem?format=json&tz=Europe/Paris');
  assert.match(doc.type, /^application\/json/);
  assert.equal(doc.json.incidentId, 1);
  assert.deepEqual(
    (doc.json.sections as { heading: string }[]).map((x) => x.heading),
    [...POSTMORTEM_SECTIONS],
  );
  assert.equal(codeOf(await call('GET', '/api/v1/incidents/1/postmortem?format=pdf')), 'PIPER_JOURNAL_BAD_REQUEST');
  assert.equal((await call('GET', '/api/v1/incidents/1/postmortem?tz=Mars/Olympus')).status, 400);
});

test('GET /api/v1/slo and /api/v1/capacity answer from the journal', async () => {
  const slo = await call('GET', '/api/v1/slo');
  assert.equal(slo.status, 200);
  const routes = slo.json.routes as { route: string; fast: { firing: boolean } }[];
  assert.equal(routes[0]?.route, 'web');
  assert.equal(routes[0]?.fast.firing, true);
  assert.equal((slo.json.status as { status: string }).status, 'major_outage');
  const cap = await call('GET', '/api/v1/capacity?pool=inhouse');
  assert.equal((cap.json.results as { data: { capacityRps: number } }[])[0]?.data.capacityRps, 120);
  assert.equal((await call('GET', '/api/v1/capacity?limit=x')).status, 400);
  assert.equal((await call('GET', '/api/v1/slo?x=1')).status, 400);
});

test('the event stream sends new matching events as server-sent events, and the client reads them', async () => {
  const abort = new AbortController();
  const client = new JournalHttpClient(base);
  const seen: string[] = [];
  const reading = (async () => {
    for await (const e of client.follow({ kinds: ['operator.*'] }, abort.signal)) {
      assert.equal(
        (e as { summary?: string }).summary,
        `an operator noted: ${String(e.data.text)}`,
        'each streamed event carries its summary',
      );
      seen.push(String(e.data.text));
      if (seen.length === 2) abort.abort();
    }
  })();
  // The stream starts "now": wait until the server holds the subscription, then write.
  for (let i = 0; i < 100 && seen.length === 0; i++) {
    journal.append(exampleEvent('split.changed'));
    journal.append({ kind: 'operator.note', source: 'operator', subject: 'web', data: { text: `note ${i}` } });
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 5));
  }
  journal.append({ kind: 'operator.note', source: 'operator', subject: 'web', data: { text: 'last' } });
  await reading;
  assert.equal(seen.length, 2);
  assert.equal(seen[1], 'last');
  const bad = await call('GET', '/api/v1/events/stream?kind=NOPE!');
  assert.equal(bad.status, 400);
});

test('a read-only journal answers writes with 503 PIPER_JOURNAL_READ_ONLY, without its path, and still serves reads', async () => {
  const ro = Journal.open({ path: join(dir, 'api.db'), clock, readOnly: true });
  const roCall = new OnCall({ journal: ro, clock });
  // Through the control-plane layer's error handler: the storage error's words (its path) stay in the log.
  const { server: s, base: b } = await serve(journalApi({ journal: ro, onCall: roCall, clock }));
  try {
    const w = await fetch(`${b}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'operator.note', subject: 'web' }),
    });
    assert.equal(w.status, 503);
    const error = ((await w.json()) as { error: { code: string; message: string } }).error;
    assert.equal(error.code, 'PIPER_JOURNAL_READ_ONLY');
    assert.ok(!error.message.includes(dir), error.message);
    const r = await fetch(`${b}/api/v1/events?limit=1`);
    assert.equal(r.status, 200);
  } finally {
    await new Promise((r) => s.close(r));
    roCall.close();
    ro.close();
  }
});

test('an event posted to the API is recorded as the control plane annotates it, not only as the client sent it', async () => {
  const annotated = await serve(
    journalApi({
      journal,
      onCall,
      clock,
      annotate: (e) =>
        e.kind === 'capacity.result'
          ? { ...e, data: { ...e.data, membership: { fingerprint: 'as the control plane sees it', backends: [] } } }
          : e,
    }),
  );
  try {
    const res = await fetch(`${annotated.base}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        kind: 'capacity.result',
        source: 'loadgen',
        subject: 'inhouse',
        data: { pool: 'inhouse', capacityRps: 100, membership: { fingerprint: 'claimed', backends: [] } },
      }),
    });
    assert.equal(res.status, 201);
    const event = (await res.json()) as { id: number; data: { membership: { fingerprint: string } } };
    assert.equal(event.data.membership.fingerprint, 'as the control plane sees it');
    assert.deepEqual(journal.query({ kinds: ['capacity.result'] }).find((e) => e.id === event.id)?.data.membership, {
      fingerprint: 'as the control plane sees it',
      backends: [],
    });
  } finally {
    await new Promise((r) => annotated.server.close(r));
  }
});
