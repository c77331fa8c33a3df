import type { RouteState } from '../data-plane/index.ts';
import { type EventInputOf, eventOf, type JournalEventInput } from '../journal/index.ts';
import type { GateResult } from './capacity-gate.ts';
import type { Transition } from './migration-input.ts';
import { type MigrationPlan, type MigrationState, splitFor } from './migration-state.ts';
import { ACTOR } from './migration-transitions.ts';

/** A transition's event: the facts every transition records, then its own. */
export function transitionEvent(t: Transition): JournalEventInput {
  const { state, event, data, actor } = t;
  return eventOf(event, {
    source: 'rollout',
    subject: state.plan.route,
    actor,
    // The transition's own data is typed per kind; TypeScript cannot add the common facts to a union's data.
    data: {
      migration: state.id,
      route: state.plan.route,
      from: state.plan.from,
      to: state.plan.to,
      seq: state.seq,
      phase: state.phase,
      stepIndex: state.stepIndex,
      targetPercent: state.targetPercent,
      ...data,
    } as EventInputOf<typeof event>['data'],
  });
}

/** What the controller found on the data plane against the journal's state, and what it does about it. */
export function recoveredEvent(
  state: MigrationState,
  route: RouteState | null,
  restarted: 'controller' | 'data_plane',
  action: 'reapplied' | 'paused' | 'finished_rollback',
): JournalEventInput {
  return {
    kind: 'migration.recovered',
    source: 'rollout',
    subject: state.plan.route,
    actor: ACTOR,
    data: {
      migration: state.id,
      route: state.plan.route,
      from: state.plan.from,
      to: state.plan.to,
      seq: state.seq,
      phase: state.phase,
      targetPercent: state.targetPercent,
      observedSplit: route?.split ?? null,
      recordedSplit: splitFor(state.plan, state.targetPercent),
      splitOrigin: route === null ? null : { kind: route.splitOrigin.kind, at: route.splitOrigin.at },
      restarted,
      action,
    },
  };
}

/** The gate refused a start, a step or a promotion (`id` null for a start: no migration exists). */
export function gateRefusedEvent(plan: MigrationPlan, gate: GateResult, actor: string, id: string | null): JournalEventInput {
  return {
    kind: 'migration.gate_refused',
    source: 'rollout',
    subject: plan.route,
    actor,
    data: { migration: id, ...gateFacts(plan, gate), plan, gate },
  };
}

/** A start despite the gate's refusal, with who and why. */
export function gateOverriddenEvent(plan: MigrationPlan, gate: GateResult, actor: string, id: string, reason: string): JournalEventInput {
  return {
    kind: 'migration.gate_overridden',
    source: 'rollout',
    subject: plan.route,
    actor,
    data: { migration: id, reason, who: actor, ...gateFacts(plan, gate), gate },
  };
}

/** The headline figures of a gate verdict, flat, for the journal's summaries and postmortems. */
function gateFacts(plan: MigrationPlan, gate: GateResult) {
  return {
    route: plan.route,
    from: plan.from,
    to: plan.to,
    capacityRps: gate.capacityRps,
    requiredRps: Math.round(gate.projectedRps * gate.headroom * 1000) / 1000,
    projectedRps: gate.projectedRps,
    headroom: gate.headroom,
    /** Why it refused (or would have), one line per failed check. */
    refusals: gate.refusals.map((r) => r.message),
  };
}
