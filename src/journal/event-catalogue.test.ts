import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { catalogueEntry, checkEvent, EVENT_CATALOGUE, EVENT_KINDS, exampleEvent } from './event-catalogue.ts';
import { gateFacts, transitionFacts } from './migration-evidence-schema.ts';

/** A row may name a group of fields the doc defines once above the table. */
const GROUPS: Record<string, readonly string[]> = {
  'transition facts': Object.keys(transitionFacts),
  'gate facts': Object.keys(gateFacts),
};

describe('event catalogue', () => {
  it('holds an example of every kind that matches its own schema and names one of its writers', () => {
    assert.ok(EVENT_KINDS.length >= 37, `${EVENT_KINDS.length} kinds`);
    for (const kind of EVENT_KINDS) {
      const e = exampleEvent(kind);
      assert.equal(checkEvent(e), null, kind);
      assert.ok(EVENT_CATALOGUE[kind].sources.length > 0, kind);
    }
  });

  it('names the field and the problem of an event that does not match', () => {
    const decision = exampleEvent('migration.decision');
    assert.deepEqual(checkEvent({ ...decision, data: { ...decision.data, reasons: ['error_ratio'] } }), {
      field: 'data.reasons',
      problem: 'is not a field of this kind',
    });
    const judge = decision.data.judge;
    assert.ok(judge);
    assert.equal(
      checkEvent({ ...decision, data: { ...decision.data, judge: { ...judge, target: { ...judge.target, failed: '7' } } } })?.field,
      'data.judge.target.failed',
    );
    assert.deepEqual(checkEvent({ kind: 'deploy.finished', source: 'operator', data: {} }), {
      field: 'kind',
      problem: '"deploy.finished" is not in the event catalogue (docs/journal.md)',
    });
    assert.deepEqual(checkEvent({ ...exampleEvent('capacity.result'), source: 'operator' }), {
      field: 'source',
      problem: 'capacity.result is written by loadgen, not operator',
    });
    assert.equal(checkEvent({ ...exampleEvent('split.changed'), data: { to: { vendor: 100 } } })?.field, 'data.from');
  });

  it('tolerates more than it lists inside the evidence (the gate, the judge), never at the top level', () => {
    const refused = exampleEvent('migration.gate_refused');
    assert.equal(checkEvent({ ...refused, data: { ...refused.data, gate: { ...refused.data.gate, skipped: [] } } }), null);
    assert.equal(checkEvent({ ...refused, data: { ...refused.data, verdict: 'no' } })?.field, 'data.verdict');
  });

  it('is listed in docs/journal.md: every kind with its writers and each of its data fields', () => {
    const doc = readFileSync(new URL('../../docs/journal.md', import.meta.url), 'utf8');
    for (const [name, fields] of Object.entries(GROUPS)) {
      const definition = doc.split('\n\n').find((p) => p.includes(`**${name[0]?.toUpperCase()}${name.slice(1)}**`)) ?? '';
      for (const f of fields) assert.ok(definition.includes(`\`${f}\``), `${name}: ${f} not defined`);
    }
    for (const kind of EVENT_KINDS) {
      const line = doc.split('\n').find((l) => l.startsWith(`| \`${kind}\` |`));
      assert.ok(line, `docs/journal.md has no row for ${kind}`);
      let row = line;
      for (const [name, fields] of Object.entries(GROUPS)) row = row.replace(name, fields.map((f) => `\`${f}\``).join(', '));
      const entry = catalogueEntry(kind);
      assert.ok(entry);
      for (const source of entry.sources) assert.ok(row.includes(source), `${kind}: writer ${source} not named`);
      const shape = entry.data instanceof z.ZodObject ? Object.keys(entry.data.shape) : [];
      for (const field of shape) assert.ok(row.includes(`\`${field}\``), `${kind}: field ${field} not listed`);
    }
  });
});
