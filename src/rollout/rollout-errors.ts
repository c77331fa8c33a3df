import { PiperError } from '../core/index.ts';
import { type GateResult, refusalText } from './capacity-gate.ts';
import type { MigrationPlan } from './migration-state.ts';

/** Operator mistakes and gate refusals are answers, not faults: they are not logged as errors. */
export function isExpected(err: unknown): boolean {
  return err instanceof PiperError && (err.source === 'operator' || err.code === 'PIPER_ROLLOUT_GATE_REFUSED');
}

/** An invalid migration request (HTTP 400). */
export function badRequest(message: string): PiperError {
  return new PiperError('PIPER_ROLLOUT_BAD_REQUEST', message, { source: 'operator', details: { status: 400 } });
}

/** No migration with that id (HTTP 404). */
export function notFound(id: string): PiperError {
  return new PiperError('PIPER_ROLLOUT_NOT_FOUND', `no migration "${id}"`, { source: 'operator', details: { status: 404 } });
}

/** An action the migration's phase does not allow (HTTP 409). */
export function invalidTransition(id: string, phase: string, allowed: readonly string[]): PiperError {
  return new PiperError('PIPER_ROLLOUT_INVALID_TRANSITION', `migration ${id} is ${phase}; this needs it ${allowed.join(' or ')}`, {
    source: 'operator',
    details: { status: 409, phase },
  });
}

/** The capacity gate's refusal, naming every check that failed with its numbers; the figures in `details.gate` (HTTP 409). */
export function gateRefused(plan: MigrationPlan, gate: GateResult): PiperError {
  return new PiperError(
    'PIPER_ROLLOUT_GATE_REFUSED',
    `capacity gate refused moving "${plan.route}" to "${plan.to}": ${refusalText(gate)}`,
    {
      source: 'operator',
      details: { status: 409, gate },
    },
  );
}
