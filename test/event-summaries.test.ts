import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { type JournalEvent, parseEvent, summarizeEvent } from '../src/journal/index.ts';
import { createRecordedApi } from './e2e/dashboard-recorded-api.ts';
import { loadSeedAfternoon, replaySeedAfternoon } from './fixtures/journal/replay.ts';

/** What no summary may hold: a placeholder for a missing figure, a JSON fragment, a stray value. */
const FORBIDDEN = ['?', '{', '}', 'undefined', 'null', 'NaN', 'Infinity', '[object'];

function assertReadable(e: JournalEvent, summary: string): void {
  assert.ok(summary.length > 0, `${e.kind} ${e.id}: empty summary`);
  for (const bad of FORBIDDEN) assert.ok(!summary.includes(bad), `${e.kind} ${e.id}: "${summary}" holds "${bad}"`);
}

test("every event of the seed's afternoon, as the journal records it (alerts, incidents and all), reads through the catalogue into a sentence", () => {
  const run = replaySeedAfternoon(loadSeedAfternoon());
  try {
    const events = run.journal.query({ limit: 10_000 });
    assert.ok(events.length > 30, `${events.length} events`);
    const kinds = new Set<string>();
    for (const e of events) {
      assert.ok(parseEvent(e), `${e.kind} ${e.id} matches the catalogue`);
      assertReadable(e, summarizeEvent(e));
      kinds.add(e.kind);
    }
    for (const kind of ['migration.gate_overridden', 'alert.firing', 'incident.opened', 'incident.mitigated', 'incident.resolved'])
      assert.ok(kinds.has(kind), `the afternoon holds ${kind}`);
    const refusal = events.find((e) => e.kind === 'migration.gate_refused');
    assert.ok(refusal);
    assert.equal(
      summarizeEvent(refusal),
      "capacity gate refused richard's migration of web to inhouse: over capacity: certified 120/s < 2 × peak 310/s = 620/s",
    );
  } finally {
    run.onCall.close();
    run.journal.close();
  }
});

test("the dashboard's recorded control plane sends each event with a readable summary", async () => {
  const recorded = createRecordedApi(() => Date.now());
  const server = createServer((req, res) => {
    void recorded.api(req, res, new URL(req.url ?? '/', 'http://localhost'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const list = (await (await fetch(`${base}/api/v1/events?limit=10000`)).json()) as { events: (JournalEvent & { summary: string })[] };
    const report = (await (await fetch(`${base}/api/v1/incidents/1`)).json()) as { timeline: (JournalEvent & { summary: string })[] };
    assert.ok(list.events.length > 5);
    for (const e of [...list.events, ...report.timeline]) assertReadable(e, e.summary);
  } finally {
    await new Promise((resolve) => server.close(resolve));
    recorded.close();
  }
});

test('every event of a recorded demo run (test/fixtures/journal/demo-rollback.json) matches the catalogue and reads as a sentence', () => {
  const recorded = JSON.parse(readFileSync(new URL('./fixtures/journal/demo-rollback.json', import.meta.url), 'utf8')) as {
    events: Omit<JournalEvent, 'id'>[];
  };
  assert.ok(recorded.events.length > 20);
  recorded.events.forEach((event, i) => {
    const e = { id: i + 1, ...event } as JournalEvent;
    assert.ok(parseEvent(e), `${e.kind} ${e.id} matches the catalogue`);
    assertReadable(e, summarizeEvent(e));
  });
});
