import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../core/index.ts';
import { Journal } from '../journal/index.ts';
import { CapacityBook } from './capacity-book.ts';

function result(journal: Journal, pool: string, capacityRps: number): void {
  journal.append({
    kind: 'capacity.result',
    source: 'loadgen',
    subject: pool,
    actor: 'piper capacity',
    data: {
      target: 'http://127.0.0.1:1',
      pool,
      slo: { p99Ms: 200, maxErrorRatio: 0.001 },
      capacityRps,
      confidence: 0.95,
      certifiedAt: 1000,
      trials: [],
    },
  });
}

describe('CapacityBook', () => {
  it('reads capacity results again only when the journal has something new', () => {
    const clock = new ManualClock(1_000_000);
    const journal = Journal.open({ path: ':memory:', clock });
    try {
      let queries = 0;
      const book = new CapacityBook({
        lastId: () => journal.lastId(),
        query: (f) => {
          queries++;
          return journal.query(f);
        },
      });
      result(journal, 'inhouse', 400);
      assert.deepEqual(
        book.certificates('inhouse').map((c) => c.capacityRps),
        [400],
      );
      for (let i = 0; i < 100; i++) book.certificates('inhouse');
      assert.equal(book.certificates('vendor').length, 0);
      assert.equal(queries, 1, 'one read for a hundred evaluations of both pools');
      result(journal, 'inhouse', 800);
      assert.deepEqual(
        book.certificates('inhouse').map((c) => c.capacityRps),
        [800, 400],
      );
      assert.equal(queries, 2);
    } finally {
      journal.close();
    }
  });
});
