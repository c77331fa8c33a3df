import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkEvent, EVENT_CATALOGUE, EVENT_KINDS, exampleEvent } from './event-catalogue.ts';

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
    assert.deepEqual(checkEvent({ ...decision, data: { ...decision.data, verdict: 'pass' } }), {
      field: 'data.verdict',
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
});
