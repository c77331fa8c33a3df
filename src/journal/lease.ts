import { PiperError } from '../core/index.ts';
import { journalErrors } from './journal-errors.ts';

/**
 * A named lease as the journal store holds it (docs/adr/0004-leader-lease.md). The term rises each
 * time the lease is taken rather than renewed, so it fences: a write or a split carrying an older
 * term comes from a holder that has since lost it.
 */
export interface LeaseRecord {
  holder: string;
  term: number;
  /** What the holder advertises (its URL, for "the leader is cp-1 at http://…"). */
  info: Record<string, unknown>;
  /** When it lapses unless renewed, in ms since the epoch by the database's clock. */
  expiresAt: number;
}

/** The answer to `acquireLease`: the lease as it stands, and whether the caller holds it now. */
export interface LeaseAnswer extends LeaseRecord {
  held: boolean;
}

/** What a fenced write must still find in the lease row, in its own transaction. */
export interface LeaseFence {
  lease: string;
  holder: string;
  term: number;
}

/** Checks the arguments of `acquireLease` before any store sees them. */
export function validateLeaseRequest(name: string, holder: string, ttlMs: number): void {
  const bad = (field: string, problem: string): PiperError =>
    new PiperError(journalErrors.PIPER_JOURNAL_BAD_LEASE, `lease ${field} ${problem}`, { details: { field } });
  if (typeof name !== 'string' || name.length === 0 || name.length > 128) throw bad('name', 'must be a string of 1 to 128 characters');
  if (typeof holder !== 'string' || holder.length === 0 || holder.length > 256)
    throw bad('holder', 'must be a string of 1 to 256 characters');
  if (!Number.isInteger(ttlMs) || ttlMs <= 0) throw bad('ttlMs', 'must be a positive whole number of ms');
}

/**
 * The refusal of a write from a process that is not the leader (HTTP 409): a fenced write whose
 * term or holder no longer match, or a request sent to a follower. Names who holds the lease.
 */
export function notLeaderError(fence: LeaseFence, current: LeaseRecord | null): PiperError {
  const now =
    current === null ? `nobody holds lease "${fence.lease}"` : `lease "${fence.lease}" is held by ${current.holder} (term ${current.term})`;
  return new PiperError(
    journalErrors.PIPER_NOT_LEADER,
    `${fence.holder} (term ${fence.term}) is no longer the leader: ${now}; the write was not made`,
    {
      details: { lease: fence.lease, holder: current?.holder ?? null, term: current?.term ?? null },
    },
  );
}
