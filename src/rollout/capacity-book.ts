import type { Journal } from '../journal/index.ts';
import { type CapacityCertificate, capacityCertificates } from './capacity-certificate.ts';

/** How many `capacity.result` events are read. */
const READ_LIMIT = 10_000;

/**
 * The pools' capacity results as the journal holds them, read again only when the journal has
 * something new: the gate is evaluated every window (and for every step of the plan), while
 * capacity results arrive a few times a day.
 */
export class CapacityBook {
  readonly #journal: Pick<Journal, 'query' | 'lastId'>;
  /** The journal's newest event id when the results were read (-1: never read). */
  #readAt = -1;
  readonly #byPool = new Map<string, CapacityCertificate[]>();
  #events: ReturnType<Journal['query']> = [];

  constructor(journal: Pick<Journal, 'query' | 'lastId'>) {
    this.#journal = journal;
  }

  /** The pool's capacity results, newest first; expired ones too, so a refusal can say they expired. */
  certificates(pool: string): CapacityCertificate[] {
    const last = this.#journal.lastId();
    if (last !== this.#readAt) {
      // All of them again, not only those after the last read: a store that assigns ids before
      // commit (Postgres) can make an older id visible after a newer one.
      this.#events = this.#journal.query({ kinds: ['capacity.result'], limit: READ_LIMIT });
      this.#byPool.clear();
      this.#readAt = last;
    }
    let certs = this.#byPool.get(pool);
    if (certs === undefined) {
      certs = capacityCertificates(this.#events, pool);
      this.#byPool.set(pool, certs);
    }
    return certs;
  }
}
