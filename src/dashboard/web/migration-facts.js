// Reading a migration as the rollout API returns it (`MigrationView` in the list, `MigrationDetail`
// on one: docs/api.md, "Rollout"): its phase, plan and step, named once for every view.

import { badge } from './element.js';

const FINAL = ['completed', 'rolled_back', 'aborted'];

/** @param {any} m a MigrationView */
export function phaseOf(m) {
  return String(m.phase);
}

/** @param {any} m a MigrationView */
export function isActive(m) {
  return !FINAL.includes(phaseOf(m));
}

/**
 * @param {any} m a MigrationView
 * @returns {{ route: string, from: string, to: string, steps: number[], stepDurationMs: number, headroom: number }}
 */
export function migrationPlan(m) {
  return m.plan;
}

/** Index into the plan's steps, -1 before any traffic moved. @param {any} m a MigrationView */
export function stepIndexOf(m) {
  return Number(m.stepIndex);
}

/** @param {any} m a MigrationView */
export function stepLabel(m) {
  return `${stepIndexOf(m) + 1}/${migrationPlan(m).steps.length} · ${m.targetPercent}% on target`;
}

/** @param {any} m a MigrationView */
export function phaseBadge(m) {
  const phase = phaseOf(m);
  const tone =
    { running: 'info', paused: 'warn', rolling_back: 'bad', completed: 'ok', rolled_back: 'bad', aborted: 'muted' }[phase] ?? 'muted';
  return badge(phase.replace(/_/g, ' '), tone);
}
