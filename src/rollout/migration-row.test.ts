import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromRow, ROW_VERSION, toRow } from './migration-row.ts';
import type { MigrationState } from './migration-state.ts';

const KEY = 'rollout/migration/7';
const state: MigrationState = {
  id: '7',
  plan: { route: 'web', from: 'vendor', to: 'inhouse', steps: [1, 5, 100], stepDurationMs: 60_000, headroom: 2, expectedPeakRps: null },
  phase: 'rolling_back',
  stepIndex: 1,
  targetPercent: 1,
  stepStartedAt: 1000,
  createdAt: 500,
  updatedAt: 2000,
  actor: 'dinesh',
  override: null,
  headroomOverride: { reason: 'drill', actor: 'dinesh', at: 500, configured: 2, headroom: 1.5 },
  paused: null,
  hold: { reason: 'gate', since: 1500, detail: 'step 2: over capacity' },
  rollback: {
    reason: 'aborted',
    hard: false,
    firstFailureAt: null,
    startedAt: 2000,
    actor: 'dinesh',
    stages: [0],
    stageStartedAt: 2000,
    endPhase: 'aborted',
  },
  seq: 5,
  endedAt: null,
};

describe('migration state rows', () => {
  it('are written with version 1 and read back as they were', () => {
    const row = toRow(state);
    assert.equal(row.version, ROW_VERSION);
    assert.deepEqual(fromRow(KEY, JSON.parse(JSON.stringify(row))), state);
  });

  it('reads a row from before versions (the same shape, perhaps without headroomOverride) as version 1', () => {
    const { headroomOverride: _, ...old } = state;
    assert.deepEqual(fromRow(KEY, old), { ...state, headroomOverride: null });
  });

  it('refuses a version it does not know, naming the row and the version', () => {
    assert.throws(() => fromRow(KEY, { ...toRow(state), version: 2 }), {
      code: 'PIPER_ROLLOUT_STATE_UNREADABLE',
      message: /"rollout\/migration\/7" has version 2; this piper reads version 1/,
    });
  });

  it('refuses a row that is not a migration state, naming the field', () => {
    assert.throws(() => fromRow(KEY, { ...toRow(state), phase: 'flying' }), {
      code: 'PIPER_ROLLOUT_STATE_UNREADABLE',
      message: /"rollout\/migration\/7" is not a migration's state \(phase: /,
    });
    assert.throws(() => fromRow(KEY, 'running'), { code: 'PIPER_ROLLOUT_STATE_UNREADABLE' });
  });
});
