import { defineErrors, PiperError } from '../core/index.ts';
import { type GateResult, refusalText } from './capacity-gate.ts';
import type { MigrationPlan } from './migration-state.ts';

/** The rollout's error codes: what each means and what to do (docs/errors.md is generated from them). */
export const rolloutErrors = defineErrors({
  PIPER_ROLLOUT_BAD_REQUEST: {
    status: 400,
    source: 'operator',
    retryable: false,
    meaning:
      'A migration request was invalid: unknown route or pool, source equals target, a route not wholly on its source, steps not increasing to 100, a bad duration. The message names the field.',
    whatToDo: 'Fix the named field; `piper migrate start --help` lists the options.',
  },
  PIPER_ROLLOUT_NOT_FOUND: {
    status: 404,
    source: 'operator',
    retryable: false,
    meaning: 'No migration has that id.',
    whatToDo: '`piper migrate status` lists migrations.',
  },
  PIPER_ROLLOUT_ALREADY_ACTIVE: {
    status: 409,
    source: 'operator',
    retryable: false,
    meaning: 'The route already has a running, paused or rolling-back migration.',
    whatToDo: 'Finish, promote or abort that one first.',
  },
  PIPER_ROLLOUT_GATE_REFUSED: {
    status: 409,
    source: 'operator',
    retryable: false,
    meaning:
      "The capacity gate refused, naming each failed check with its numbers: no capacity result for the target pool; its objective is looser than the route's SLO; it certified another membership of the pool (stale); it is older than `migration.capacityMaxAge` (expired); or share × max(current, peak, expected peak) exceeds certified capacity ÷ headroom (HTTP 409; the body's `gate.refusals` holds the checks and figures).",
    whatToDo:
      'Certify the pool as it is now with `piper capacity --control-plane` under an SLO at least as strict as the route\'s, add backends, or start with `--override-capacity-gate "reason"` (journaled with who and why).',
  },
  PIPER_ROLLOUT_INVALID_TRANSITION: {
    status: 409,
    source: 'operator',
    retryable: false,
    meaning: "The action does not apply in the migration's phase, e.g. pausing a completed one.",
    whatToDo: 'Check the phase with `piper migrate status ID`.',
  },
  PIPER_ROLLOUT_STATE_UNREADABLE: {
    status: 500,
    source: 'internal',
    retryable: false,
    meaning:
      "A migration's state row in the journal has a version this piper does not read (a newer piper wrote it), or is not a migration's state; the message names the row and the version or field. A row without a version, from before rows had one, is read as version 1.",
    whatToDo: 'Run the piper that wrote the journal, or a newer one; the controller does not drive a migration it cannot read.',
  },
  PIPER_ROLLOUT_METHOD_NOT_ALLOWED: {
    status: 405,
    source: 'downstream',
    retryable: false,
    meaning: 'A rollout API path was called with the wrong method (HTTP 405; `Allow` says which).',
    whatToDo: 'Use the method in docs/api.md.',
  },
  PIPER_ROLLOUT_API_UNREACHABLE: {
    source: 'upstream',
    retryable: true,
    meaning: '`piper migrate` could not reach the rollout API, or got an answer that was not JSON.',
    whatToDo: "Check `--admin` (piper up's admin URL, or the URL `piper migrate controller` printed).",
  },
});

declare module '../core/piper-error.ts' {
  interface PiperErrorCodes extends Record<keyof typeof rolloutErrors, true> {}
}

/** Operator mistakes and gate refusals are answers, not faults: they are not logged as errors. */
export function isExpected(err: unknown): boolean {
  return err instanceof PiperError && (err.source === 'operator' || err.code === 'PIPER_ROLLOUT_GATE_REFUSED');
}

/** An invalid migration request (HTTP 400). */
export function badRequest(message: string): PiperError {
  return new PiperError(rolloutErrors.PIPER_ROLLOUT_BAD_REQUEST, message);
}

/** No migration with that id (HTTP 404). */
export function notFound(id: string): PiperError {
  return new PiperError(rolloutErrors.PIPER_ROLLOUT_NOT_FOUND, `no migration "${id}"`);
}

/** An action the migration's phase does not allow (HTTP 409). */
export function invalidTransition(id: string, phase: string, allowed: readonly string[]): PiperError {
  return new PiperError(
    rolloutErrors.PIPER_ROLLOUT_INVALID_TRANSITION,
    `migration ${id} is ${phase}; this needs it ${allowed.join(' or ')}`,
    {
      details: { phase },
    },
  );
}

/** The capacity gate's refusal, naming every check that failed with its numbers; the figures in `details.gate` (HTTP 409). */
export function gateRefused(plan: MigrationPlan, gate: GateResult): PiperError {
  return new PiperError(
    rolloutErrors.PIPER_ROLLOUT_GATE_REFUSED,
    `capacity gate refused moving "${plan.route}" to "${plan.to}": ${refusalText(gate)}`,
    {
      details: { gate },
    },
  );
}
