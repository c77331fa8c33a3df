import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateGate, routeLimits } from '../../rollout/index.ts';
import { createStyle } from '../terminal-style.ts';
import { gateReport } from './gate-report.ts';

const HOUR = 3_600_000;

test('the gate report writes its rates as people read them: 56.6/s and 28.3/s, not 56.57/s and 28.285/s', () => {
  const gate = evaluateGate({
    share: 1,
    currentRps: 20,
    peakRps: 30.123,
    expectedPeakRps: null,
    headroom: 2,
    pool: 'inhouse',
    certificates: [
      {
        pool: 'inhouse',
        capacityRps: 56.57,
        certifiedAt: 9 * HOUR,
        eventId: 7,
        target: 'http://x',
        objective: { latencyMs: 200, percentile: 99, maxErrorRatio: 0.001 },
        membership: null,
        mix: null,
      },
    ],
    requirements: {
      objective: routeLimits({ availability: 0.999, latencyThresholdMs: 300, latencyTarget: 0.99 }),
      membership: null,
      now: 10 * HOUR,
      maxAgeMs: 24 * HOUR,
    },
  });
  const lines = gateReport(gate, createStyle(false)).split('\n');
  assert.deepEqual(lines.slice(2, 3), ['inhouse   100%  peak   30.1/s     30.1/s     56.6/s        2x   28.3/s']);
  assert.ok(lines.includes('  ✗ over capacity: certified 56.6/s < 2 × peak 30.1/s = 60.2/s'), lines.join('\n'));
});
