import { z } from 'zod';
import { PiperError } from '../core/index.ts';
import { planSchema } from '../journal/index.ts';
import type { MigrationState } from './migration-state.ts';
import { rolloutErrors } from './rollout-errors.ts';

/** The version of the state row this piper writes. */
export const ROW_VERSION = 1;

const who = z.object({ reason: z.string(), actor: z.string(), at: z.number() });

const stateV1 = z.object({
  id: z.string(),
  plan: planSchema,
  phase: z.enum(['running', 'paused', 'rolling_back', 'completed', 'rolled_back', 'aborted']),
  stepIndex: z.number().int(),
  targetPercent: z.number(),
  stepStartedAt: z.number(),
  createdAt: z.number(),
  updatedAt: z.number(),
  actor: z.string(),
  override: who.nullable(),
  // Absent in rows written before lowering the headroom was an override: none was.
  headroomOverride: who.extend({ configured: z.number(), headroom: z.number() }).nullable().default(null),
  paused: who.nullable(),
  hold: z
    .object({
      reason: z.enum(['no_target_data', 'no_telemetry', 'incomplete_telemetry', 'gate', 'judge']),
      since: z.number(),
      detail: z.string(),
    })
    .nullable(),
  rollback: z
    .object({
      reason: z.string(),
      hard: z.boolean(),
      firstFailureAt: z.number().nullable(),
      startedAt: z.number(),
      actor: z.string(),
      stages: z.array(z.number()),
      stageStartedAt: z.number(),
      endPhase: z.enum(['rolled_back', 'aborted']),
    })
    .nullable(),
  seq: z.number().int(),
  endedAt: z.number().nullable(),
});

// The schema and the type must describe the same row (as read: with `headroomOverride`, null for
// none): a field added to one and not the other fails to compile here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type ReadState = MigrationState & Required<Pick<MigrationState, 'headroomOverride'>>;
const schemaMatchesState: Same<z.infer<typeof stateV1>, ReadState> = true;
void schemaMatchesState;

/** A migration's state as the journal's state row holds it. */
export function toRow(state: MigrationState): { version: typeof ROW_VERSION } & MigrationState {
  return { version: ROW_VERSION, ...state };
}

/**
 * A migration's state from its state row (`key` names it in errors). A row without a version
 * (written before rows had one) is read as version 1, the same shape; any other version, or a
 * row that is not a migration's state, is refused with PIPER_ROLLOUT_STATE_UNREADABLE rather than
 * driven on a guess.
 */
export function fromRow(key: string, row: unknown): MigrationState {
  const version = row !== null && typeof row === 'object' && 'version' in row ? row.version : undefined;
  if (version !== undefined && version !== ROW_VERSION) {
    throw unreadable(
      key,
      `has version ${JSON.stringify(version)}; this piper reads version ${ROW_VERSION} (and rows without a version): run the piper that wrote it, or a newer one`,
      { version },
    );
  }
  const parsed = stateV1.safeParse(row);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? '' : `${issue.path.join('.')}: `;
    throw unreadable(key, `is not a migration's state (${where}${issue?.message ?? 'invalid'})`, { version: version ?? null });
  }
  return parsed.data;
}

function unreadable(key: string, what: string, details: Record<string, unknown>): PiperError {
  return new PiperError(rolloutErrors.PIPER_ROLLOUT_STATE_UNREADABLE, `journal state row "${key}" ${what}`, {
    details: { key, ...details },
  });
}
