import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeUserIds } from '../core/index.ts';
import { figureRows } from './incident-figures.ts';
import { findImpactStart } from './incident-impact.ts';
import type { Incident } from './incident-manager.ts';
import { measureIncident } from './incident-numbers.ts';
import type { TrafficSample } from './traffic-sample.ts';

const T0 = Date.UTC(2026, 11, 7, 12, 0, 0);
const OBJECTIVE = { availability: 0.999, latencyThresholdMs: 300, latencyTarget: 0.99 };

function sample(second: number, over: Partial<TrafficSample> = {}): TrafficSample {
  return {
    time: T0 + second * 1000,
    route: 'web',
    pools: { vendor: { requests: 100, failed: 0, shed: 0 } },
    requests: 100,
    failed: 0,
    shed: 0,
    slow: 0,
    p99Ms: 10,
    ...over,
  };
}

/** A second in which the in-house pool shed `shed` of its `requests`. */
function failing(second: number, requests: number, shed: number, over: Partial<TrafficSample> = {}): TrafficSample {
  return sample(second, {
    pools: { vendor: { requests: 100 - requests, failed: 0, shed: 0 }, inhouse: { requests, failed: 0, shed } },
    shed,
    firstFailureAt: T0 + second * 1000 + 430,
    ...over,
  });
}

function incident(over: Partial<Incident> = {}): Incident {
  return {
    id: 1,
    status: 'resolved',
    title: 'web: migration rolled back',
    routes: ['web'],
    pools: ['inhouse'],
    openedBy: { kind: 'migration.rolled_back', eventId: 3 },
    alerts: [],
    activeAlerts: [],
    startedAt: T0 + 5430,
    detectedAt: T0 + 5652,
    mitigatedAt: T0 + 5652,
    mitigatedBy: 'migration.rolled_back',
    resolvedAt: T0 + 15_652,
    ...over,
  };
}

const measure = (i: Incident, samples: TrafficSample[]) => measureIncident(i, samples, () => OBJECTIVE, 30 * 86_400_000, T0 + 60_000);

describe('incident numbers', () => {
  test('the second that holds the first failure counts, though it starts before the incident (regression: 0.00 % while requests failed)', () => {
    const samples = [sample(4), failing(5, 54, 14), sample(6), sample(7)];
    const { numbers, impact } = measure(incident(), samples);
    assert.equal(numbers.requests, 100);
    assert.equal(numbers.failed, 14, 'shed requests are failed requests, as their clients received them');
    assert.equal(numbers.shed, 14);
    assert.equal(numbers.failedShare, 0.14);
    assert.equal(impact.shed, 14);
    assert.equal(numbers.measured, true);
  });

  test('the period runs on through the seconds whose failures are requests still on the pool traffic left, and no further', () => {
    const samples = [failing(5, 61, 8), failing(6, 23, 8, { firstFailureAt: T0 + 6026 }), sample(7), failing(8, 5, 5)];
    const { numbers } = measure(incident(), samples);
    assert.equal(numbers.failed, 16);
    assert.equal(numbers.requests, 200);
    assert.equal(numbers.from, T0 + 5430);
    assert.equal(numbers.to, T0 + 7000, 'the clean second ends it: the failures at 8 s are not this incident');
  });

  test('errors that stopped on their own (no action moved traffic) end the period at the mitigation', () => {
    const samples = [failing(5, 61, 8), failing(6, 23, 8)];
    const { numbers } = measure(incident({ mitigatedBy: 'traffic', mitigatedAt: T0 + 6000 }), samples);
    assert.equal(numbers.failed, 8);
    assert.equal(numbers.to, T0 + 6000);
  });

  test('an open, unmitigated incident is measured up to now; its later times are null', () => {
    const { mitigatedAt: _m, mitigatedBy: _b, resolvedAt: _r, ...open } = incident({ status: 'open' });
    const { numbers } = measure(open, [failing(5, 50, 10), failing(6, 50, 10), sample(70)]);
    assert.equal(numbers.failed, 20);
    assert.equal(numbers.detectMs, 222);
    assert.equal(numbers.mitigateMs, null);
    assert.equal(numbers.resolveMs, null);
    assert.deepEqual(figureRows(numbers).slice(-2), [
      ['time to mitigate', 'not yet'],
      ['time to resolve', 'not yet'],
    ]);
  });

  test('users are the union over the seconds, with the method beside the figure', () => {
    const users = (ids: number[], failed: number[], by: string[] = ['cookie'], capped = false) => ({
      count: ids.length,
      failed: failed.length,
      ids: encodeUserIds(ids),
      failedIds: encodeUserIds(failed),
      by,
      capped,
    });
    const samples = [failing(5, 61, 8, { users: users([1, 2, 3, 4], [2, 3]) }), failing(6, 23, 8, { users: users([3, 4, 5], [3, 5]) })];
    const { numbers } = measure(incident(), samples);
    assert.deepEqual(numbers.users, { total: 5, affected: 3, share: 0.6, method: 'by sticky cookie', lowerBound: false });
    assert.equal(new Map(figureRows(numbers)).get('share of users affected'), '3 of 5 users (60.0 %), by sticky cookie');

    const mixed = measure(incident(), [failing(5, 61, 8, { users: users([1], [1], ['cookie', 'address'], true) }), failing(6, 23, 8)]);
    assert.equal(mixed.numbers.users?.method, 'by sticky cookie, else client address');
    assert.equal(mixed.numbers.users?.lowerBound, true);
    assert.match(new Map(figureRows(mixed.numbers)).get('share of users affected') ?? '', /^at least 1 of at least 1 users/);

    assert.equal(measure(incident(), [failing(5, 61, 8)]).numbers.users, null, 'a data plane that tells no users apart');
  });

  test('requests a retry saved are counted apart, never as failed', () => {
    const { numbers } = measure(incident(), [failing(5, 54, 14, { savedByRetry: 3, failed: 2 })]);
    assert.equal(numbers.failed, 16);
    assert.equal(numbers.savedByRetry, 3);
  });

  test('with no sample left for the period the counts are unknown, not zero', () => {
    const { numbers } = measure(incident(), []);
    assert.equal(numbers.measured, false);
    assert.equal(new Map(figureRows(numbers)).get('failed requests'), 'not measured (no traffic samples kept for the period)');
  });

  test('an incident backdated from an alert starts at the first failure of its first bad second', () => {
    const samples = [sample(3), failing(4, 100, 90, { firstFailureAt: T0 + 4310 }), failing(5, 100, 95)];
    const bad = (s: TrafficSample) => s.shed > 50;
    assert.equal(findImpactStart(samples, T0 + 6000, bad, 30_000), T0 + 4310);
    const { firstFailureAt: _f, ...unstamped } = samples[1] as TrafficSample;
    assert.equal(findImpactStart([samples[0] as TrafficSample, unstamped], T0 + 6000, bad, 30_000), T0 + 4000, 'else the second');
  });
});
