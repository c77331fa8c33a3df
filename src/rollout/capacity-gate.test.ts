import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JournalEvent } from '../journal/index.ts';
import { type CapacityCertificate, evaluateGate, lastSafeStep, latestCapacity, sourceCanAbsorb } from './capacity-gate.ts';

const cert: CapacityCertificate = { pool: 'inhouse', capacityRps: 400, certifiedAt: 1000, eventId: 7, target: 'http://x' };
const load = { currentRps: 100, peakRps: 150, expectedPeakRps: null, headroom: 2, pool: 'inhouse', capacity: cert };

function capacityEvent(id: number, subject: string, data: Record<string, unknown>): JournalEvent {
  return { id, time: 5000 + id, kind: 'capacity.result', source: 'loadgen', subject, data, actor: 'piper capacity' };
}

describe('capacity gate', () => {
  it('passes while share × max(current, peak, expected) stays within capacity / headroom', () => {
    const r = evaluateGate({ ...load, share: 1 });
    assert.equal(r.passed, true);
    assert.equal(r.basis, 'peak');
    assert.equal(r.projectedRps, 150);
    assert.equal(r.allowedRps, 200);
  });

  it('refuses a pool certified below twice the peak, with the numbers', () => {
    const r = evaluateGate({ ...load, share: 1, peakRps: 250 });
    assert.equal(r.passed, false);
    assert.equal(r.reason, 'over_capacity');
    assert.deepEqual([r.projectedRps, r.capacityRps, r.headroom, r.allowedRps, r.capacityEventId], [250, 400, 2, 200, 7]);
  });

  it('uses the configured expected peak when it is the highest', () => {
    const r = evaluateGate({ ...load, share: 0.5, expectedPeakRps: 500 });
    assert.equal(r.basis, 'expectedPeak');
    assert.equal(r.projectedRps, 250);
    assert.equal(r.passed, false);
  });

  it('refuses a pool with no capacity result', () => {
    const r = evaluateGate({ ...load, share: 0.01, capacity: null });
    assert.equal(r.passed, false);
    assert.equal(r.reason, 'no_capacity_result');
  });

  it('finds the last safe step below the current one', () => {
    const steps = [1, 5, 10, 25, 50, 100];
    const gate = (share: number) => evaluateGate({ ...load, currentRps: 1000, peakRps: 1000, share });
    // 200 rps allowed of 1000: 10 % and 25 %... 25 % is 250 > 200, so 10 % (index 2).
    assert.equal(lastSafeStep(steps, 4, gate), 2);
    assert.equal(lastSafeStep(steps, 1, gate), 1);
    const none = (share: number) => evaluateGate({ ...load, capacity: null, share });
    assert.equal(lastSafeStep(steps, 5, none), -1);
  });

  it('knows whether the source can absorb a rollback', () => {
    assert.equal(sourceCanAbsorb(300, 1, cert), true);
    assert.equal(sourceCanAbsorb(500, 1, cert), false);
    assert.equal(sourceCanAbsorb(500, 1, null), true);
  });

  it('reads the newest valid capacity result for the pool and ignores others', () => {
    const events = [
      capacityEvent(1, 'inhouse', { pool: 'inhouse', capacityRps: 100, certifiedAt: 2000 }),
      capacityEvent(2, 'inhouse', { pool: 'inhouse', capacityRps: 300, certifiedAt: 3000, target: 'http://a' }),
      capacityEvent(3, 'vendor', { pool: 'vendor', capacityRps: 900, certifiedAt: 4000 }),
      capacityEvent(4, 'inhouse', { pool: 'inhouse', capacityRps: 'lots', certifiedAt: 5000 }),
      capacityEvent(5, 'inhouse', { pool: 'inhouse', capacityRps: 50, certifiedAt: 100 }),
    ];
    assert.deepEqual(latestCapacity(events, 'inhouse', 1000), {
      pool: 'inhouse',
      capacityRps: 300,
      certifiedAt: 3000,
      eventId: 2,
      target: 'http://a',
    });
    assert.equal(latestCapacity(events, 'inhouse', 3500), null);
    assert.equal(latestCapacity(events, 'nothing', 0), null);
  });
});
