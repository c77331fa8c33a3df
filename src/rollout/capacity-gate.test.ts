import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JournalEvent } from '../journal/index.ts';
import { type CapacityCertificate, capacityCertificates } from './capacity-certificate.ts';
import { evaluateGate, type GateInput, lastSafeStep, refusalText, sourceCanAbsorb } from './capacity-gate.ts';
import { type CertificateRequirements, routeLimits } from './certificate-choice.ts';
import { membershipOf } from './pool-membership.ts';

const HOUR = 3_600_000;
const members = membershipOf([
  { name: 'i1', url: 'http://10.0.0.1:80', weight: 100 },
  { name: 'i2', url: 'http://10.0.0.2:80', weight: 100 },
]);
/** The seed's route: p99 < 300 ms, 99.9 % available (an error budget of 0.1 %). */
const requirements: CertificateRequirements = {
  objective: routeLimits({ availability: 0.999, latencyThresholdMs: 300, latencyTarget: 0.99 }),
  membership: members,
  now: 10 * HOUR,
  maxAgeMs: 24 * HOUR,
};

function certificate(over: Partial<CapacityCertificate> = {}): CapacityCertificate {
  return {
    pool: 'inhouse',
    capacityRps: 400,
    certifiedAt: 9 * HOUR,
    eventId: 7,
    target: 'http://x',
    objective: { latencyMs: 200, percentile: 99, maxErrorRatio: 0.001 },
    membership: members,
    mix: null,
    ...over,
  };
}

const cert = certificate();
const load: Omit<GateInput, 'share'> = {
  currentRps: 100,
  peakRps: 150,
  expectedPeakRps: null,
  headroom: 2,
  pool: 'inhouse',
  certificates: [cert],
  requirements,
};

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
    assert.deepEqual(r.refusals, []);
    assert.equal(r.certificate?.counts, true);
  });

  it('refuses a pool certified below twice the peak, with the numbers', () => {
    const r = evaluateGate({ ...load, share: 1, peakRps: 250 });
    assert.equal(r.passed, false);
    assert.equal(r.reason, 'over_capacity');
    assert.deepEqual([r.projectedRps, r.capacityRps, r.headroom, r.allowedRps, r.capacityEventId], [250, 400, 2, 200, 7]);
    assert.equal(refusalText(r), 'over capacity: certified 400/s < 2 × peak 250/s = 500/s');
  });

  it('writes the refusal rates rounded as people read them, keeping every digit in the figures', () => {
    const r = evaluateGate({ ...load, share: 1, currentRps: 20, peakRps: 28.285, certificates: [certificate({ capacityRps: 56.4321 })] });
    assert.equal(r.passed, false);
    assert.equal(r.capacityRps, 56.4321);
    assert.equal(refusalText(r), 'over capacity: certified 56.4/s < 2 × peak 28.3/s = 56.6/s');
  });

  it('uses the configured expected peak when it is the highest', () => {
    const r = evaluateGate({ ...load, share: 0.5, expectedPeakRps: 500 });
    assert.equal(r.basis, 'expectedPeak');
    assert.equal(r.projectedRps, 250);
    assert.equal(r.passed, false);
    assert.equal(refusalText(r), 'over capacity: certified 400/s < 2 × 50% of expected peak 500/s = 500/s');
  });

  it('refuses a pool with no capacity result', () => {
    const r = evaluateGate({ ...load, share: 0.01, certificates: [] });
    assert.equal(r.passed, false);
    assert.equal(r.reason, 'no_capacity_result');
    assert.match(refusalText(r), /no capacity result for pool "inhouse"/);
  });

  it('finds the last safe step below the current one', () => {
    const steps = [1, 5, 10, 25, 50, 100];
    const gate = (share: number) => evaluateGate({ ...load, currentRps: 1000, peakRps: 1000, share });
    // 200 rps allowed of 1000: 10 % and 25 %... 25 % is 250 > 200, so 10 % (index 2).
    assert.equal(lastSafeStep(steps, 4, gate), 2);
    assert.equal(lastSafeStep(steps, 1, gate), 1);
    const none = (share: number) => evaluateGate({ ...load, certificates: [], share });
    assert.equal(lastSafeStep(steps, 5, none), -1);
  });

  it('knows whether the source can absorb a rollback', () => {
    assert.equal(sourceCanAbsorb(300, 1, cert), true);
    assert.equal(sourceCanAbsorb(500, 1, cert), false);
    assert.equal(sourceCanAbsorb(500, 1, null), true);
  });

  it('reads every valid capacity result for the pool, newest first, and ignores others', () => {
    const events = [
      capacityEvent(1, 'inhouse', { pool: 'inhouse', capacityRps: 100, certifiedAt: 2000 }),
      capacityEvent(2, 'inhouse', {
        pool: 'inhouse',
        capacityRps: 300,
        certifiedAt: 3000,
        target: 'http://a',
        slo: { p99Ms: 200, maxErrorRatio: 0.001 },
        membership: members,
        mix: [{ method: 'GET', path: '/', share: 1, bodyBytes: 0 }],
      }),
      capacityEvent(3, 'vendor', { pool: 'vendor', capacityRps: 900, certifiedAt: 4000 }),
      capacityEvent(4, 'inhouse', { pool: 'inhouse', capacityRps: 'lots', certifiedAt: 5000 }),
      capacityEvent(5, 'inhouse', { pool: 'inhouse', capacityRps: 50, certifiedAt: 100 }),
    ];
    const certs = capacityCertificates(events, 'inhouse');
    assert.deepEqual(
      certs.map((c) => c.eventId),
      [2, 1, 5],
    );
    assert.deepEqual(certs[0], {
      pool: 'inhouse',
      capacityRps: 300,
      certifiedAt: 3000,
      eventId: 2,
      target: 'http://a',
      objective: { latencyMs: 200, percentile: 99, maxErrorRatio: 0.001 },
      membership: members,
      mix: [{ method: 'GET', path: '/', share: 1, bodyBytes: 0 }],
    });
    assert.equal(certs[1]?.objective, null);
    assert.deepEqual(capacityCertificates(events, 'nothing'), []);
  });

  it('dates a result by when the control plane recorded it, if that is earlier than it claims', () => {
    const events = [capacityEvent(1, 'inhouse', { pool: 'inhouse', capacityRps: 100, certifiedAt: 10 * HOUR, recordedAt: 2 * HOUR })];
    assert.equal(capacityCertificates(events, 'inhouse')[0]?.certifiedAt, 2 * HOUR);
  });
});
