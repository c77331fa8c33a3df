import { PiperError } from '../core/index.ts';
import type { Split } from './data-plane.ts';
import type { DataPlaneEventData } from './data-plane-event.ts';
import { dataPlaneErrors } from './data-plane-errors.ts';

/** What a data plane refused, as its `split.refused` event reports it. */
export type RefusedCommand = DataPlaneEventData['split.refused'];

/**
 * Fencing on a data plane (Kleppmann, "How to do distributed locking"; Chubby's sequencers): it
 * keeps the newest leader term it has seen and refuses a command from an older one, so a leader
 * that was paused past its lease and wakes up cannot undo what its successor did. A command
 * without a term is an operator's, taken as before. Terms equal to the newest are taken (the
 * same leader's next split); a newer one is adopted with its sender.
 */
export class TermFence {
  #term: number | undefined;
  #leader: string | null = null;
  /** `route/term` of the last heartbeat refused, so a deposed leader's beats report once, not every second. */
  #lastRefusedBeat = '';
  readonly #onRefused: (refused: RefusedCommand, sender: string | undefined) => void;

  /** `onRefused`: reports each refusal (`sender`: the name the deposed leader gave, if any). */
  constructor(onRefused: (refused: RefusedCommand, sender: string | undefined) => void) {
    this.#onRefused = onRefused;
  }

  /** The newest term seen, or undefined before any leader sent one. */
  get term(): number | undefined {
    return this.#term;
  }

  get leader(): string | null {
    return this.#leader;
  }

  /**
   * Admits a split of `route` from `term`; throws PIPER_SPLIT_STALE_TERM, after reporting the
   * refusal, when `term` is older than the newest seen.
   */
  admitSplit(route: string, split: Split, term: number | undefined, leader: string | undefined): void {
    if (term === undefined) return;
    this.#admit(route, split, term, leader);
  }

  /** A new leader's announcement: adopts `term` and `leader`, or throws PIPER_SPLIT_STALE_TERM as {@link admitSplit}. */
  announce(term: number, leader: string): void {
    this.#admit(null, null, term, leader);
  }

  /**
   * Admits a heartbeat of `route` from `term`, or throws PIPER_SPLIT_STALE_TERM: a deposed
   * leader's heartbeats must not keep the guard from firing. Its refusal is reported once per
   * route and term, not every second it keeps beating.
   */
  admitHeartbeat(route: string, term: number | undefined, leader: string | undefined): void {
    if (term === undefined) return;
    const key = `${route}/${term}`;
    try {
      this.#admit(route, null, term, leader, key !== this.#lastRefusedBeat);
    } catch (err) {
      this.#lastRefusedBeat = key;
      throw err;
    }
  }

  #admit(route: string | null, split: Split | null, term: number, leader: string | undefined, report = true): void {
    assertTerm(term);
    const current = this.#term;
    if (current !== undefined && term < current) {
      if (report) this.#onRefused({ route, term, currentTerm: current, leader: this.#leader, split }, leader);
      throw staleTermError(route, term, current, this.#leader);
    }
    this.#adopt(term, leader);
  }

  #adopt(term: number, leader: string | undefined): void {
    if (term !== this.#term) {
      this.#term = term;
      this.#leader = leader ?? null;
    } else if (leader !== undefined) this.#leader = leader;
  }
}

function assertTerm(term: number): void {
  if (Number.isSafeInteger(term) && term >= 0) return;
  throw new PiperError(dataPlaneErrors.PIPER_BALANCER_BAD_API_REQUEST, `term must be a whole number ≥ 0, not ${String(term)}`);
}

/** The refusal of a command from `term` when the data plane follows `current` (led by `leader`). */
export function staleTermError(route: string | null, term: number, current: number, leader: string | null): PiperError {
  const by = leader === null ? 'a newer leader' : `leader ${leader}`;
  return new PiperError(
    dataPlaneErrors.PIPER_SPLIT_STALE_TERM,
    `${route === null ? 'term announcement' : `split of ${route}`} refused: it comes from term ${term}, but this data plane already follows term ${current} (${by}); the sender is no longer the leader`,
    { details: { term, currentTerm: current, leader } },
  );
}
