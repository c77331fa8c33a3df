// Reading a migration as the rollout API returns it (`MigrationView` in the list, `MigrationDetail`
// on one: docs/api.md, "Rollout"): its phase, plan and step, named once for every view.

import { badge } from './element.js';

/** @typedef {import('./api.js').MigrationView} MigrationView */
/** @typedef {import('./api.js').MigrationPlan} MigrationPlan */

const FINAL = ['completed', 'rolled_back', 'aborted'];

/** @param {MigrationView} m */
export function phaseOf(m) {
  return m.phase;
}

/** @param {MigrationView} m */
export function isActive(m) {
  return !FINAL.includes(phaseOf(m));
}

/**
 * @param {MigrationView} m
 * @returns {MigrationPlan}
 */
export function migrationPlan(m) {
  return m.plan;
}

/** Index into the plan's steps, -1 before any traffic moved. @param {MigrationView} m */
export function stepIndexOf(m) {
  return m.stepIndex;
}

/** @param {MigrationView} m */
export function stepLabel(m) {
  return `${stepIndexOf(m) + 1}/${migrationPlan(m).steps.length} · ${m.targetPercent}% on target`;
}

/** @param {MigrationView} m */
export function phaseBadge(m) {
  const phase = phaseOf(m);
  const tone =
    { running: 'info', paused: 'warn', rolling_back: 'bad', completed: 'ok', rolled_back: 'bad', aborted: 'muted' }[phase] ?? 'muted';
  return badge(phase.replace(/_/g, ' '), tone);
}
