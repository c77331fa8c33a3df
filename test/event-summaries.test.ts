import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type JournalEvent, parseEvent, summarizeEvent } from '../src/journal/index.ts';
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
