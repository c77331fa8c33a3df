import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EVENT_KINDS, type EventKind, exampleEvent, type JournalEventInput, parseEvent } from './event-catalogue.ts';
import { summarizeEvent } from './event-summary.ts';
import type { JournalEvent } from './journal-event.ts';
import { EXAMPLE_JUDGE } from './migration-evidence-schema.ts';

/** What no summary may hold: a placeholder for a missing figure, a JSON fragment, a stray value. */
const FORBIDDEN = ['?', '{', '}', 'undefined', 'null', 'NaN', 'Infinity', '[object'];

function recorded<K extends EventKind>(input: JournalEventInput<K>, id = 1): JournalEvent {
  return { id, time: 1_490_997_000_000, actor: input.source, ...input } as JournalEvent;
}

function example<K extends EventKind>(kind: K, data: Parameters<typeof exampleEvent<K>>[1] = {}, actor?: string): JournalEvent {
  return recorded(exampleEvent(kind, data, actor === undefined ? {} : { actor }));
}

describe('event summaries', () => {
  it('give every catalogue kind a sentence from its typed data, without placeholders or JSON', () => {
    for (const kind of EVENT_KINDS) {
      const e = example(kind);
      assert.ok(parseEvent(e), `${kind}: its example reads through the catalogue`);
      const text = summarizeEvent(e);
      assert.ok(text.length > 10, `${kind}: "${text}"`);
      for (const bad of FORBIDDEN) assert.ok(!text.includes(bad), `${kind}: "${text}" holds "${bad}"`);
      assert.ok(!text.includes(`${kind} about`), `${kind}: "${text}" is the plain fallback`);
    }
  });

  it('say who refused whom: the gate refused the operator, or the controller’s next step', () => {
    assert.equal(
      summarizeEvent(example('migration.gate_refused', {}, 'richard')),
      "capacity gate refused richard's migration of web to inhouse: over capacity: certified 120/s < 2 × peak 310/s = 620/s",
    );
    assert.equal(
      summarizeEvent(example('migration.gate_refused', { migration: '4', refusals: [], capacityRps: null }, 'rollout')),
      'capacity gate refused the next step of migration 4 of web to inhouse: inhouse has no capacity result',
    );
    assert.equal(
      summarizeEvent(example('migration.gate_refused', { refusals: [], capacityRps: 24.7, requiredRps: 200 }, 'operator')),
      "capacity gate refused an operator's migration of web to inhouse: inhouse is certified for 24.7 req/s, the move needs 200 req/s",
    );
    assert.match(
      summarizeEvent(example('migration.gate_overridden')),
      /^richard overrode the capacity gate for migration 1 of web to inhouse/,
    );
  });

  it("word the judge's counts as attempts on each pool, apart from failed requests", () => {
    assert.equal(
      summarizeEvent(example('migration.decision')),
      'judge: roll back (error ratio over the limit) at 100 % on the target; target pool: 7 of 18 attempts failed (38.9 %), p99 2.1 s; ' +
        "source pool: 0 of 280 attempts failed (0 %), p99 88 ms; inhouse: 22.2 % of 18 requests slower than vendor's p90 of 12 ms, tolerated 15 %; rolling back",
    );
    const fast = example('migration.decision', {
      judge: null,
      fastPath: {
        windowStart: 0,
        checkedAt: 250,
        pool: 'inhouse',
        counts: { requests: 24, failed: 8, connectFailures: 3, firstFailureAt: 40 },
        rules: ['connection_failures'],
        thresholds: { maxErrorRatio: 0.2, hardMinFailures: 2 },
      },
    });
    assert.equal(
      summarizeEvent(fast),
      'fast path: roll back (connection failures) at 100 % on the target; target pool inhouse: 8 of 24 attempts failed in the open window, 3 connection failures',
    );
  });

  it("say a relative latency rollback in words: the target's share slower than the source's percentile, and the share tolerated", () => {
    const [p90, p99] = EXAMPLE_JUDGE.relativeLatency ?? [];
    assert.ok(p90 && p99);
    const judge = EXAMPLE_JUDGE;
    const slow = example('migration.decision', {
      judge: {
        ...judge,
        reasons: ['msprt_relative_latency'],
        hard: false,
        target: { ...judge.target, failed: 0, errorRatio: 0 },
        relativeLatency: [
          { ...p90, targetSamples: 420, targetSlower: 130, share: 0.31, pValue: 0.0004, rejected: true },
          { ...p99, sourceMs: 48, targetSamples: 420, targetSlower: 9, share: 0.0214, pValue: 0.2 },
        ],
      },
    });
    assert.equal(
      summarizeEvent(slow),
      "judge: roll back (slower than the source's p90) at 100 % on the target; target pool: 0 of 18 attempts failed (0 %), p99 2.1 s; " +
        "source pool: 0 of 280 attempts failed (0 %), p99 88 ms; inhouse: 31 % of 420 requests slower than vendor's p90 of 12 ms, tolerated 15 % (p 0.00040 ≤ 0.0013); rolling back",
    );
  });

  it("say the requests the target's admission refused, among its failures and among its requests slower than the source", () => {
    const [p90, p99] = EXAMPLE_JUDGE.relativeLatency ?? [];
    assert.ok(p90 && p99);
    const judge = EXAMPLE_JUDGE;
    const refused = example('migration.decision', {
      judge: {
        ...judge,
        reasons: ['msprt_relative_latency'],
        hard: false,
        target: { ...judge.target, requests: 58, failed: 40, errorRatio: 0.6897, spilled: 40 },
        relativeLatency: [
          { ...p90, targetSamples: 420, targetSlower: 130, targetRefused: 40, share: 0.31, pValue: 0.0004, rejected: true },
          { ...p99, sourceMs: 48, targetSamples: 420, targetSlower: 9, share: 0.0214, pValue: 0.2 },
        ],
      },
    });
    assert.equal(
      summarizeEvent(refused),
      "judge: roll back (slower than the source's p90) at 100 % on the target; target pool: 40 of 58 attempts failed (69 %), " +
        '40 of them refused by its admission and answered by the other pool, p99 2.1 s; source pool: 0 of 280 attempts failed (0 %), p99 88 ms; ' +
        "inhouse: 31 % of 420 requests slower than vendor's p90 of 12 ms (40 of them refused by its admission), tolerated 15 % (p 0.00040 ≤ 0.0013); rolling back",
    );
  });

  it('format numbers for people: splits as shares, rates, durations', () => {
    assert.equal(
      summarizeEvent(
        example('split.changed', { from: { vendor: 256, inhouse: 0 }, to: { vendor: 192, inhouse: 64 }, reason: 'promote' }, 'jared'),
      ),
      'split of web by jared: vendor 100 % / inhouse 0 % → vendor 75 % / inhouse 25 % (promote)',
    );
    assert.equal(summarizeEvent(example('capacity.result')), 'inhouse certified for 120 req/s at p99 ≤ 500 ms with ≤ 1 % errors (1 trial)');
    assert.equal(
      summarizeEvent(example('migration.rolled_back')),
      'migration 1 of web rolled back: all traffic on vendor, 1.3 s after the first failure (judge: error_ratio)',
    );
    assert.equal(summarizeEvent(example('backend.ejected')), 'inhouse/ih-1 ejected for 30 s: 5 consecutive 5xx');
  });

  it('give an unknown kind, or data the catalogue does not know, a plain sentence instead of its JSON', () => {
    const unknown: JournalEvent = {
      id: 1,
      time: 0,
      kind: 'deploy.finished',
      source: 'operator',
      subject: 'web',
      data: { sha: 'abc' },
      actor: 'jared',
    };
    assert.equal(summarizeEvent(unknown), 'deploy.finished about web, by jared');
    const older: JournalEvent = { ...example('migration.step'), data: { migration: 'm1', targetPercent: 5 } };
    assert.equal(summarizeEvent(older), 'migration.step about web, by rollout');
  });
});
