import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultConfig } from '../config/index.ts';
import type { CapacityCertificate } from './capacity-certificate.ts';
import { evaluateGate, type GateResult } from './capacity-gate.ts';
import { routeLimits } from './certificate-choice.ts';
import { type JudgeDecision, StepJudge } from './judge.ts';
import { decide } from './migration-decision.ts';
import type { Command, Decision, InputColumn, Measured, MigrationInput } from './migration-input.ts';
import type { MigrationPhase, MigrationState } from './migration-state.ts';
import { membershipOf } from './pool-membership.ts';
import { histogramSlowCounter } from './slow-requests.ts';
import { syntheticWindow } from './synthetic-window.ts';

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
const NOW = T0 + 60_000;
const rules = defaultConfig().migration;
const STEPS = [1, 5, 10, 25, 50, 100];

const members = membershipOf([]);
const certificate: CapacityCertificate = {
  pool: 'inhouse',
  capacityRps: 4000,
  certifiedAt: T0,
  eventId: 1,
  target: null,
  objective: { latencyMs: 200, percentile: 99, maxErrorRatio: 0.001 },
  membership: members,
  mix: null,
};

/** The gate for every step, on a route at `peakRps` (the target certified at 4000/s, headroom 2: 2000/s fits). */
function gates(peakRps: number): GateResult[] {
  return STEPS.map((p) =>
    evaluateGate({
      pool: 'inhouse',
      share: p / 100,
      currentRps: peakRps,
      peakRps,
      expectedPeakRps: null,
      certificates: [certificate],
      requirements: {
        objective: routeLimits({ availability: 0.999, latencyThresholdMs: 500, latencyTarget: 0.99 }),
        membership: members,
        now: NOW,
        maxAgeMs: 86_400_000,
      },
      headroom: 2,
    }),
  );
}

const measured = (peakRps = 1000, source: Measured['source'] = { currentRps: 1000, capacity: null }): Measured => ({
  gates: gates(peakRps),
  source,
});

function state(phase: MigrationPhase, over: Partial<MigrationState> = {}): MigrationState {
  const stepIndex = phase === 'completed' ? 5 : 1;
  return {
    id: '7',
    plan: { route: 'web', from: 'vendor', to: 'inhouse', steps: STEPS, stepDurationMs: 10_000, headroom: 2, expectedPeakRps: null },
    phase,
    stepIndex,
    targetPercent: phase === 'rolled_back' || phase === 'aborted' ? 0 : (STEPS[stepIndex] as number),
    stepStartedAt: T0,
    createdAt: T0 - 60_000,
    updatedAt: T0,
    actor: 'ops',
    override: null,
    headroomOverride: null,
    paused: phase === 'paused' ? { reason: 'look', actor: 'ops', at: T0 } : null,
    hold: null,
    rollback:
      phase === 'rolling_back'
        ? {
            reason: 'aborted',
            hard: false,
            firstFailureAt: null,
            startedAt: T0,
            actor: 'ops',
            stages: [0],
            stageStartedAt: T0,
            endPhase: 'aborted',
          }
        : null,
    seq: 4,
    endedAt: phase === 'completed' || phase === 'rolled_back' || phase === 'aborted' ? T0 : null,
    ...over,
  };
}

/** The judge's verdict on one window: 100 target requests (`failed` of them failing) beside 900 on the source. */
function judged(failed = 0, incomplete: string | null = null): JudgeDecision {
  const judge = new StepJudge(
    {
      ...rules.judge,
      alpha: rules.judge.alpha / STEPS.length,
      latencyThresholdMs: 500,
      minSamples: 10,
      pools: { target: 'inhouse', source: 'vendor' },
    },
    histogramSlowCounter,
  );
  const w = syntheticWindow(NOW - 1000, 'web', { inhouse: { requests: 100, failed }, vendor: { requests: 900 } });
  return judge.observe(w.start, w.pools.inhouse, w.pools.vendor, true, incomplete);
}

const COMMANDS: Record<Command['kind'], Command> = {
  pause: { kind: 'pause', actor: 'ops', reason: 'look' },
  resume: { kind: 'resume', actor: 'ops', reason: 'seen' },
  promote: { kind: 'promote', actor: 'ops', all: false },
  abort: { kind: 'abort', actor: 'ops', reason: 'enough' },
};

/** The representative input of each column: healthy figures, the step's time up, a hard failure in the open window. */
function input(column: InputColumn, m: Measured = measured()): MigrationInput {
  switch (column) {
    case 'start':
      return { kind: 'start', now: NOW, actor: 'ops', measured: m };
    case 'window_closed':
      return {
        kind: 'window_closed',
        now: NOW,
        windowStart: NOW - 1000,
        incomplete: null,
        judge: judged(),
        failureSince: null,
        measured: m,
      };
    case 'tick':
      return {
        kind: 'tick',
        now: NOW,
        lastWindowAt: NOW - 100,
        lastWindowEnd: NOW,
        incompleteUntil: 0,
        latestVerdict: 'pass',
        targetRequests: 500,
        measured: m,
      };
    case 'open_window':
      return {
        kind: 'open_window',
        now: NOW,
        windowStart: NOW - 500,
        counts: { requests: 10, failed: 5, connectFailures: 0, firstFailureAt: NOW - 400 },
        failureSince: null,
        measured: m,
      };
    case 'split_reverted':
      return { kind: 'split_reverted', now: NOW, revertedAt: NOW - 5000, whileAway: false };
    case 'split_reset':
      return {
        kind: 'split_reset',
        now: NOW,
        route: { name: 'web', split: { vendor: 100 }, splitOrigin: { kind: 'config', at: NOW - 5000 }, pools: [] } as never,
      };
    default:
      return { kind: 'command', now: NOW, command: COMMANDS[column], measured: m };
  }
}

/** A decision in short: its effects in order, a transition by its event ('—' for none). */
function outcome(d: Decision): string {
  if (d.effects.length === 0) return '—';
  return d.effects.map((e) => (e.kind === 'transition' ? e.event : e.kind)).join(' ');
}

const STEP = 'step_ended migration.step fresh_evidence set_split';
const ROLLED_BACK = 'migration.rolling_back set_split before_rollback migration.rolled_back set_split retire';
const ABORTED = 'migration.rolling_back set_split before_rollback migration.aborted set_split retire';
const ENDED: Record<InputColumn, string> = {
  start: '—',
  window_closed: '—',
  tick: '—',
  open_window: '—',
  pause: 'refuse',
  resume: 'refuse',
  promote: 'refuse',
  abort: 'refuse',
  split_reverted: '—',
  split_reset: '—',
};

/** The table of docs/rollout.md, on the representative state of each phase (at step 2, 5 %, its time up). */
const TABLE: Record<MigrationPhase, Record<InputColumn, string>> = {
  running: {
    start: '—',
    window_closed: 'gate_seen record',
    tick: `gate_seen ${STEP}`,
    open_window: `record ${ROLLED_BACK}`,
    pause: 'migration.paused',
    resume: 'refuse',
    promote: STEP,
    abort: ABORTED,
    split_reverted: 'migration.paused',
    split_reset: 'recovered set_split',
  },
  paused: {
    start: '—',
    window_closed: 'gate_seen record',
    tick: '—',
    open_window: `record ${ROLLED_BACK}`,
    pause: 'refuse',
    resume: 'migration.resumed fresh_evidence',
    promote: STEP,
    abort: ABORTED,
    split_reverted: 'migration.paused',
    split_reset: 'recovered set_split',
  },
  rolling_back: {
    start: '—',
    window_closed: 'record',
    tick: 'migration.rollback_stage set_split migration.aborted set_split retire',
    open_window: 'record migration.rollback_stage set_split before_rollback migration.aborted set_split retire',
    pause: 'refuse',
    resume: 'refuse',
    promote: 'refuse',
    abort: 'refuse',
    split_reverted: 'migration.paused',
    split_reset: 'recovered set_split',
  },
  completed: ENDED,
  rolled_back: ENDED,
  aborted: ENDED,
};

const PHASES = Object.keys(TABLE) as MigrationPhase[];
const COLUMNS = Object.keys(TABLE.running) as InputColumn[];

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

describe('decide: the table', () => {
  it('covers every phase × input, and each cell decides what docs/rollout.md says', () => {
    assert.deepEqual(PHASES.sort(), ['aborted', 'completed', 'paused', 'rolled_back', 'rolling_back', 'running']);
    assert.deepEqual(COLUMNS.sort(), [
      'abort',
      'open_window',
      'pause',
      'promote',
      'resume',
      'split_reset',
      'split_reverted',
      'start',
      'tick',
      'window_closed',
    ]);
    for (const phase of PHASES) {
      for (const column of COLUMNS) {
        assert.equal(outcome(decide(state(phase), input(column), rules)), TABLE[phase][column], `${phase} × ${column}`);
      }
    }
  });

  it('in every cell: pure, journal first, one seq per transition, a refusal changes nothing', () => {
    for (const phase of PHASES) {
      for (const column of COLUMNS) {
        const where = `${phase} × ${column}`;
        const s = deepFreeze(state(phase));
        const d = decide(s, input(column), rules);
        // Pure: the same input decides the same again, and the state given is not touched (frozen).
        assert.deepEqual(decide(s, input(column), rules), d, where);
        let seq = s.seq;
        let journaled = column === 'split_reset'; // re-applies the split the journal already holds
        let last = s;
        for (const [i, e] of d.effects.entries()) {
          if (e.kind === 'transition') {
            assert.equal(e.state.seq, ++seq, `${where}: seq`);
            assert.equal(e.state.updatedAt, NOW, `${where}: time is the input's`);
            journaled = true;
            last = e.state;
          }
          // The data plane is told only a state journaled before it in the same decision.
          if (e.kind === 'set_split') assert.ok(journaled, `${where}: set_split before any transition`);
          if (e.kind === 'refuse') {
            assert.equal(i, d.effects.length - 1, `${where}: refuse is last`);
            assert.ok(!d.effects.some((x) => x.kind === 'transition'), `${where}: a refusal journals no transition`);
          }
        }
        assert.equal(d.next, last, `${where}: next is the state after the last transition`);
      }
    }
  });
});

describe('decide: a closed window', () => {
  it('rolls back at once on a hard failure, dated from the first failing response', () => {
    const d = decide(
      state('running'),
      { ...(input('window_closed') as Extract<MigrationInput, { kind: 'window_closed' }>), judge: judged(50), failureSince: NOW - 1500 },
      rules,
    );
    assert.equal(outcome(d), `record ${ROLLED_BACK}`);
    assert.equal(d.next.phase, 'rolled_back');
    const started = d.effects.find((e) => e.kind === 'transition' && e.event === 'migration.rolling_back');
    assert.ok(started?.kind === 'transition' && started.event === 'migration.rolling_back');
    assert.equal(started.data.firstFailureAt, NOW - 1500);
    assert.equal(started.data.hard, true);
  });

  it('holds once on a window that lacks data, saying what it lacked', () => {
    const lacking = {
      ...(input('window_closed') as Extract<MigrationInput, { kind: 'window_closed' }>),
      judge: judged(0, 'log lines lost'),
      incomplete: 'log lines lost',
    };
    const d = decide(state('running'), lacking, rules);
    assert.equal(outcome(d), 'record migration.held');
    assert.equal(d.next.hold?.reason, 'incomplete_telemetry');
    assert.match(d.next.hold?.detail ?? '', /log lines lost/);
    // Already held for it: no second hold, only the gate's re-check of the step.
    assert.equal(outcome(decide(d.next, lacking, rules)), 'gate_seen record');
  });

  it('backs off to the highest step that still fits when the route outgrows the gate, and holds there', () => {
    // 30 000/s against 4000/s certified at headroom 2 (2000/s allowed): 10 % (3000/s) no longer fits, 5 % (1500/s) does.
    const s = state('running', { stepIndex: 2, targetPercent: 10 });
    const d = decide(s, input('window_closed', measured(30_000)), rules);
    assert.equal(outcome(d), `gate_seen record ${STEP} migration.held`);
    assert.equal(d.next.stepIndex, 1);
    assert.equal(d.next.targetPercent, 5);
    assert.equal(d.next.hold?.reason, 'gate');
    assert.equal(outcome(decide(s, input('window_closed', measured(1000)), rules)), 'gate_seen record');
  });

  it('an overridden migration is not backed off', () => {
    const s = state('running', { stepIndex: 2, targetPercent: 10, override: { reason: 'drill', actor: 'ops', at: T0 } });
    assert.equal(outcome(decide(s, input('window_closed', measured(1_000_000)), rules)), 'gate_seen record');
  });
});

describe('decide: the tick', () => {
  it('takes the first step through the gate, or holds once and journals the refusal', () => {
    const fresh = state('running', { stepIndex: -1, targetPercent: 0 });
    assert.equal(outcome(decide(fresh, input('tick'), rules)), `gate_seen ${STEP}`);
    const refused = decide(fresh, input('tick', measured(1_000_000)), rules);
    assert.equal(outcome(refused), 'gate_seen gate_refused migration.held');
    assert.equal(outcome(decide(refused.next, input('tick', measured(1_000_000)), rules)), 'gate_seen');
  });

  it('waits out the step, a window in flight, a hold verdict; holds without telemetry or target data; completes after the last step', () => {
    const s = state('running');
    const tick = input('tick') as Extract<MigrationInput, { kind: 'tick' }>;
    assert.equal(outcome(decide(s, { ...tick, now: T0 + 5000 }, rules)), '—', 'the step is not over');
    assert.equal(outcome(decide(s, { ...tick, incompleteUntil: NOW - 5000 }, rules)), '—', 'counted from the last window that lacked data');
    assert.equal(outcome(decide(s, { ...tick, lastWindowEnd: NOW - 3000 }, rules)), '—', 'the last second is not in');
    assert.equal(outcome(decide(s, { ...tick, latestVerdict: 'hold' }, rules)), '—');
    const stale = decide(s, { ...tick, lastWindowAt: NOW - 3000 }, rules);
    assert.equal(stale.next.hold?.reason, 'no_telemetry');
    const idle = decide(s, { ...tick, targetRequests: 3 }, rules);
    assert.equal(idle.next.hold?.reason, 'no_target_data');
    assert.match(idle.next.hold?.detail ?? '', /3 target requests this step; 20 needed/);
    const last = state('running', { stepIndex: 5, targetPercent: 100 });
    assert.equal(outcome(decide(last, tick, rules)), 'step_ended migration.completed set_split retire');
  });

  it('steps a staged rollback down one stage per rollbackStageDuration', () => {
    const rb = state('rolling_back', { targetPercent: 5 });
    const staged = {
      ...rb,
      rollback: { ...(rb.rollback as NonNullable<MigrationState['rollback']>), stages: [1, 0], stageStartedAt: NOW - 1000 },
    };
    assert.equal(outcome(decide(staged, input('tick'), rules)), '—');
    const d = decide(staged, { ...(input('tick') as Extract<MigrationInput, { kind: 'tick' }>), now: NOW + 5000 }, rules);
    assert.equal(outcome(d), 'migration.rollback_stage set_split');
    assert.equal(d.next.targetPercent, 1);
    assert.deepEqual(d.next.rollback?.stages, [0]);
  });
});

describe('decide: commands', () => {
  it('stages an abort down the plan when the source cannot absorb the whole route', () => {
    const small = { ...certificate, pool: 'vendor', capacityRps: 100 };
    const d = decide(
      state('running', { stepIndex: 3, targetPercent: 25 }),
      input('abort', measured(1000, { currentRps: 1000, capacity: small })),
      rules,
    );
    assert.equal(outcome(d), 'migration.rolling_back set_split before_rollback');
    assert.equal(d.next.targetPercent, 10);
    assert.deepEqual(d.next.rollback?.stages, [5, 1, 0]);
  });

  it('promote is refused by the gate unless overridden; promote --all steps and completes', () => {
    const refused = decide(state('running'), input('promote', measured(1_000_000)), rules);
    assert.equal(outcome(refused), 'gate_refused refuse');
    const all = decide(
      state('paused'),
      { kind: 'command', now: NOW, command: { kind: 'promote', actor: 'ops', all: true }, measured: measured() },
      rules,
    );
    assert.equal(outcome(all), `${STEP} step_ended migration.completed set_split retire`);
    assert.equal(all.next.phase, 'completed');
  });
});
