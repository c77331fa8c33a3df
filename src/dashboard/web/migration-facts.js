// Reading a migration as the rollout API returns it (its MigrationState, plus gate, judge and
// decisions on the detail): tolerant of missing parts, so an older or newer API still renders.

import { badge } from './element.js';

const FINAL = ['completed', 'rolled_back', 'aborted'];

/** @param {any} m */
export function phaseOf(m) {
  return String(m?.phase ?? m?.state ?? m?.status ?? 'unknown');
}

/** @param {any} m */
export function isActive(m) {
  return !FINAL.includes(phaseOf(m));
}

/**
 * @param {any} m
 * @returns {{ route: string, from: string, to: string, steps: number[], stepDurationMs: number | null, headroom: number | null }}
 */
export function migrationPlan(m) {
  const p = m?.plan ?? m ?? {};
  return {
    route: String(p.route ?? m?.route ?? '?'),
    from: String(p.from ?? m?.from ?? '?'),
    to: String(p.to ?? m?.to ?? '?'),
    steps: Array.isArray(p.steps) ? p.steps.map(Number) : [],
    stepDurationMs: typeof p.stepDurationMs === 'number' ? p.stepDurationMs : null,
    headroom: typeof p.headroom === 'number' ? p.headroom : null,
  };
}

/** @param {any} m */
export function stepIndexOf(m) {
  return typeof m?.stepIndex === 'number' ? m.stepIndex : typeof m?.currentStep === 'number' ? m.currentStep : -1;
}

/** @param {any} m */
export function stepLabel(m) {
  const { steps } = migrationPlan(m);
  const i = stepIndexOf(m);
  const pct = typeof m?.targetPercent === 'number' ? m.targetPercent : steps[i];
  return `${i + 1}/${steps.length} · ${typeof pct === 'number' ? `${pct}%` : '—'} on target`;
}

/** @param {any} m */
export function phaseBadge(m) {
  const phase = phaseOf(m);
  const tone =
    { running: 'info', paused: 'warn', rolling_back: 'bad', completed: 'ok', rolled_back: 'bad', aborted: 'muted' }[phase] ?? 'muted';
  return badge(phase.replace(/_/g, ' '), tone);
}
