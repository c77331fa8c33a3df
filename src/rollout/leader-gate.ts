import { PiperError } from '../core/index.ts';
import type { LeaderInfo, LeaseFence } from '../journal/index.ts';
import { journalErrors } from '../journal/index.ts';

/** What the rollout API and the controller host ask of leader election: a journal `Leadership`. */
export interface LeaderGate {
  /** This control plane's name in the lease. */
  readonly name: string;
  /** The lease's name (`control`). */
  readonly lease: string;
  /** True only while this process leads, by its own monotonic clock (checked before acting). */
  holds(): boolean;
  /** The holder and term this process leads at, or null. */
  fence(): LeaseFence | null;
  /** The current leader, as last seen (this process or another), or null when none holds the lease. */
  leader(): LeaderInfo | null;
}

/** The leader a refusal names, as the 409 body carries it for clients to resend. */
export interface LeaderAnswer {
  holder: string;
  term: number;
  url: string | null;
}

/**
 * A write sent to a follower (HTTP 409): names the leader and where to send it instead, or says
 * that nobody leads right now (retryable: a follower takes over within about one lease).
 */
export function followerRefusal(gate: LeaderGate): PiperError {
  const leader = gate.leader();
  const known = leader !== null && !leader.self;
  const where = known
    ? `the leader is ${leader.holder} (term ${leader.term})${leader.url === null ? '' : ` at ${leader.url}`}: send the request there`
    : 'no control plane leads right now (the lease is being taken over): retry in a few seconds';
  const answer: LeaderAnswer | null = known ? { holder: leader.holder, term: leader.term, url: leader.url } : null;
  return new PiperError(journalErrors.PIPER_NOT_LEADER, `this control plane (${gate.name}) is a follower; ${where}`, {
    retryable: !known,
    details: { leader: answer },
  });
}

/** A split or heartbeat refused because this process no longer leads at `term`. */
export function notLeading(gate: LeaderGate, term: number, what: string): PiperError {
  return new PiperError(journalErrors.PIPER_NOT_LEADER, `${gate.name} no longer leads at term ${term}: ${what} not sent`, {
    details: { term },
  });
}
