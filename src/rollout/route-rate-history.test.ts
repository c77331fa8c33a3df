import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ManualClock } from '../core/index.ts';
import { Journal, type TrafficSample } from '../journal/index.ts';
import { RouteRateHistory } from './route-rate-history.ts';
import { syntheticWindow } from './synthetic-window.ts';

function sample(time: number, requests: number, over: Partial<TrafficSample> = {}): TrafficSample {
  return { time, route: 'web', pools: {}, requests, failed: 0, shed: 0, slow: 0, p99Ms: 5, ...over };
}

it('a history started after a restart reads the peak the journal holds: 30/s a minute ago, 5/s now', () => {
  const clock = new ManualClock(1_000_000);
  const journal = Journal.open({ path: ':memory:', clock });
  const now = clock.now();
  journal.putSamples([sample(now - 61_000, 30), sample(now - 60_000, 30), sample(now - 2000, 5), sample(now - 1000, 5)]);
  const history = new RouteRateHistory(journal, 300_000);
  assert.deepEqual(history.traffic('web', now), {
    currentRps: 5,
    peakRps: 30,
    observed: { windowMs: 300_000, requests: 70, bytesInPerRequest: null, bytesOutPerRequest: null },
  });
  // Outside the peak window it no longer counts; another route is another history.
  assert.equal(new RouteRateHistory(journal, 30_000).traffic('web', now).peakRps, 5);
  assert.equal(history.traffic('api', now).peakRps, 0);
  journal.close();
});

it('merges the windows it saw with the stored samples, and reads a longer window as a lower rate', () => {
  const clock = new ManualClock(1_000_000);
  const journal = Journal.open({ path: ':memory:', clock });
  const now = clock.now();
  // A blocked event loop closed one 2 s window with 40 requests: 20/s, not 40/s.
  journal.putSamples([sample(now - 5000, 40, { durationMs: 2000, bytesIn: 4000, bytesOut: 8000 })]);
  const history = new RouteRateHistory(journal, 300_000);
  // A window not (yet) stored counts too: the newest is the current rate.
  history.add(syntheticWindow(now - 1000, 'web', { vendor: { requests: 12 } }));
  const t = history.traffic('web', now);
  assert.deepEqual([t.currentRps, t.peakRps], [12, 20]);
  // Bytes per request over every window that counted them (the synthetic one counted none).
  assert.equal(t.observed?.bytesInPerRequest, Math.round(4000 / 52));
  journal.close();
});

it('a journal that cannot be read leaves the windows seen in memory', () => {
  const history = new RouteRateHistory(
    {
      samples: () => {
        throw new Error('disk gone');
      },
    },
    300_000,
  );
  history.add(syntheticWindow(9000, 'web', { vendor: { requests: 7 } }));
  assert.equal(history.traffic('web', 10_000).peakRps, 7);
});
